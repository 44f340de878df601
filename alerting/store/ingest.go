package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/cellsentry/cellsentry/alerting"
)

// IncidentAlert is one sensor alert event and the incident it belongs to.
type IncidentAlert struct {
	IncidentID string
	Alert      *alerting.Alert
	// Raw, optional, is the alert's JSON as received over MQTT (already
	// validated against the schema, and decoded into Alert). It is stored
	// as is: the record keeps what the sensor sent, and the ingest saves
	// encoding Alert again. It must be a JSON object.
	Raw []byte
}

// Batch is what the console's ingest path writes in one transaction: the
// fusion's incident updates, the alert events behind them, and sensor
// status and health. Batching is what makes the rate: one transaction per
// message costs a commit per message.
type Batch struct {
	Statuses  []*alerting.Status
	Healths   []*alerting.Health
	Incidents []alerting.Incident
	Alerts    []IncidentAlert
}

// Len is the number of messages in the batch.
func (b *Batch) Len() int {
	return len(b.Statuses) + len(b.Healths) + len(b.Incidents) + len(b.Alerts)
}

// Reset empties the batch, keeping its storage.
func (b *Batch) Reset() {
	clear(b.Statuses)
	clear(b.Healths)
	clear(b.Incidents)
	clear(b.Alerts)
	b.Statuses, b.Healths = b.Statuses[:0], b.Healths[:0]
	b.Incidents, b.Alerts = b.Incidents[:0], b.Alerts[:0]
}

// IngestResult counts what a batch wrote.
type IngestResult struct {
	Incidents int // upserted
	Alerts    int // new alert events
	Dups      int // alert events already stored (redeliveries), dropped
	Statuses  int
	Healths   int // taken, Coalesced included
	// Coalesced counts the health messages not written because a later
	// health of the same sensor in the batch supersedes them: a sensor
	// row keeps only the last health, so writing the others would be
	// overwritten in the same transaction.
	Coalesced int
	// Merged counts the incidents of the batch merged into another.
	Merged int
}

// Ingest writes b in one transaction, in this order: statuses, healths,
// incidents, alerts (so an alert may belong to an incident of the same
// batch). The batch is checked first: an invalid message fails the whole
// batch with an error naming it, and nothing is written; so does an alert
// whose incident does not exist (ErrNotFound).
func (s *Store) Ingest(ctx context.Context, b *Batch) (IngestResult, error) {
	var res IngestResult
	for i, st := range b.Statuses {
		if err := checkOrigin("status", st.Site, st.Sensor); err != nil {
			return res, fmt.Errorf("store: ingest: status %d: %w", i, err)
		}
	}
	for _, st := range b.Statuses {
		if err := checkStatus(st); err != nil {
			return res, fmt.Errorf("store: ingest: %w", err)
		}
	}
	for i, h := range b.Healths {
		if err := checkOrigin("health", h.Site, h.Sensor); err != nil {
			return res, fmt.Errorf("store: ingest: health %d: %w", i, err)
		}
		if err := checkHealth(h); err != nil {
			return res, fmt.Errorf("store: ingest: %w", err)
		}
	}
	for i := range b.Incidents {
		if err := checkIncident(&b.Incidents[i]); err != nil {
			return res, fmt.Errorf("store: ingest: incident %d: %w", i, err)
		}
	}
	for i, a := range b.Alerts {
		if err := checkAlert(a.IncidentID, a.Alert); err != nil {
			return res, fmt.Errorf("store: ingest: alert %d: %w", i, err)
		}
		if a.Raw != nil && (!json.Valid(a.Raw) || bytes.IndexByte(a.Raw, '{') != firstNonSpace(a.Raw)) {
			return res, fmt.Errorf("store: ingest: alert %d (%s rev %d): raw JSON is not an object: %w", i, a.Alert.ID, a.Alert.Rev, ErrInvalid)
		}
	}
	if b.Len() == 0 {
		return res, nil
	}
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		res = IngestResult{}
		st := s.stmts.in(ctx, tx)
		for _, x := range b.Statuses {
			if err := st.saveStatus(ctx, x); err != nil {
				return err
			}
			res.Statuses++
		}
		latest := latestHealths(b.Healths)
		for i := range latest {
			l := &latest[i]
			if err := st.saveHealth(ctx, l.h, l.wing, l.building); err != nil {
				return err
			}
		}
		res.Healths = len(b.Healths)
		res.Coalesced = len(b.Healths) - len(latest)
		for i := range b.Incidents {
			if err := st.saveIncident(ctx, &b.Incidents[i]); err != nil {
				return err
			}
			res.Incidents++
		}
		// Merges after every upsert (the survivor may come later in the
		// batch), before the alerts, which follow their incident.
		var into map[string]string
		for i := range b.Incidents {
			inc := &b.Incidents[i]
			if inc.Method != MethodMerged || inc.LinkedTo == "" {
				continue
			}
			if err := s.merge(ctx, tx, inc.ID, inc.LinkedTo); err != nil {
				return err
			}
			if into == nil {
				into = map[string]string{}
			}
			into[inc.ID] = inc.LinkedTo
			res.Merged++
		}
		m := seen{}
		for _, a := range b.Alerts {
			id := a.IncidentID
			for n := 0; n < len(into) && into[id] != ""; n++ {
				id = into[id]
			}
			dup, err := st.addAlert(ctx, tx, id, a.Alert, a.Raw)
			if err != nil {
				return err
			}
			if dup {
				res.Dups++
			} else {
				res.Alerts++
				m.note(a.Alert)
			}
		}
		return st.flush(ctx, m)
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest: %w", err)
	}
	return res, nil
}

// latestHealth is the health of one sensor to write for a batch.
type latestHealth struct {
	h              *alerting.Health
	wing, building string
}

// latestHealths keeps, per sensor, the health with the latest time (the
// later in the batch on a tie), which is what the upsert would leave
// after writing them all in order: the health of the latest time, and
// last_seen at that time. The wing and building are the last non-empty
// ones in batch order, as the upserts in order would leave them.
func latestHealths(hs []*alerting.Health) []latestHealth {
	out := make([]latestHealth, 0, len(hs))
	idx := make(map[[2]string]int, len(hs))
	for _, h := range hs {
		k := [2]string{h.Site, h.Sensor}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, latestHealth{h: h, wing: h.Wing, building: h.Building})
			continue
		}
		l := &out[i]
		if !h.Time.Before(l.h.Time) {
			l.h = h
		}
		if h.Wing != "" {
			l.wing = h.Wing
		}
		if h.Building != "" {
			l.building = h.Building
		}
	}
	return out
}

// firstNonSpace is the index of the first byte of b that is not JSON
// white space, or -1.
func firstNonSpace(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}
