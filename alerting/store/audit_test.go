package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAudit(t *testing.T) {
	ctx := WithRemote(context.Background(), "198.51.100.2:1234")
	s, c, _ := newStore(t)
	tests := []struct {
		name    string
		e       AuditEntry
		want    AuditEntry // ID filled in by the test
		wantErr string
	}{
		{name: "login, time and remote from the store",
			e:    AuditEntry{User: "ann", Action: "login"},
			want: AuditEntry{Time: t0, User: "ann", Action: "login", Remote: "198.51.100.2:1234"}},
		{name: "given time and remote",
			e:    AuditEntry{ID: 99, Time: t0.Add(-time.Hour), User: "adm", Action: "user-add", Target: "bob", Detail: "role guard", Remote: "::1"},
			want: AuditEntry{Time: t0.Add(-time.Hour), User: "adm", Action: "user-add", Target: "bob", Detail: "role guard", Remote: "::1"}},
		{name: "no action", e: AuditEntry{User: "ann"}, wantErr: "store: audit: empty action: invalid argument"},
		{name: "long detail", e: AuditEntry{Action: "x", Detail: strings.Repeat("d", maxNote+1)},
			wantErr: "store: audit: audit detail is 4097 bytes, at most 4096: invalid argument"},
		{name: "long user", e: AuditEntry{Action: "x", User: strings.Repeat("u", 257)},
			wantErr: "store: audit: audit user is 257 bytes, at most 256: invalid argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Audit(ctx, tc.e)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := must[[]AuditEntry](t)(s.AuditLog(ctx, time.Time{}, 0))
			var got AuditEntry
			for _, e := range l {
				if e.Action == tc.want.Action {
					got = e
				}
			}
			tc.want.ID = got.ID
			if got != tc.want || got.ID == 0 || got.ID == 99 {
				t.Errorf("stored %+v, want %+v", got, tc.want)
			}
		})
	}
	// AuditLog: newest first, since, limit.
	c.Add(time.Minute)
	if err := s.Audit(ctx, AuditEntry{User: "ann", Action: "logout"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		since time.Time
		limit int
		want  string
	}{
		{"all", time.Time{}, 0, "logout login user-add"},
		{"since", t0, 0, "logout login"},
		{"limit", time.Time{}, 2, "logout login"},
		{"future", t0.Add(time.Hour), 0, ""},
	} {
		t.Run("log "+tc.name, func(t *testing.T) {
			var acts []string
			for _, e := range must[[]AuditEntry](t)(s.AuditLog(ctx, tc.since, tc.limit)) {
				acts = append(acts, e.Action)
			}
			if got := strings.Join(acts, " "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAuditAppendOnly: the database refuses to change or delete audit
// entries, whoever asks; and the package has no statement that would.
func TestAuditAppendOnly(t *testing.T) {
	s, _, _ := newStore(t)
	if err := s.Audit(context.Background(), AuditEntry{User: "ann", Action: "login"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, sql, want string }{
		{"update", `UPDATE audit SET user = 'mallory'`, "audit log is append-only: UPDATE refused"},
		{"delete", `DELETE FROM audit`, "audit log is append-only: DELETE refused"},
		{"delete one", `DELETE FROM audit WHERE id = 1`, "audit log is append-only: DELETE refused"},
		{"replace", `INSERT OR REPLACE INTO audit (id, time, user, action) VALUES (1, 0, 'mallory', 'login')`, "audit log is append-only: REPLACE refused"},
		{"upsert", `INSERT INTO audit (id, time, user, action) VALUES (1, 0, 'mallory', 'login') ON CONFLICT (id) DO UPDATE SET user = excluded.user`, "audit log is append-only: REPLACE refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.w.Exec(tc.sql)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	e := lastAudit(t, s)
	if e.User != "ann" || auditCount(t, s) != 1 {
		t.Errorf("audit changed: %+v, %d entries", e, auditCount(t, s))
	}
	// No UPDATE or DELETE of the audit table in the package's code.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?i)(UPDATE\s+audit\b|DELETE\s+FROM\s+audit\b|REPLACE\s+INTO\s+audit\b)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := re.Find(b); m != nil {
			t.Errorf("%s: %q", f, m)
		}
	}
}
