package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/fusion"
)

// mergedInto is incident inc as the fusion sends it once merged into the
// incident into.
func mergedInto(inc alerting.Incident, into string) alerting.Incident {
	inc.Method, inc.LinkedTo, inc.Active, inc.Sensors = MethodMerged, into, false, nil
	return inc
}

// TestMerge: an incident the fusion merged into an older one is closed,
// its alerts (stored and in the batch) move to the survivor, an
// acknowledgement carries over when the survivor has none, and one audit
// entry says so, however often the batch is replayed.
func TestMerge(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		ackOld      string // who acknowledged the survivor before the merge
		ackYoung    string // who acknowledged the merged one
		wantAckedBy string
		wantNote    string
		wantDetail  string
	}{
		{"nobody acknowledged", "", "", "", "", "into old"},
		{"acknowledgement carried over", "", "guard", "guard", "seen in the corridor", "into old; acknowledgement by guard carried over"},
		{"survivor acknowledged already", "ann", "guard", "ann", "", "into old"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, clk, _ := newStore(t)
			declare(t, s, "a1", "b1")
			old, young := phone("old", t0, true, "a1"), phone("young", t0.Add(time.Second), true, "b1")
			must[IngestResult](t)(s.Ingest(ctx, &Batch{
				Incidents: []alerting.Incident{old, young},
				Alerts: []IncidentAlert{{IncidentID: "old", Alert: alert("a1-1", 0, "a1", t0)},
					{IncidentID: "young", Alert: alert("b1-1", 0, "b1", t0.Add(time.Second))}},
			}))
			if c.ackOld != "" {
				must[alerting.Incident](t)(s.Ack(ctx, "old", c.ackOld, ""))
			}
			if c.ackYoung != "" {
				must[alerting.Incident](t)(s.Ack(ctx, "young", c.ackYoung, "seen in the corridor"))
			}
			clk.Add(time.Minute)
			survivor := phone("old", t0, true, "a1", "b1")
			batch := Batch{
				// The merged one first: the survivor's upsert later in the
				// batch must not matter.
				Incidents: []alerting.Incident{mergedInto(young, "old"), survivor},
				// An event of the moved alert, queued under the old id.
				Alerts: []IncidentAlert{{IncidentID: "young", Alert: alert("b1-1", 1, "b1", t0.Add(2*time.Second))}},
			}
			for pass := range 2 {
				res := must[IngestResult](t)(s.Ingest(ctx, &batch))
				if res.Merged != 1 || res.Alerts+res.Dups != 1 {
					t.Errorf("pass %d: %+v, want 1 merged, the alert stored or a dup", pass, res)
				}
			}
			y := must[alerting.Incident](t)(s.Incident(ctx, "young"))
			if y.Alarm != alerting.AlarmClosed || y.Method != MethodMerged || y.LinkedTo != "old" {
				t.Errorf("merged incident: alarm %s method %s linked to %q", y.Alarm, y.Method, y.LinkedTo)
			}
			o := must[alerting.Incident](t)(s.Incident(ctx, "old"))
			if o.AckedBy != c.wantAckedBy || o.Note != c.wantNote {
				t.Errorf("survivor acked by %q note %q, want %q %q", o.AckedBy, o.Note, c.wantAckedBy, c.wantNote)
			}
			wantAlarm := alerting.AlarmUnacknowledged
			if c.wantAckedBy != "" {
				wantAlarm = alerting.AlarmAcknowledged
			}
			if o.Alarm != wantAlarm {
				t.Errorf("survivor alarm %s, want %s", o.Alarm, wantAlarm)
			}
			var got []string
			for _, a := range must[[]alerting.Alert](t)(s.Alerts(ctx, "old")) {
				got = append(got, a.ID+"/"+string(rune('0'+a.Rev)))
			}
			if want := []string{"a1-1/0", "b1-1/0", "b1-1/1"}; !slices.Equal(got, want) {
				t.Errorf("survivor's alerts %v, want %v", got, want)
			}
			if n := len(must[[]alerting.Alert](t)(s.Alerts(ctx, "young"))); n != 0 {
				t.Errorf("merged incident kept %d alerts", n)
			}
			open := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{OpenOnly: true}))
			if len(open) != 1 || open[0].ID != "old" {
				t.Errorf("open incidents %v, want only the survivor", open)
			}
			var merges []AuditEntry
			for _, e := range must[[]AuditEntry](t)(s.AuditLog(ctx, time.Time{}, 0)) {
				if e.Action == ActionMerge {
					merges = append(merges, e)
				}
			}
			if len(merges) != 1 || merges[0].Target != "young" || merges[0].User != MergeUser || merges[0].Detail != c.wantDetail {
				t.Errorf("merge audit entries %+v, want one for young: %q", merges, c.wantDetail)
			}
			// A later fusion update of the merged one (a replay) leaves it closed.
			must[IngestResult](t)(s.Ingest(ctx, &Batch{Incidents: []alerting.Incident{young}}))
			if y := must[alerting.Incident](t)(s.Incident(ctx, "young")); y.Alarm != alerting.AlarmClosed {
				t.Errorf("merged incident reopened by an update: %s", y.Alarm)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	declare(t, s, "a1")
	must[IngestResult](t)(s.Ingest(ctx, &Batch{Incidents: []alerting.Incident{phone("x", t0, true, "a1")}}))
	cases := []struct {
		name    string
		inc     alerting.Incident
		wantErr string
		is      error
	}{
		{"survivor unknown", mergedInto(phone("x", t0, true), "nowhere"),
			"store: ingest: merge of incident x into nowhere: incident nowhere: not found", ErrNotFound},
		{"into itself", mergedInto(phone("x", t0, true), "x"),
			"store: ingest: incident x: merged into itself: invalid argument", ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Ingest(ctx, &Batch{Incidents: []alerting.Incident{c.inc}})
			if err == nil || err.Error() != c.wantErr || !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			// Rolled back: x is as it was.
			if x := must[alerting.Incident](t)(s.Incident(ctx, "x")); x.Method == MethodMerged || x.Alarm != alerting.AlarmUnacknowledged {
				t.Errorf("failed merge left %s %s", x.Method, x.Alarm)
			}
		})
	}
}

// TestMethodMerged: the store recognises the fusion's merged incidents.
func TestMethodMerged(t *testing.T) {
	if MethodMerged != fusion.MethodMerged {
		t.Errorf("store.MethodMerged %q, fusion.MethodMerged %q", MethodMerged, fusion.MethodMerged)
	}
}
