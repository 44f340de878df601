package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

func session(token, user string, last time.Time) Session {
	return Session{TokenHash: sha256.Sum256([]byte(token)), User: user, Role: "guard", CSRF: "csrf-" + token,
		Remote: "192.0.2.7", Created: last.Add(-time.Minute), LastSeen: last, Expires: last.Add(time.Hour)}
}

// TestSessionsSurviveRestart: sessions written by one Open are read by the
// next; uses move the expiry, logout deletes, pruning drops the expired.
func TestSessionsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	s, _, path := newStore(t)
	alice, bob := session("tok-a", "alice", t0), session("tok-b", "bob", t0.Add(-2*time.Hour))
	for _, ss := range []Session{alice, bob} {
		if err := s.SaveSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchSession(ctx, alice.TokenHash, t0.Add(10*time.Minute), t0.Add(70*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A late touch does not move the times back.
	if err := s.TouchSession(ctx, alice.TokenHash, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Session(ctx, alice.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	want := alice
	want.LastSeen, want.Expires = t0.Add(10*time.Minute), t0.Add(70*time.Minute)
	if got != want {
		t.Errorf("after restart:\n got %+v\nwant %+v", got, want)
	}
	list, err := s2.Sessions(ctx, t0)
	if err != nil || len(list) != 1 || list[0].User != "alice" {
		t.Errorf("live sessions %+v, %v; want alice's only (bob's expired)", list, err)
	}
	if n, err := s2.PruneSessions(ctx, t0); err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want bob's", n, err)
	}
	if _, err := s2.Session(ctx, bob.TokenHash); !errors.Is(err, ErrNotFound) {
		t.Errorf("pruned session: %v", err)
	}
	if err := s2.DeleteSession(ctx, alice.TokenHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Session(ctx, alice.TokenHash); !errors.Is(err, ErrNotFound) {
		t.Errorf("after logout: %v", err)
	}
	if err := s2.TouchSession(ctx, alice.TokenHash, t0, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("touch of a deleted session: %v", err)
	}
	if err := s2.DeleteSession(ctx, alice.TokenHash); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestSaveSessionInvalid(t *testing.T) {
	s, _, _ := newStore(t)
	long := string(make([]byte, 300))
	cases := []struct {
		name    string
		edit    func(*Session)
		wantErr string
	}{
		{"zero hash", func(ss *Session) { ss.TokenHash = [32]byte{} }, "store: save session: zero token hash: invalid argument"},
		{"no user", func(ss *Session) { ss.User = "" }, "store: save session: empty user: invalid argument"},
		{"no csrf", func(ss *Session) { ss.CSRF = "" }, "store: save session of alice: empty CSRF secret: invalid argument"},
		{"zero time", func(ss *Session) { ss.Expires = time.Time{} }, "store: save session of alice: a zero time: invalid argument"},
		{"long remote", func(ss *Session) { ss.Remote = long }, "store: save session remote is 300 bytes, at most 256: invalid argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ss := session("tok", "alice", t0)
			c.edit(&ss)
			err := s.SaveSession(context.Background(), ss)
			if err == nil || err.Error() != c.wantErr || !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}

// TestPruneDropsExpiredSessions: the console's periodic Prune deletes the
// sessions that have lapsed, and keeps the others.
func TestPruneDropsExpiredSessions(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	live, lapsed := session("live", "alice", t0), session("lapsed", "bob", t0.Add(-2*time.Hour))
	for _, ss := range []Session{live, lapsed} {
		if err := s.SaveSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, lapsed.TokenHash); !errors.Is(err, ErrNotFound) {
		t.Errorf("lapsed session after Prune: %v", err)
	}
	if _, err := s.Session(ctx, live.TokenHash); err != nil {
		t.Errorf("live session after Prune: %v", err)
	}
}
