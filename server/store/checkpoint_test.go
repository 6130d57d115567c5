package store

import (
	"os"
	"path/filepath"
	"testing"
)

// Writes leave their log to the background checkpointer, which keeps it
// short: 16 MiB written in 4,000 commits leave a log of a few MiB (it is
// started over), where SQLite's own checkpoint alone (the safety net, at
// 40 MiB) would have let it grow to all 16.
func TestSQLiteLogIsCheckpointedInTheBackground(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.DB.ExecContext(t.Context(), "CREATE TABLE blobs (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	drv := st.drv.(sqliteDriver)
	var maxLog int64
	for i := range 4_000 {
		tx, err := drv.Tx(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Exec(t.Context(), "INSERT INTO blobs (b) VALUES (randomblob(4096))", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			fi, err := os.Stat(filepath.Join(dir, "switchboard.db-wal"))
			if err != nil {
				t.Fatal(err)
			}
			maxLog = max(maxLog, fi.Size())
		}
	}
	if maxLog > 12<<20 {
		t.Errorf("the log grew to %d MiB", maxLog>>20)
	}
	if drv.ckpt.runs.Load() == 0 || drv.ckpt.failed.Load() > 0 {
		t.Errorf("%d checkpoints, %d failed", drv.ckpt.runs.Load(), drv.ckpt.failed.Load())
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	runs := drv.ckpt.runs.Load()
	drv.ckpt.wrote()
	if drv.ckpt.runs.Load() != runs {
		t.Error("the checkpointer ran after Close")
	}
}
