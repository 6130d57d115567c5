package app_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/keycheck"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	keyA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	keyB = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
)

// build builds an app on st the way serve does (it may create a key file).
func build(t *testing.T, st *store.Store, dataDir, secretKey string) (*app.App, error) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir, cfg.SecretKey, cfg.DatabaseURL, cfg.Create = dataDir, secretKey, st.URL, true
	a, err := app.New(t.Context(), cfg, zerolog.Nop(), st)
	if err == nil {
		t.Cleanup(func() { _ = a.Close() })
	}
	return a, err
}

func TestStartWithAnotherMasterKeyIsRefused(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		dir := t.TempDir()
		if _, err := build(t, st, dir, keyA); err != nil {
			t.Fatalf("first start: %v", err)
		}
		if _, err := build(t, st, dir, keyA); err != nil {
			t.Fatalf("second start with the same key: %v", err)
		}
		_, err := build(t, st, dir, keyB)
		if !errors.Is(err, keycheck.ErrMismatch) || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY") {
			t.Fatalf("start with another SWITCHBOARD_SECRET_KEY = %v; want a refusal naming SWITCHBOARD_SECRET_KEY", err)
		}

		// The same key from a key file is accepted; another key file, or
		// none where one is needed, is refused by its path.
		keyFile := filepath.Join(dir, secrets.KeyFileName)
		writeKey(t, keyFile, keyA)
		if _, err := build(t, st, dir, ""); err != nil {
			t.Fatalf("start with the right key file: %v", err)
		}
		writeKey(t, keyFile, keyB)
		_, err = build(t, st, dir, "")
		if !errors.Is(err, keycheck.ErrMismatch) || !strings.Contains(err.Error(), "key file "+keyFile) {
			t.Fatalf("start with another key file = %v; want a refusal naming %s", err, keyFile)
		}
		empty := t.TempDir()
		_, err = build(t, st, empty, "")
		if err == nil || !strings.Contains(err.Error(), filepath.Join(empty, secrets.KeyFileName)) {
			t.Fatalf("start without the key file = %v; want a refusal naming the missing file", err)
		}
		if _, statErr := os.Stat(filepath.Join(empty, secrets.KeyFileName)); statErr == nil {
			t.Fatal("a start on a database set up with a key created a new key file")
		}
	})
}

// A database set up before check values were stored holds credentials but
// no check value: the key is judged by opening one of them.
func TestStartWithAnotherKeyOnADatabaseWithoutCheckValueIsRefused(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "legacy", viewer.RoleMember, "")
		pw := "old-secret"
		if _, err := srv.App.Accounts.Create(testkit.ViewerContext(t.Context(), u), accounts.CreateInput{
			Platform: account.PlatformInstagram, Username: "legacy.shop",
			Credentials: accounts.Credentials{Password: &pw},
		}); err != nil {
			t.Fatalf("create account: %v", err)
		}
		if _, err := st.Client.Setting.Delete().Exec(privacy.DecisionContext(t.Context(), privacy.Allow)); err != nil {
			t.Fatalf("forget the check value: %v", err)
		}
		_, err := build(t, st, t.TempDir(), keyB)
		if !errors.Is(err, keycheck.ErrMismatch) || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY") {
			t.Fatalf("start with another key = %v; want a refusal naming SWITCHBOARD_SECRET_KEY", err)
		}
		if got, _ := keycheck.Stored(t.Context(), st.Client); got != "" {
			t.Fatal("a refused key stored its check value")
		}
	})
}

func writeKey(t *testing.T, path, key string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
