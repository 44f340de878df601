package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is one logged-in browser or API client of the web console, kept
// so that a console restart does not log the guards out. The token is
// never stored: TokenHash is its SHA-256, so that someone who reads the
// database cannot take a session over.
type Session struct {
	TokenHash [32]byte
	User      string
	Role      string
	// CSRF is the session's CSRF secret: every state-changing request
	// carries it.
	CSRF   string
	Remote string // the client's address at login
	// Created is the login; LastSeen the last use the store was told of;
	// Expires when the session lapses unless used again (idle expiry).
	Created, LastSeen, Expires time.Time
}

func checkSession(ss *Session) error {
	switch {
	case ss.TokenHash == [32]byte{}:
		return fmt.Errorf("session: zero token hash: %w", ErrInvalid)
	case ss.User == "":
		return fmt.Errorf("session: %w: %w", errNoUser, ErrInvalid)
	case ss.CSRF == "":
		return fmt.Errorf("session of %s: empty CSRF secret: %w", ss.User, ErrInvalid)
	case ss.Created.IsZero() || ss.LastSeen.IsZero() || ss.Expires.IsZero():
		return fmt.Errorf("session of %s: a zero time: %w", ss.User, ErrInvalid)
	}
	for _, f := range []struct{ name, v string }{{"user", ss.User}, {"role", ss.Role}, {"csrf", ss.CSRF}, {"remote", ss.Remote}} {
		if err := checkText("session "+f.name, f.v, 256); err != nil {
			return err
		}
	}
	return nil
}

// SaveSession stores a new session (or replaces the one with the same
// token hash).
func (s *Store) SaveSession(ctx context.Context, ss Session) error {
	if err := checkSession(&ss); err != nil {
		return fmt.Errorf("store: save %w", err)
	}
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO sessions
			(token_hash, user, role, csrf, remote, created, last_seen, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			ss.TokenHash[:], ss.User, ss.Role, ss.CSRF, ss.Remote, ss.Created.UnixNano(), ss.LastSeen.UnixNano(), ss.Expires.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save session of %s: %w", ss.User, err)
	}
	return nil
}

// Session returns the session of a token hash, expired or not (the caller
// judges the idle time), or ErrNotFound.
func (s *Store) Session(ctx context.Context, hash [32]byte) (Session, error) {
	ss := Session{TokenHash: hash}
	var created, last, exp int64
	err := s.r.QueryRowContext(ctx, `SELECT user, role, csrf, remote, created, last_seen, expires FROM sessions WHERE token_hash = ?`,
		hash[:]).Scan(&ss.User, &ss.Role, &ss.CSRF, &ss.Remote, &created, &last, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	ss.Created, ss.LastSeen, ss.Expires = time.Unix(0, created).UTC(), time.Unix(0, last).UTC(), time.Unix(0, exp).UTC()
	return ss, nil
}

// TouchSession records a use of a session: its last use and its new
// expiry (neither moves back). ErrNotFound when there is no such session.
func (s *Store) TouchSession(ctx context.Context, hash [32]byte, lastSeen, expires time.Time) error {
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = max(last_seen, ?1), expires = max(expires, ?2) WHERE token_hash = ?3`,
			lastSeen.UnixNano(), expires.UnixNano(), hash[:])
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (logout); deleting one that does not exist
// is not an error.
func (s *Store) DeleteSession(ctx context.Context, hash [32]byte) error {
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash[:])
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes the sessions expired at now and returns how many.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, now.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	return int(n), nil
}

// Sessions lists the sessions not expired at now, most recently used
// first.
func (s *Store) Sessions(ctx context.Context, now time.Time) ([]Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT token_hash, user, role, csrf, remote, created, last_seen, expires FROM sessions
		WHERE expires >= ? ORDER BY last_seen DESC`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var (
			ss                 Session
			hash               []byte
			created, last, exp int64
		)
		if err := rows.Scan(&hash, &ss.User, &ss.Role, &ss.CSRF, &ss.Remote, &created, &last, &exp); err != nil {
			return nil, fmt.Errorf("store: sessions: %w", err)
		}
		if len(hash) != len(ss.TokenHash) {
			return nil, fmt.Errorf("store: sessions: a token hash of %d bytes, want %d", len(hash), len(ss.TokenHash))
		}
		copy(ss.TokenHash[:], hash)
		ss.Created, ss.LastSeen, ss.Expires = time.Unix(0, created).UTC(), time.Unix(0, last).UTC(), time.Unix(0, exp).UTC()
		out = append(out, ss)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	return out, nil
}
