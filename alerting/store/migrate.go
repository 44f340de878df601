package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string // file name, for errors
	sql     string
}

// parseMigrationName reads the version from "NNNN_name.sql".
func parseMigrationName(name string) (int, error) {
	base, ok := strings.CutSuffix(name, ".sql")
	if !ok {
		return 0, fmt.Errorf("migration %q: name must end in .sql", name)
	}
	num, rest, ok := strings.Cut(base, "_")
	if !ok || rest == "" {
		return 0, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
	}
	if len(num) != 4 {
		return 0, fmt.Errorf("migration %q: version %q must have 4 digits", name, num)
	}
	v, err := strconv.Atoi(num)
	if err != nil || v <= 0 || strings.ContainsAny(num, "+-") {
		return 0, fmt.Errorf("migration %q: version %q must be a number from 0001", name, num)
	}
	return v, nil
}

// loadMigrations reads migrations/*.sql from fsys, in order, and checks
// that they are numbered 1, 2, 3 … without gaps or duplicates.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		v, err := parseMigrationName(path.Base(n))
		if err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", n, err)
		}
		ms = append(ms, migration{version: v, name: n, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (gap or duplicate)", m.name, m.version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations")
	}
	return ms, nil
}

// migrate brings the database to version upto (-1: the latest), one
// transaction per migration, each setting PRAGMA user_version in the same
// transaction so that a failed migration leaves the previous version
// intact. It reports the versions before and after.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, upto int) (from, to int, err error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return 0, 0, err
	}
	latest := len(ms)
	if upto < 0 || upto > latest {
		upto = latest
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	if from > latest {
		return from, from, fmt.Errorf("schema version %d, this program knows up to %d: upgrade cellsentry or restore a backup: %w", from, latest, ErrNewerSchema)
	}
	to = from
	for _, m := range ms[from:upto] {
		// Each migration in its own IMMEDIATE transaction; the version is
		// read again inside it, so that two processes opening the same
		// file at once do not both apply it.
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return from, to, fmt.Errorf("migration %s: %w", m.name, err)
		}
		var cur int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
			_ = tx.Rollback()
			return from, to, fmt.Errorf("migration %s: schema version: %w", m.name, err)
		}
		if cur >= m.version {
			_ = tx.Rollback()
			to = cur
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			_ = tx.Rollback()
			return from, to, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			_ = tx.Rollback()
			return from, to, fmt.Errorf("migration %s: set version: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return from, to, fmt.Errorf("migration %s: commit: %w", m.name, err)
		}
		to = m.version
	}
	return from, to, nil
}
