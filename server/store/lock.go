package store

import (
	"context"
	"fmt"
	"hash/fnv"

	"entgo.io/ent/dialect"

	"github.com/switchboardhq/switchboard/ent"
)

// LockTx serializes the transactions that take the lock called name, until
// tx ends. On PostgreSQL it is an advisory transaction lock on the name's
// hash; SQLite needs none, since its write transactions already run one at
// a time (immediate locking, see SQLiteDSN). Use it where a transaction
// decides from what it read — "no login of this name is running", "the
// plan has a free slot" — and two at once would both decide yes.
func LockTx(ctx context.Context, tx *ent.Tx, dbDialect, name string) error {
	if dbDialect != dialect.Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("switchboard " + name))
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}
