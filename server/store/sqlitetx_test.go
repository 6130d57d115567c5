package store

import (
	"context"
	"testing"
	"time"
)

// A transaction waits for the one before it and starts when that one
// ends, whether it commits, rolls back or is abandoned with its context.
func TestSQLiteTransactionTakesItsTurnWhenThePreviousEnds(t *testing.T) {
	st, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })

	for _, end := range []string{"commit", "rollback", "context"} {
		t.Run(end, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			first, err := st.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			began := make(chan error, 1)
			go func() {
				second, err := st.Client.Tx(t.Context())
				if err == nil {
					err = second.Rollback()
				}
				began <- err
			}()
			select {
			case err := <-began:
				t.Fatalf("second transaction began while the first was open (err %v)", err)
			case <-time.After(50 * time.Millisecond):
			}
			switch end {
			case "commit":
				err = first.Commit()
			case "rollback":
				err = first.Rollback()
			case "context":
				cancel() // database/sql rolls the transaction back
			}
			if err != nil {
				t.Fatal(err)
			}
			// Well within writeQueueWait, after which it would begin anyway.
			select {
			case err := <-began:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(writeQueueWait / 2):
				t.Fatal("the second transaction did not get its turn")
			}
		})
	}
}
