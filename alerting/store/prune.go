package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// pruneBatch bounds the incidents one Prune transaction deletes, so that
// the ingest never waits long for the write lock.
const pruneBatch = 500

// Prune deletes the incidents closed before now − Options.Retention, with
// their alerts, in transactions of at most pruneBatch incidents, and
// returns how many it deleted. When it deleted any, it appends an audit
// entry (user "system"). Open incidents and the audit log are kept. It
// also deletes the web sessions expired at now and refreshes the planner's
// statistics of the incidents: call it daily.
func (s *Store) Prune(ctx context.Context, now time.Time) (int, error) {
	cut := now.Add(-s.opt.Retention)
	total := 0
	for {
		var n int64
		err := s.write(ctx, false, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE rowid IN
				(SELECT rowid FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ? LIMIT ?)`,
				cut.UnixNano(), pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: prune: %w", err)
		}
		total += int(n)
		if n < pruneBatch {
			break
		}
	}
	// Sessions lapsed for good (the web prunes them at each login too;
	// without logins they would stay).
	if _, err := s.PruneSessions(ctx, now); err != nil {
		return total, fmt.Errorf("store: prune: %w", err)
	}
	// Statistics for the planner, with STAT4 samples: with them it weighs a
	// time window's bound (last_seen ≥ since) against the newest-first walk
	// (measured on 100,000 incidents: a day's window 0.2 s → ms). PRAGMA
	// optimize limits its analysis and collects no samples.
	t := time.Now()
	if err := s.write(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "ANALYZE incidents")
		return err
	}); err != nil {
		return total, fmt.Errorf("store: prune: analyze: %w", err)
	}
	s.log.Debug("analyzed incidents", "took", time.Since(t))
	if total > 0 {
		s.log.Info("pruned closed incidents", "deleted", total, "closed_before", cut)
		if err := s.Audit(ctx, AuditEntry{Time: now, User: "system", Action: ActionPrune,
			Detail: strconv.Itoa(total) + " incidents closed before " + cut.UTC().Format(time.RFC3339)}); err != nil {
			return total, fmt.Errorf("store: prune: %w", err)
		}
	}
	return total, nil
}
