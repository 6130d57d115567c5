// Package keycheck guards the master key: on first start it records the
// key's check value (secrets.Box.CheckValue) in the database, and on every
// later start, by the server or a CLI command, it refuses a key whose check
// value differs. Without it, a wrong SWITCHBOARD_SECRET_KEY or a key file
// from another data dir starts a server that cannot open a single stored
// credential and fails each worker's claim instead.
package keycheck

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/setting"
	"github.com/switchboardhq/switchboard/server/secrets"
)

// settingKey is the Setting row that holds the check value.
const settingKey = "master_key_check"

// ErrMismatch is returned when the master key is not the one the database
// was set up with.
var ErrMismatch = errors.New("wrong master key")

// Probe opens something the database already holds with box; it lets
// Verify judge a key on a database set up before check values were stored.
// It returns nil when there is nothing to open.
type Probe func(ctx context.Context, box *secrets.Box) error

// Stored returns the check value the database holds, or "" if it holds
// none yet (a new database). A caller uses it to decide whether a missing
// key file may be created.
func Stored(ctx context.Context, client *ent.Client) (string, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	s, err := client.Setting.Query().Where(setting.Key(settingKey)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read master key check value: %w", err)
	}
	return s.Value, nil
}

// Verify compares box's check value with the database's, storing it when
// the database has none. source names where the key came from
// (secrets.KeySource) so the error says what to fix. On a database without
// a check value, probe (if not nil) must first open what is stored: such a
// database may hold secrets sealed under another key.
func Verify(ctx context.Context, client *ent.Client, box *secrets.Box, source string, probe Probe) error {
	want := box.CheckValue()
	got, err := Stored(ctx, client)
	if err != nil {
		return err
	}
	if got == "" {
		if probe != nil {
			if err := probe(ctx, box); err != nil {
				return fmt.Errorf("%w: the master key from %s cannot open the credentials this database holds (%v); start with the key they were stored with", ErrMismatch, source, err)
			}
		}
		// Replicas starting together on a new database race to store
		// theirs: the first wins, and the others compare against it below.
		err := client.Setting.Create().SetKey(settingKey).SetValue(want).
			OnConflictColumns(setting.FieldKey).DoNothing().
			Exec(privacy.DecisionContext(ctx, privacy.Allow))
		if err != nil {
			return fmt.Errorf("store master key check value: %w", err)
		}
		if got, err = Stored(ctx, client); err != nil {
			return err
		}
	}
	if got != want {
		return fmt.Errorf("%w: the master key from %s is not the key this database was set up with; start with that key (a new key cannot open any stored credential)", ErrMismatch, source)
	}
	return nil
}
