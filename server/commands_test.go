package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) {
	serveIfAsked()
	testkit.Main(m)
}

// cli runs one command line as the binary would.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, &out, &errOut)
	return out.String(), err
}

func TestCommandsDoNotCreateADatabaseWithoutCreate(t *testing.T) {
	parent := t.TempDir()
	commands := [][]string{
		{"migrate"},
		{"users", "create", "--username", "ada", "--password", "correct horse"},
		{"keys", "create", "--username", "ada"},
		{"plans", "list"},
		{"subscriptions", "show", "--username", "ada"},
		{"wallet", "show", "--workspace", "ada"},
	}
	for _, dir := range []string{filepath.Join(parent, "mistyped"), t.TempDir()} {
		for _, c := range commands {
			_, err := cli(t, append(c, "--data-dir", dir)...)
			if err == nil || !strings.Contains(err.Error(), "--create") {
				t.Errorf("%s in %s = %v; want an error that mentions --create", c, dir, err)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) > 0 {
			t.Errorf("commands without --create left %d files in %s", len(entries), dir)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "mistyped")); err == nil {
		t.Error("a command without --create made the mistyped data dir")
	}
}

func TestCommandsWithCreateSetUpADatabaseTheNextCommandsUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := cli(t, "users", "create", "--create", "--data-dir", dir, "--username", "ada", "--password", "correct horse"); err != nil {
		t.Fatalf("users create --create: %v", err)
	}
	out, err := cli(t, "keys", "create", "--data-dir", dir, "--username", "ada", "--scope", "worker")
	if err != nil {
		t.Fatalf("keys create in the created data dir: %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); !strings.HasPrefix(lines[len(lines)-1], "sht_") {
		t.Fatalf("keys create printed %q; want the key as the last line", out)
	}
	for _, f := range []string{"switchboard.db", "secret.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--create made no %s: %v", f, err)
		}
	}
}

func TestCommandsRefuseAnotherMasterKey(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SWITCHBOARD_SECRET_KEY", strings.Repeat("c3", 32))
	if _, err := cli(t, "migrate", "--create", "--data-dir", dir); err != nil {
		t.Fatalf("migrate --create: %v", err)
	}
	t.Setenv("SWITCHBOARD_SECRET_KEY", strings.Repeat("d4", 32))
	_, err := cli(t, "users", "create", "--data-dir", dir, "--username", "ada", "--password", "correct horse")
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY") {
		t.Fatalf("users create with another key = %v; want a refusal naming SWITCHBOARD_SECRET_KEY", err)
	}
}

func TestCommandsOnAnEmptyPostgresDatabaseNeedCreate(t *testing.T) {
	url := testkit.PostgresURL(t)
	dir := t.TempDir()
	t.Setenv("SWITCHBOARD_SECRET_KEY", strings.Repeat("e5", 32))
	if _, err := cli(t, "migrate", "--database-url", url, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "--create") {
		t.Fatalf("migrate on an empty PostgreSQL database = %v; want an error that mentions --create", err)
	}
	if _, err := cli(t, "migrate", "--create", "--database-url", url, "--data-dir", dir); err != nil {
		t.Fatalf("migrate --create: %v", err)
	}
	if _, err := cli(t, "users", "create", "--database-url", url, "--data-dir", dir, "--username", "ada", "--password", "correct horse"); err != nil {
		t.Fatalf("users create after migrate --create: %v", err)
	}
}
