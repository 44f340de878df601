package sigmf_test

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

// Record two tunings, then replay them: each block stays within one capture
// and carries its capture's frequency and time.
func Example() {
	dir, err := os.MkdirTemp("", "sigmf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	prefix := filepath.Join(dir, "wing-b")

	w, err := sigmf.Create(prefix, sigmf.Meta{Datatype: sdr.CU8, SampleRate: 1e6, Hardware: "RTL-SDR", Gain: 40.2})
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	for i, f := range []float64{902.2e6, 1747.8e6} {
		blk := sdr.Block{Samples: make([]complex64, 1500), Center: f, Rate: 1e6, Time: t0.Add(time.Duration(i) * 10 * time.Millisecond)}
		if err := w.WriteBlock(&blk); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := sigmf.Open(prefix + ".sigmf-meta")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("samples:", r.Len(), "gain:", r.Meta().Gain)
	b := sdr.Block{Samples: make([]complex64, 1000)}
	for {
		if err := r.ReadBlock(&b); err == io.EOF {
			break
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("block %d: %d samples at %.1f MHz, %s\n", b.Seq, len(b.Samples), b.Center/1e6, b.Time.Format("15:04:05.000"))
	}
	// Output:
	// samples: 3000 gain: 40.2
	// block 0: 1000 samples at 902.2 MHz, 22:00:00.000
	// block 1: 500 samples at 902.2 MHz, 22:00:00.001
	// block 2: 1000 samples at 1747.8 MHz, 22:00:00.010
	// block 3: 500 samples at 1747.8 MHz, 22:00:00.011
}

func ExampleParseName() {
	info, ok := sigmf.ParseName("g005_433.92M_250k.cs16")
	fmt.Println(ok, info.Frequency, info.SampleRate, info.Format)
	// Output: true 4.3392e+08 250000 ci16_le
}
