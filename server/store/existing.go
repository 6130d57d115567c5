package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"entgo.io/ent/dialect"
)

// ErrNoDatabase is returned by OpenExisting when there is no Switchboard
// database where it was told to look.
var ErrNoDatabase = errors.New("no Switchboard database")

// OpenExisting is Open for commands that must not create a database (the
// CLI's migrate, users and keys without --create): a mistyped --data-dir
// would otherwise leave the operator's users in a new, empty database nobody
// serves. It fails with an error wrapping ErrNoDatabase, and creates
// nothing, when the SQLite file does not exist or the database (SQLite or
// PostgreSQL) holds no Switchboard schema.
func OpenExisting(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	if !IsPostgres(databaseURL) {
		path := sqlitePath(databaseURL, dataDir)
		if path != "" {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s does not exist", ErrNoDatabase, path)
			} else if err != nil {
				return nil, fmt.Errorf("open database: %w", err)
			}
		}
	}
	st, err := Open(ctx, databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	ok, err := st.hasSchema(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("%w: the database holds no Switchboard tables", ErrNoDatabase)
	}
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// sqlitePath is the file a SQLite DSN names, or "" for one that names no
// file on disk (an in-memory database).
func sqlitePath(databaseURL, dataDir string) string {
	if databaseURL == "" {
		return filepath.Join(dataDir, "switchboard.db")
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(databaseURL, "file:"), "?")
	if path == "" || path == ":memory:" {
		return ""
	}
	return path
}

// hasSchema reports whether the users table exists: every migrated
// Switchboard database has one, and a database it was never run on does not.
func (s *Store) hasSchema(ctx context.Context) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'"
	if s.Driver.Dialect() == dialect.Postgres {
		q = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'users'"
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("look for the schema: %w", err)
	}
	return n > 0, nil
}
