package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/server/secrets"
)

func TestLoadKeyFromEnv(t *testing.T) {
	t.Parallel()
	want := bytes.Repeat([]byte{0x5a, 0xc3}, secrets.KeySize/2)
	cases := []struct {
		name string
		env  string
	}{
		{"lowercase hex", hex.EncodeToString(want)},
		{"uppercase hex", strings.ToUpper(hex.EncodeToString(want))},
		{"hex with trailing newline", hex.EncodeToString(want) + "\n"},
		{"standard base64", base64.StdEncoding.EncodeToString(want)},
		{"url base64", base64.URLEncoding.EncodeToString(want)},
		{"unpadded base64", base64.RawStdEncoding.EncodeToString(want)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			got, err := secrets.LoadKey(dir, tc.env)
			if err != nil {
				t.Fatalf("LoadKey: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("LoadKey = %x, want %x", got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, secrets.KeyFileName)); !os.IsNotExist(err) {
				t.Fatalf("a key from the environment also wrote a key file (stat: %v)", err)
			}
		})
	}
}

func TestLoadKeyRejectsBadEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  string
	}{
		{"passphrase", "correct horse battery staple"},
		{"short hex", strings.Repeat("ab", 16)},
		{"long hex", strings.Repeat("ab", 33)},
		{"hex with a non-hex character", strings.Repeat("ab", 31) + "zz"},
		// 0xff bytes encode as "/": zero bytes would encode as "AAAA…",
		// which at 64 characters is valid hex, hence a valid key.
		{"base64 of 16 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 16))},
		{"base64 of 48 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 48))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := secrets.LoadKey(t.TempDir(), tc.env)
			if err == nil {
				t.Fatal("LoadKey accepted a malformed key")
			}
			if !strings.Contains(err.Error(), "64 hex") {
				t.Errorf("error does not explain the format: %v", err)
			}
			if strings.Contains(err.Error(), tc.env) {
				t.Errorf("error repeats the rejected key: %v", err)
			}
		})
	}
}

func TestLoadKeyCreatesFileOnceAndReloadsIt(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := secrets.LoadKey(dir, "")
	if err != nil {
		t.Fatalf("first LoadKey: %v", err)
	}
	if len(first) != secrets.KeySize {
		t.Fatalf("key is %d bytes, want %d", len(first), secrets.KeySize)
	}
	second, err := secrets.LoadKey(dir, "")
	if err != nil {
		t.Fatalf("second LoadKey: %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("second start loaded a different key")
	}

	path := filepath.Join(dir, secrets.KeyFileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != hex.EncodeToString(first) {
		t.Fatalf("key file holds %q, want the key in hex", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only %s (temporary file left behind?)", len(entries), secrets.KeyFileName)
	}
}

func TestLoadKeyFilePermissions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := secrets.LoadKey(dir, ""); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		dir:                                     0o700,
		filepath.Join(dir, secrets.KeyFileName): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}
}

func TestLoadKeyConcurrentFirstStartsAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := secrets.LoadKey(dir, "")
			if err != nil {
				t.Errorf("LoadKey: %v", err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if !bytes.Equal(keys[0], keys[i]) {
			t.Fatalf("concurrent first starts produced different keys")
		}
	}
}

func TestLoadKeyRefusesToReplaceCorruptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, secrets.KeyFileName)
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.LoadKey(dir, ""); err == nil {
		t.Fatal("LoadKey accepted a corrupt key file")
	}
	data, _ := os.ReadFile(path)
	if string(data) != "not a key\n" {
		t.Fatal("LoadKey overwrote an existing key file")
	}
}

func TestLoadKeyEnvWinsOverFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fromFile, err := secrets.LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	env := bytes.Repeat([]byte{9}, secrets.KeySize)
	got, err := secrets.LoadKey(dir, hex.EncodeToString(env))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, env) || bytes.Equal(got, fromFile) {
		t.Fatal("SWITCHBOARD_SECRET_KEY did not take precedence over the key file")
	}
}

func TestLoadKeyNeedsDataDirWithoutEnv(t *testing.T) {
	t.Parallel()
	if _, err := secrets.LoadKey("", ""); err == nil {
		t.Fatal("LoadKey with neither a key nor a data dir succeeded")
	}
}
