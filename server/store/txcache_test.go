package store_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// Transactions run their statements prepared and kept by text. A schema
// change under a kept statement (another replica's migration) may fail its
// next run — PostgreSQL refuses a prepared statement whose result columns
// changed — but only that once: the statement is prepared afresh next time.
func TestTransactionStatementsOutliveASchemaChange(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		exec := func(q string) {
			t.Helper()
			if _, err := st.DB.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		exec("CREATE TABLE kept (id INTEGER PRIMARY KEY, v TEXT)")
		exec("INSERT INTO kept (id, v) VALUES (1, 'a')")
		read := func() (int, error) {
			var cols int
			err := store.WithTx(ctx, st.Client, func(tx *ent.Tx) error {
				rows, err := tx.QueryContext(ctx, "SELECT * FROM kept")
				if err != nil {
					return err
				}
				defer rows.Close()
				names, err := rows.Columns()
				cols = len(names)
				for rows.Next() {
				}
				return errorsJoin(err, rows.Err())
			})
			return cols, err
		}
		for range 3 {
			if _, err := read(); err != nil {
				t.Fatalf("read before the change: %v", err)
			}
		}
		exec("ALTER TABLE kept ADD COLUMN w TEXT")
		var cols int
		var err error
		for range 2 {
			if cols, err = read(); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("read after the change failed twice: %v", err)
		}
		if cols != 3 {
			t.Fatalf("read after the change sees %d columns, want 3", cols)
		}
	})
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
