package evidence_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cellsentry/cellsentry/alerting/evidence"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

// The pipeline writes every block; when an alert is raised the tracker asks
// for the IQ around its first burst, which the recording then holds, one
// capture per hop center.
func Example() {
	dir, err := os.MkdirTemp("", "evidence-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rec, err := evidence.New(evidence.Config{Dir: dir, Rate: 1e6, Pre: 2 * time.Millisecond, Post: 2 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	t := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	b := sdr.Block{Samples: make([]complex64, 1000), Rate: 1e6} // 1 ms blocks
	for i := range 10 {
		b.Center = []float64{902.4e6, 1747.4e6}[i/5] // the scanner hops
		b.Time = t.Add(time.Duration(i) * time.Millisecond)
		rec.Write(&b)
		if i == 4 {
			// A burst at 4.5 ms raised an alert.
			burst := t.Add(4500 * time.Microsecond)
			if err := rec.CaptureAround("w3-0001", burst, burst); err != nil {
				log.Fatal(err)
			}
		}
	}
	rec.Close()

	rd, err := sigmf.Open(filepath.Join(dir, "w3-0001.sigmf-meta"))
	if err != nil {
		log.Fatal(err)
	}
	defer rd.Close()
	for _, c := range rd.Meta().Captures {
		fmt.Printf("%.1f MHz from %s, %d samples\n", c.Frequency/1e6, c.Datetime.Format("15:04:05.0000"), c.Length)
	}
	// Output:
	// 902.4 MHz from 22:00:00.0025, 2500 samples
	// 1747.4 MHz from 22:00:00.0050, 1500 samples
}
