package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// Audit actions written by the operator methods.
const (
	ActionAck          = "ack"
	ActionResolve      = "resolve"
	ActionShelve       = "shelve"
	ActionUnshelve     = "unshelve"
	ActionOutOfService = "out-of-service"
	ActionInService    = "in-service"
	ActionPrune        = "prune"
)

func checkActor(user, note string) error {
	if user == "" {
		return fmt.Errorf("%w: %w", errNoUser, ErrInvalid)
	}
	if err := checkText("user", user, 256); err != nil {
		return err
	}
	return checkText("note", note, maxNote)
}

// incidentOps is the operator state of one incident, read in a write
// transaction.
type incidentOps struct {
	active              bool
	lastSeen            int64
	ackedBy, resolution string
	resolvedBy          string
	ackedAt, resolvedAt sql.NullInt64
}

func readOps(ctx context.Context, tx *sql.Tx, id string) (incidentOps, error) {
	var o incidentOps
	err := tx.QueryRowContext(ctx, `SELECT active, last_seen, acked_by, acked_at, resolution, resolved_by, resolved_at
		FROM incidents WHERE id = ?`, id).Scan(&o.active, &o.lastSeen, &o.ackedBy, &o.ackedAt, &o.resolution, &o.resolvedBy, &o.resolvedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("incident %s: %w", id, err)
	}
	return o, nil
}

func stamp(ns sql.NullInt64) string { return timeOf(ns).Format(time.RFC3339) }

// appendAudit writes one audit entry inside tx.
func appendAudit(ctx context.Context, tx *sql.Tx, e *AuditEntry) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (time, user, action, target, detail, remote) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.User, e.Action, e.Target, e.Detail, e.Remote); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Target, err)
	}
	return nil
}

// Ack acknowledges an incident for user, with an optional note, and
// appends an audit entry in the same transaction. It fails with
// ErrNotFound, or ErrConflict when the incident is already acknowledged,
// resolved or closed.
func (s *Store) Ack(ctx context.Context, id, user, note string) (alerting.Incident, error) {
	if err := checkActor(user, note); err != nil {
		return alerting.Incident{}, fmt.Errorf("store: ack %s: %w", id, err)
	}
	var out alerting.Incident
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		o, err := readOps(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case o.resolution != "":
			return fmt.Errorf("incident %s is resolved (%s by %s at %s): %w", id, o.resolution, o.resolvedBy, stamp(o.resolvedAt), ErrConflict)
		case o.ackedAt.Valid && !o.active:
			return fmt.Errorf("incident %s is closed (acknowledged by %s at %s, no longer active): %w", id, o.ackedBy, stamp(o.ackedAt), ErrConflict)
		case o.ackedAt.Valid:
			return fmt.Errorf("incident %s is already acknowledged by %s at %s: %w", id, o.ackedBy, stamp(o.ackedAt), ErrConflict)
		}
		now := s.now()
		var closedAt sql.NullInt64
		if !o.active {
			closedAt = sql.NullInt64{Int64: max(now.UnixNano(), o.lastSeen), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET acked_by = ?, acked_at = ?,
			note = CASE WHEN ?3 <> '' THEN ?3 ELSE note END, base_alarm = ?4, closed_at = ?5 WHERE id = ?6`,
			user, now.UnixNano(), note, baseAlarm(o.active, true, false), closedAt, id); err != nil {
			return fmt.Errorf("incident %s: %w", id, err)
		}
		if err := appendAudit(ctx, tx, &AuditEntry{Time: now, User: user, Action: ActionAck, Target: id, Detail: note, Remote: remoteOf(ctx)}); err != nil {
			return err
		}
		out, err = getIncident(ctx, tx, id, now)
		return err
	})
	if err != nil {
		return alerting.Incident{}, fmt.Errorf("store: ack %s: %w", id, err)
	}
	return out, nil
}

func validResolution(r string) bool {
	switch r {
	case alerting.ResolutionFoundPhone, alerting.ResolutionFalseAlarm, alerting.ResolutionUnknown:
		return true
	}
	return false
}

// Resolve closes an incident with a resolution (found-phone, false-alarm,
// unknown) and an optional note, acknowledging it too if nobody had, and
// appends an audit entry in the same transaction. An active incident may
// be resolved (the phone was found while it transmitted). It fails with
// ErrNotFound, ErrInvalid for an unknown resolution, or ErrConflict when
// the incident is already resolved.
func (s *Store) Resolve(ctx context.Context, id, user, resolution, note string) (alerting.Incident, error) {
	if err := checkActor(user, note); err != nil {
		return alerting.Incident{}, fmt.Errorf("store: resolve %s: %w", id, err)
	}
	if !validResolution(resolution) {
		return alerting.Incident{}, fmt.Errorf("store: resolve %s: resolution %q is not one of found-phone, false-alarm, unknown: %w", id, resolution, ErrInvalid)
	}
	var out alerting.Incident
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		o, err := readOps(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.resolution != "" {
			return fmt.Errorf("incident %s is already resolved (%s by %s at %s): %w", id, o.resolution, o.resolvedBy, stamp(o.resolvedAt), ErrConflict)
		}
		now := s.now().UnixNano()
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET resolution = ?1, resolved_by = ?2, resolved_at = ?3,
			acked_by = CASE WHEN acked_at IS NULL THEN ?2 ELSE acked_by END, acked_at = COALESCE(acked_at, ?3),
			note = CASE WHEN ?4 <> '' THEN ?4 ELSE note END, base_alarm = 'closed', closed_at = ?3 WHERE id = ?5`,
			resolution, user, now, note, id); err != nil {
			return fmt.Errorf("incident %s: %w", id, err)
		}
		detail := resolution
		if note != "" {
			detail += ": " + note
		}
		if err := appendAudit(ctx, tx, &AuditEntry{Time: s.now(), User: user, Action: ActionResolve, Target: id, Detail: detail, Remote: remoteOf(ctx)}); err != nil {
			return err
		}
		out, err = getIncident(ctx, tx, id, s.now())
		return err
	})
	if err != nil {
		return alerting.Incident{}, fmt.Errorf("store: resolve %s: %w", id, err)
	}
	return out, nil
}

