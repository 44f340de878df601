package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID     int64 // assigned by the store, increasing
	Time   time.Time
	User   string
	Action string // ActionAck …, or the web's own ("login", "login-failed", "export", "user-add" …)
	Target string // incident id, "site/sensor", user name …
	Detail string
	Remote string // client address
}

// Audit appends an entry (logins, exports, administrator actions; the
// operator methods write their own). A zero Time is now; an empty Remote
// is the one WithRemote put in ctx. ID is ignored. It commits with
// synchronous=FULL.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if e.Action == "" {
		return fmt.Errorf("store: audit: empty action: %w", ErrInvalid)
	}
	for _, f := range []struct{ name, v string }{{"user", e.User}, {"action", e.Action}, {"target", e.Target}, {"remote", e.Remote}} {
		if err := checkText("audit "+f.name, f.v, 256); err != nil {
			return fmt.Errorf("store: audit: %w", err)
		}
	}
	if err := checkText("audit detail", e.Detail, maxNote); err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if e.Remote == "" {
		e.Remote = remoteOf(ctx)
	}
	if err := s.write(ctx, true, func(tx *sql.Tx) error { return appendAudit(ctx, tx, &e) }); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// DefaultAuditLimit is the number of entries AuditLog returns for limit 0.
const DefaultAuditLimit = 500

// AuditLog returns the entries at or after since, newest first, at most
// limit (≤ 0: DefaultAuditLimit).
func (s *Store) AuditLog(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	from := int64(math.MinInt64)
	if !since.IsZero() {
		from = since.UnixNano()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, time, user, action, target, detail, remote FROM audit
		WHERE time >= ? ORDER BY time DESC, id DESC LIMIT ?`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var (
			e  AuditEntry
			ns int64
		)
		if err := rows.Scan(&e.ID, &ns, &e.User, &e.Action, &e.Target, &e.Detail, &e.Remote); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.Time = time.Unix(0, ns).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return out, nil
}
