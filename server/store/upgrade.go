package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboardhq/switchboard/ent/schema"
)

// upgrade brings a database written by an older Switchboard to the point
// where ent's migration can add what it adds: ent adds columns and indexes,
// but it cannot fill a new column from the rows' data (before a unique
// index over it is built, or from their JSON).
func (s *Store) upgrade(ctx context.Context) error {
	if err := s.addUsernameKeys(ctx); err != nil {
		return err
	}
	// The entities HighLevel names by ObjectId (schema.ObjectIDMixin) that
	// existed before it.
	for _, table := range []string{"users", "accounts", "posts", "categories", "jobs"} {
		if err := s.addObjectIDs(ctx, table); err != nil {
			return err
		}
	}
	return s.addTaskMetrics(ctx)
}

// taskMetrics are the tasks' metric columns and the key of each in an
// x_post result's metrics.
var taskMetrics = []struct{ column, key string }{
	{"metric_views", "views"}, {"metric_likes", "likes"}, {"metric_replies", "replies"}, {"metric_reposts", "retweets"},
}

// addTaskMetrics adds the tasks' metric columns to a database that
// predates them, filled from the metrics of the x_post results, which the
// spam feed's sums read from then on.
func (s *Store) addTaskMetrics(ctx context.Context) error {
	has, err := s.hasColumn(ctx, "tasks", "result")
	if err != nil || !has {
		return err // a new database: ent creates the table with the columns
	}
	if has, err = s.hasColumn(ctx, "tasks", taskMetrics[0].column); err != nil || has {
		return err
	}
	typ := "integer"
	if s.Driver.Dialect() == dialect.Postgres {
		typ = "bigint"
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add task metrics: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var sets []string
	for _, m := range taskMetrics {
		if _, err := tx.ExecContext(ctx, "ALTER TABLE tasks ADD COLUMN "+m.column+" "+typ+" NOT NULL DEFAULT 0"); err != nil {
			return fmt.Errorf("add task metrics: add column %s: %w", m.column, err)
		}
		v := s.Driver.JSONText("result", []string{"'metrics'", "'" + m.key + "'"})
		sets = append(sets, m.column+" = COALESCE(CAST("+v+" AS BIGINT), 0)")
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tasks SET "+strings.Join(sets, ", ")+" WHERE kind = 'X_POST' AND result IS NOT NULL"); err != nil {
		return fmt.Errorf("add task metrics: fill from results: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add task metrics: %w", err)
	}
	return nil
}

// addObjectIDs fills table.object_id on a database that predates it, each
// row's id made from its creation time, so that the unique index on it can
// be built.
func (s *Store) addObjectIDs(ctx context.Context, table string) error {
	has, err := s.hasColumn(ctx, table, "created_at")
	if err != nil || !has {
		return err // a new database: ent creates the table with the column
	}
	if has, err = s.hasColumn(ctx, table, "object_id"); err != nil || has {
		return err
	}
	typ := "text"
	if s.Driver.Dialect() == dialect.Postgres {
		typ = "character varying"
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add object ids to %s: %w", table, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "ALTER TABLE "+table+" ADD COLUMN object_id "+typ+" NOT NULL DEFAULT ''"); err != nil {
		return fmt.Errorf("add object ids to %s: add column: %w", table, err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, created_at FROM "+table)
	if err != nil {
		return fmt.Errorf("add object ids to %s: %w", table, err)
	}
	created := map[int]time.Time{}
	for rows.Next() {
		var id int
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return fmt.Errorf("add object ids to %s: %w", table, err)
		}
		created[id] = at
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("add object ids to %s: %w", table, err)
	}
	update, err := tx.PrepareContext(ctx, "UPDATE "+table+" SET object_id = "+s.Driver.Placeholder(1)+" WHERE id = "+s.Driver.Placeholder(2))
	if err != nil {
		return fmt.Errorf("add object ids to %s: %w", table, err)
	}
	defer update.Close()
	for id, at := range created {
		if _, err := update.ExecContext(ctx, schema.ObjectIDAt(at), id); err != nil {
			return fmt.Errorf("add object ids to %s: row %d: %w", table, id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add object ids to %s: %w", table, err)
	}
	return nil
}

// addUsernameKeys fills accounts.username_key (schema.UsernameKey of the
// username) on a database that predates it, so that the unique index on
// (workspace_id, platform, username_key) can be built. Accounts stored
// before the rule, whose names differ only in case from an older account
// of the same workspace and platform, are kept: the later ones get a key
// no username can produce (it holds upper case), so they stay reachable
// and any new account of that name is refused.
func (s *Store) addUsernameKeys(ctx context.Context) error {
	has, err := s.hasColumn(ctx, "accounts", "username")
	if err != nil || !has {
		return err // a new database: ent creates the table with the column
	}
	if has, err = s.hasColumn(ctx, "accounts", "username_key"); err != nil || has {
		return err
	}
	typ := "text"
	if s.Driver.Dialect() == dialect.Postgres {
		typ = "character varying"
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add username keys: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "ALTER TABLE accounts ADD COLUMN username_key "+typ+" NOT NULL DEFAULT ''"); err != nil {
		return fmt.Errorf("add username keys: add column: %w", err)
	}
	keys, err := usernameKeys(ctx, tx)
	if err != nil {
		return fmt.Errorf("add username keys: %w", err)
	}
	update, err := tx.PrepareContext(ctx, "UPDATE accounts SET username_key = "+s.Driver.Placeholder(1)+" WHERE id = "+s.Driver.Placeholder(2))
	if err != nil {
		return fmt.Errorf("add username keys: %w", err)
	}
	defer update.Close()
	for id, key := range keys {
		if _, err := update.ExecContext(ctx, key, id); err != nil {
			return fmt.Errorf("add username keys: account %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add username keys: %w", err)
	}
	return nil
}

// usernameKeys returns each account's username key, oldest account first
// to win a key that several names fold to.
func usernameKeys(ctx context.Context, tx *sql.Tx) (map[int]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, workspace_id, platform, username FROM accounts ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	defer rows.Close()
	type owner struct {
		workspace int
		platform  string
		key       string
	}
	taken := map[owner]bool{}
	keys := map[int]string{}
	for rows.Next() {
		var (
			id       int
			o        owner
			username string
		)
		if err := rows.Scan(&id, &o.workspace, &o.platform, &username); err != nil {
			return nil, fmt.Errorf("read accounts: %w", err)
		}
		o.key = schema.UsernameKey(username)
		key := o.key
		if taken[o] {
			key += "#DUPLICATE-" + strconv.Itoa(id)
		}
		taken[o] = true
		keys[id] = key
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	return keys, nil
}

// hasColumn reports whether table has column.
func (s *Store) hasColumn(ctx context.Context, table, column string) (bool, error) {
	q := "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?"
	if s.Driver.Dialect() == dialect.Postgres {
		q = "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, q, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("look for column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}
