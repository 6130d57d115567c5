package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/store"
)

// report runs fn on the task ref names inside a transaction, with the task
// locked (see lockTask). fn returns the task as it should be handed back: unchanged for
// an idempotent repeat, updated otherwise.
func (s *Service) report(ctx context.Context, op string, ref Ref, fn func(tx *ent.Tx, t *ent.Task, now time.Time) (*ent.Task, error)) (*ent.Task, error) {
	var out *ent.Task
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		t, err := lockTask(ctx, tx, s.driver, ref)
		if err != nil {
			return err
		}
		// Microseconds: what both databases keep, so the values mirrored
		// on the task (see write) are the stored ones.
		out, err = fn(tx, t, s.now().Truncate(time.Microsecond))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, ref, err)
	}
	return out.Unwrap(), nil
}

// canonicalJSON encodes a result the way it reads back from the database
// (numbers as float64, map keys sorted), so a result can be compared with
// the stored one. Nil and empty are the same result.
func canonicalJSON(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var norm map[string]any
	if err := json.Unmarshal(b, &norm); err != nil {
		return nil, err
	}
	return json.Marshal(norm)
}
