package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MethodMerged is the Method of an incident the fusion merged into an
// older one, the one its LinkedTo names (alerting/fusion.MethodMerged).
// Ingest applies the merge when it stores such an incident.
const MethodMerged = "merged"

// ActionMerge is the audit action of a merge; its user is MergeUser.
const (
	ActionMerge = "merge"
	MergeUser   = "fusion"
)

// merge records that incident from is the same emitter as the older
// incident into, inside tx: from's alerts move to into, from is closed
// with merged_into set, and an acknowledgement of from carries over to
// into when nobody has acknowledged into (the guard who acknowledged
// either has seen the emitter), with its note when into has none. The
// first merge of from appends an audit entry; a repeated one (a replayed
// batch) changes nothing more. A resolution is not carried: into's
// emitter may still transmit. into must exist (ErrNotFound).
func (s *Store) merge(ctx context.Context, tx *sql.Tx, from, into string) error {
	if from == into {
		return fmt.Errorf("incident %s: merged into itself: %w", from, ErrInvalid)
	}
	var (
		merged, ackedBy, note string
		ackedAt               sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT merged_into, acked_by, acked_at, note FROM incidents WHERE id = ?`, from).
		Scan(&merged, &ackedBy, &ackedAt, &note)
	if err != nil {
		return fmt.Errorf("merge of incident %s: %w", from, err)
	}
	o, err := readOps(ctx, tx, into)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("merge of incident %s into %s: %w", from, into, err)
		}
		return fmt.Errorf("merge of incident %s: %w", from, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET incident_id = ?1 WHERE incident_id = ?2`, into, from); err != nil {
		return fmt.Errorf("merge of incident %s into %s: alerts: %w", from, into, err)
	}
	if merged != "" {
		return nil
	}
	now := s.now().UnixNano()
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET merged_into = ?1, base_alarm = 'closed',
		closed_at = COALESCE(closed_at, ?2) WHERE id = ?3`, into, now, from); err != nil {
		return fmt.Errorf("merge of incident %s into %s: %w", from, into, err)
	}
	detail := "into " + into
	if ackedAt.Valid && !o.ackedAt.Valid && o.resolution == "" {
		var closedAt sql.NullInt64
		if !o.active {
			closedAt = sql.NullInt64{Int64: max(ackedAt.Int64, o.lastSeen), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET acked_by = ?1, acked_at = ?2,
			note = CASE WHEN note = '' THEN ?3 ELSE note END, base_alarm = ?4, closed_at = ?5 WHERE id = ?6`,
			ackedBy, ackedAt.Int64, note, baseAlarm(o.active, true, false), closedAt, into); err != nil {
			return fmt.Errorf("merge of incident %s into %s: acknowledgement: %w", from, into, err)
		}
		detail += "; acknowledgement by " + ackedBy + " carried over"
	}
	return appendAudit(ctx, tx, &AuditEntry{Time: s.now(), User: MergeUser, Action: ActionMerge, Target: from, Detail: detail})
}
