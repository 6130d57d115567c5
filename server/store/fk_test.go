package store

import (
	"testing"
)

// Every connection of a migrated SQLite store enforces foreign keys. ent's
// SQLite migration turns them off on one pooled connection and back on on
// whichever the pool hands it next; with a second connection busy (the
// checkpointer) the two could differ, leaving a connection that ignored
// foreign keys for good (CI saw the next migration refuse to start).
func TestSQLiteConnectionsKeepForeignKeysAfterMigrating(t *testing.T) {
	for range 10 {
		st, err := Open(t.Context(), "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// The checkpointer, nudged by the migration's writes, uses the
		// pool meanwhile; so may anything else.
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
					st.drv.(sqliteDriver).ckpt.wrote()
					var one int
					_ = st.DB.QueryRowContext(t.Context(), "SELECT 1").Scan(&one)
				}
			}
		}()
		for range 2 {
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		<-done
		var conns []func() error
		for i := range 8 {
			c, err := st.DB.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c.Close)
			var on int
			if err := c.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&on); err != nil {
				t.Fatal(err)
			}
			if on != 1 {
				t.Errorf("connection %d: foreign_keys = %d", i, on)
			}
		}
		for _, c := range conns {
			_ = c()
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
