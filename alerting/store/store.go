package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Errors callers check with errors.Is.
var (
	// ErrNotFound: no incident or sensor by that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the action makes no sense in the current state
	// (acknowledging twice, resolving a resolved incident …).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: an argument is out of its allowed range (empty user,
	// unknown resolution, shelving into the past …).
	ErrInvalid = errors.New("invalid argument")
	// ErrNewerSchema: the database was written by a newer cellsentry.
	ErrNewerSchema = errors.New("database schema is newer than this program")
)

// Defaults of Options.
const (
	DefaultRetention = 400 * 24 * time.Hour
	DefaultMaxShelve = 7 * 24 * time.Hour
	// busyTimeout is how long a statement waits for another process's
	// write lock before failing with SQLITE_BUSY, in ms.
	busyTimeout = 5000
	// readers is the size of the read-only connection pool.
	readers = 4
	// maxNote bounds an operator's note or an audit detail, in bytes.
	maxNote = 4096
)

// Options configure a Store. Zero fields take their defaults.
type Options struct {
	// Retention: incidents closed longer ago than this are deleted by
	// Prune (default 400 days).
	Retention time.Duration
	// MaxShelve bounds how far ahead Shelve may set a sensor's shelving
	// (default 7 days): ISA-18.2 shelving is always time-limited.
	MaxShelve time.Duration
	// Log receives migrations and pruning (scoped by the caller, e.g.
	// With("stage", "store")); nil discards.
	Log *slog.Logger
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// Store is the console's database. Its methods are safe for concurrent use.
type Store struct {
	path string
	opt  Options
	log  *slog.Logger
	w    *sql.DB // one connection: every write
	r    *sql.DB // read-only pool

	stmts *writeStmts // on w
	// getInc reads one incident on r (Incident): prepared once, as the
	// console reads every incident of a batch back after writing it and
	// parsing the query (its alarm state's subqueries) costs more than
	// running it.
	getInc *sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating it if needed) the database at path and migrates it to
// the latest schema. It fails with ErrNewerSchema when the file was written
// by a newer version.
func Open(path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("store: open: empty path: %w", ErrInvalid)
	}
	if strings.ContainsAny(path, "?#") {
		// The driver splits the DSN at '?'.
		return nil, fmt.Errorf("store: open %s: a path with '?' or '#' is not supported: %w", path, ErrInvalid)
	}
	switch {
	case opt.Retention < 0:
		return nil, fmt.Errorf("store: open %s: retention %v must be positive: %w", path, opt.Retention, ErrInvalid)
	case opt.Retention == 0:
		opt.Retention = DefaultRetention
	}
	switch {
	case opt.MaxShelve < 0:
		return nil, fmt.Errorf("store: open %s: max shelve %v must be positive: %w", path, opt.MaxShelve, ErrInvalid)
	case opt.MaxShelve == 0:
		opt.MaxShelve = DefaultMaxShelve
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=1&_synchronous=NORMAL&_pragma=temp_store(memory)", busyTimeout)
	w, err := sql.Open("sqlite", path+"?"+common+"&_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	ctx := context.Background()
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		w.Close()
		return nil, fmt.Errorf("store: open %s: journal mode is %q, want wal (a file system without shared memory?)", path, mode)
	}
	from, to, err := migrate(ctx, w, migrationFS, -1)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if from != to {
		log.Info("schema migrated", "path", path, "from", from, "to", to)
	}
	// SQLite's advice for long-lived connections: analyze what needs it at
	// open (0x10002: every table, bounded work), again from time to time
	// (Prune) and at close, so the planner knows the tables' sizes.
	if _, err := w.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: optimize: %w", path, err)
	}
	stmts, err := prepareWrite(ctx, w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", path+"?"+common+"&_query_only=1")
	if err != nil {
		stmts.close()
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	getInc, err := r.PrepareContext(ctx, getIncidentQuery)
	if err != nil {
		stmts.close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("store: open %s: prepare: %w", path, err)
	}
	return &Store{path: path, opt: opt, log: log, w: w, r: r, stmts: stmts, getInc: getInc}, nil
}

// Close closes the database; the last connection to close checkpoints the
// WAL into the main file. Closing again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stmts.close()
		s.getInc.Close()
		_, err := s.w.Exec("PRAGMA optimize")
		s.closeErr = errors.Join(err, s.r.Close(), s.w.Close())
	})
	return s.closeErr
}

// now is the store's clock.
func (s *Store) now() time.Time { return s.opt.Now() }

// querier is what reads need: the read pool or a write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// write runs fn in a write transaction (BEGIN IMMEDIATE) and commits it.
// durable commits with synchronous=FULL, for operator actions and audit
// entries that must survive a power cut, not only a process crash.
func (s *Store) write(ctx context.Context, durable bool, fn func(tx *sql.Tx) error) (err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if durable {
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
			return err
		}
		defer func() {
			// Back to NORMAL for the ingest, even if ctx is done.
			if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=NORMAL"); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Times are stored as INTEGER nanoseconds since the Unix epoch, UTC, NULL
// for the zero time. Valid for 1678–2262.

func nsOf(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func timeOf(ns sql.NullInt64) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return time.Unix(0, ns.Int64).UTC()
}

// checkText bounds free text from operators.
func checkText(what, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%s is %d bytes, at most %d: %w", what, len(v), max, ErrInvalid)
	}
	return nil
}

// remoteKey carries the operator's remote address into audit entries.
type remoteKey struct{}

// WithRemote returns a context whose operator actions (Ack, Resolve, Shelve
// …) record remote (the client's address, as the web server saw it) in
// their audit entries.
func WithRemote(ctx context.Context, remote string) context.Context {
	return context.WithValue(ctx, remoteKey{}, remote)
}

func remoteOf(ctx context.Context) string {
	r, _ := ctx.Value(remoteKey{}).(string)
	return r
}
