package fusion

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// FuzzAlerts feeds alert events decoded from arbitrary JSON Lines to a
// fuser (with Advance between them): it must not panic, and what it
// returns must hold together — at most MaxOpen open, one alert per sensor
// in an incident, probabilities that sum to one, confidences in [0, 1].
func FuzzAlerts(f *testing.F) {
	seed := func(as ...*alerting.Alert) []byte {
		var b []byte
		for _, a := range as {
			j, _ := json.Marshal(a)
			b = append(append(b, j...), '\n')
		}
		return b
	}
	f.Add(seed(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 2, -60), alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80)))
	f.Add(seed(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 20, -55), alert("a2", "a2-1", 0, alerting.StateRaised, 0, 20, -95),
		alert("a1", "a1-1", 1, alerting.StateCleared, 0, 20, -55)))
	over := alert("b1", "b1-ov", 0, alerting.StateRaised, 0, 2, -20)
	over.Class = "overload"
	lte := alert("b2", "b2-1", 0, alerting.StateRaised, 0, 3, -70, 901.2e6, 902.3e6)
	lte.Class = "lte"
	f.Add(seed(over, lte, alert("x9", "x9-1", 3, alerting.StateUpdated, 0, 1, math.NaN())))
	f.Add([]byte(`{"site":"unit","sensor":"a1","id":"z","rev":0,"state":"raised","class":"gsm","freqs_hz":[1e300,-5],"first_seen":"2026-03-02T01:00:00Z","last_seen":"1970-01-01T00:00:00Z","power_dbm":null}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fu, err := New(testSite(), Config{MaxOpen: 4})
		if err != nil {
			t.Fatal(err)
		}
		check := func(xs []alerting.Incident) {
			for _, x := range xs {
				seen := map[string]bool{}
				for _, h := range x.Sensors {
					if seen[h.Sensor] {
						t.Fatalf("incident %s has sensor %s twice", x.ID, h.Sensor)
					}
					seen[h.Sensor] = true
				}
				if !(x.Confidence >= 0 && x.Confidence <= 1) {
					t.Fatalf("confidence %v", x.Confidence)
				}
				if len(x.Wings) > 0 {
					var s float64
					for _, w := range x.Wings {
						s += w.Probability
					}
					if math.Abs(s-1) > 0.01 {
						t.Fatalf("probabilities sum to %v: %+v", s, x.Wings)
					}
				}
			}
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		now := t0
		for range 64 {
			var a alerting.Alert
			if dec.Decode(&a) != nil {
				break
			}
			now = now.Add(time.Second)
			check(fu.Alert(&a, now))
			check(fu.Advance(now))
			if n := len(fu.Open()); n > 4 {
				t.Fatalf("%d open, MaxOpen 4", n)
			}
		}
		check(fu.Open())
	})
}
