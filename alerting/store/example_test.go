package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/store"
)

// The life of an incident: the fusion saves it, a guard acknowledges it,
// the fusion's next update (the phone went quiet) cannot undo that, and the
// guard resolves it; every action is in the audit log.
func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	now := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	s, err := store.Open(filepath.Join(dir, "console.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := store.WithRemote(context.Background(), "10.0.0.5:41000")

	inc := alerting.Incident{ID: "hmp-lyon-0001", Site: "hmp-lyon", Kind: alerting.IncidentPhone, Class: "lte",
		Wing: "B", Confidence: 0.93, FirstSeen: now.Add(-2 * time.Minute), LastSeen: now, Active: true,
		Sensors: []alerting.Heard{{Sensor: "b1", AlertID: "hmp-lyon.b1-lte-1"}}}
	got, _ := s.SaveIncident(ctx, &inc)
	fmt.Println("saved:", got.Alarm)

	got, _ = s.Ack(ctx, inc.ID, "ann", "on my way")
	fmt.Println("ack:", got.Alarm, "by", got.AckedBy)

	_, err = s.Ack(ctx, inc.ID, "bob", "")
	fmt.Println("ack again is a conflict:", errors.Is(err, store.ErrConflict))

	inc.Active = false
	got, _ = s.SaveIncident(ctx, &inc)
	fmt.Println("quiet:", got.Alarm, "by", got.AckedBy)

	got, _ = s.Resolve(ctx, inc.ID, "ann", alerting.ResolutionFoundPhone, "cell 12")
	fmt.Println("resolved:", got.Alarm, got.Resolution)

	log, _ := s.AuditLog(ctx, time.Time{}, 0)
	for i := len(log) - 1; i >= 0; i-- {
		fmt.Println("audit:", log[i].User, log[i].Action, log[i].Target, log[i].Detail, log[i].Remote)
	}
	// Output:
	// saved: unacknowledged
	// ack: acknowledged by ann
	// ack again is a conflict: true
	// quiet: closed by ann
	// resolved: closed found-phone
	// audit: ann ack hmp-lyon-0001 on my way 10.0.0.5:41000
	// audit: ann resolve hmp-lyon-0001 found-phone: cell 12 10.0.0.5:41000
}

// Shelving a noisy sensor suppresses the incidents only it hears, until
// the time set.
func ExampleStore_Shelve() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	now := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := store.Open(filepath.Join(dir, "console.db"), store.Options{Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()
	_ = s.DeclareSensor(ctx, "hmp-lyon", "c2", "C", "main")
	inc := alerting.Incident{ID: "i1", Site: "hmp-lyon", Kind: alerting.IncidentOverload, Sensor: "c2",
		FirstSeen: now, LastSeen: now, Active: true}
	_, _ = s.SaveIncident(ctx, &inc)

	if err := s.Shelve(ctx, "hmp-lyon/c2", "tech", now.Add(time.Hour), "spur after antenna work"); err != nil {
		fmt.Println(err)
	}
	got, _ := s.Incident(ctx, "i1")
	fmt.Println("shelved:", got.Alarm)

	now = now.Add(time.Hour) // the shelving ends by itself
	got, _ = s.Incident(ctx, "i1")
	fmt.Println("an hour later:", got.Alarm)
	// Output:
	// shelved: shelved
	// an hour later: unacknowledged
}