// Shelve suppresses the alarms of a sensor ("SENSOR" or "SITE/SENSOR")
// until a time at most Options.MaxShelve ahead; shelving a shelved sensor
// moves its end. It appends an audit entry in the same transaction. It
// fails with ErrNotFound, ErrInvalid for a time not in the future or too
// far, or ErrConflict for a sensor out of service.
func (s *Store) Shelve(ctx context.Context, sensor, user string, until time.Time, note string) error {
	if err := checkActor(user, note); err != nil {
		return fmt.Errorf("store: shelve %s: %w", sensor, err)
	}
	now := s.now()
	if !until.After(now) {
		return fmt.Errorf("store: shelve %s: until %s is not in the future: %w", sensor, until.Format(time.RFC3339), ErrInvalid)
	}
	if until.Sub(now) > s.opt.MaxShelve {
		return fmt.Errorf("store: shelve %s: until %s is more than %v ahead: %w", sensor, until.Format(time.RFC3339), s.opt.MaxShelve, ErrInvalid)
	}
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		x, err := findSensor(ctx, tx, sensor)
		if err != nil {
			return err
		}
		if x.oos {
			return fmt.Errorf("sensor %s/%s is out of service (by %s): %w", x.site, x.id, x.oosBy, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sensors SET shelved_until = ?, shelved_by = ?, note = ? WHERE site = ? AND id = ?`,
			until.UnixNano(), user, note, x.site, x.id); err != nil {
			return fmt.Errorf("sensor %s/%s: %w", x.site, x.id, err)
		}
		detail := "until " + until.UTC().Format(time.RFC3339)
		if note != "" {
			detail += ": " + note
		}
		return appendAudit(ctx, tx, &AuditEntry{Time: now, User: user, Action: ActionShelve, Target: x.site + "/" + x.id, Detail: detail, Remote: remoteOf(ctx)})
	})
	if err != nil {
		return fmt.Errorf("store: shelve %s: %w", sensor, err)
	}
	return nil
}

// Unshelve ends a sensor's shelving before its time and appends an audit
// entry. It fails with ErrNotFound, or ErrConflict when the sensor is not
// shelved.
func (s *Store) Unshelve(ctx context.Context, sensor, user, note string) error {
	if err := checkActor(user, note); err != nil {
		return fmt.Errorf("store: unshelve %s: %w", sensor, err)
	}
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		x, err := findSensor(ctx, tx, sensor)
		if err != nil {
			return err
		}
		now := s.now()
		if !x.shelvedUntil.After(now) {
			return fmt.Errorf("sensor %s/%s is not shelved: %w", x.site, x.id, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sensors SET shelved_until = NULL, shelved_by = '', note = ? WHERE site = ? AND id = ?`,
			note, x.site, x.id); err != nil {
			return fmt.Errorf("sensor %s/%s: %w", x.site, x.id, err)
		}
		return appendAudit(ctx, tx, &AuditEntry{Time: now, User: user, Action: ActionUnshelve, Target: x.site + "/" + x.id, Detail: note, Remote: remoteOf(ctx)})
	})
	if err != nil {
		return fmt.Errorf("store: unshelve %s: %w", sensor, err)
	}
	return nil
}

// SetOutOfService takes a sensor out of service for maintenance (on) or
// puts it back, and appends an audit entry. A shelving still running when
// the sensor comes back applies again. It fails with ErrNotFound, or
// ErrConflict when the sensor is already in the state asked for.
func (s *Store) SetOutOfService(ctx context.Context, sensor, user string, on bool, note string) error {
	if err := checkActor(user, note); err != nil {
		return fmt.Errorf("store: out of service %s: %w", sensor, err)
	}
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		x, err := findSensor(ctx, tx, sensor)
		if err != nil {
			return err
		}
		switch {
		case on && x.oos:
			return fmt.Errorf("sensor %s/%s is already out of service (by %s): %w", x.site, x.id, x.oosBy, ErrConflict)
		case !on && !x.oos:
			return fmt.Errorf("sensor %s/%s is not out of service: %w", x.site, x.id, ErrConflict)
		}
		by, action := "", ActionInService
		if on {
			by, action = user, ActionOutOfService
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sensors SET out_of_service = ?, oos_by = ?, note = ? WHERE site = ? AND id = ?`,
			on, by, note, x.site, x.id); err != nil {
			return fmt.Errorf("sensor %s/%s: %w", x.site, x.id, err)
		}
		return appendAudit(ctx, tx, &AuditEntry{Time: s.now(), User: user, Action: action, Target: x.site + "/" + x.id, Detail: note, Remote: remoteOf(ctx)})
	})
	if err != nil {
		return fmt.Errorf("store: out of service %s: %w", sensor, err)
	}
	return nil
}
