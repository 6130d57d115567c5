package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length in bytes of the master key.
const KeySize = 32

// KeyFileName is the file in the data directory that holds the master key
// when SWITCHBOARD_SECRET_KEY is not set.
const KeyFileName = "secret.key"

// errKeyFormat explains the accepted formats; it never quotes the value it
// rejected, since that value is (meant to be) a secret.
var errKeyFormat = errors.New("want 64 hex characters or the base64 of 32 bytes; generate one with `openssl rand -hex 32`")

// LoadKey returns the 32-byte master key. envKey is the value of
// SWITCHBOARD_SECRET_KEY: 64 hex characters or the standard (or URL-safe)
// base64 of 32 bytes, used as is. Anything else is an error rather than a
// passphrase stretched into a key: a short human-chosen passphrase would give
// credentials at rest far less protection than the operator thinks, and a
// typo'd key should stop the server, not silently make every stored secret
// unreadable.
//
// With envKey empty the key lives in <dataDir>/secret.key (hex, mode 0600),
// created with a fresh random key on first start (the directory is created
// with mode 0700 if missing). An existing file is never overwritten: losing
// the key loses every stored credential.
func LoadKey(dataDir, envKey string) ([]byte, error) {
	key, err := ReadKey(dataDir, envKey)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	return createKeyFile(dataDir, filepath.Join(dataDir, KeyFileName))
}

// ReadKey is LoadKey without creating the key file: a missing file is an
// error wrapping fs.ErrNotExist. A database that already holds secrets must
// be opened with the key it was set up with, never with a fresh one.
func ReadKey(dataDir, envKey string) ([]byte, error) {
	if envKey = strings.TrimSpace(envKey); envKey != "" {
		key, err := parseKey(envKey)
		if err != nil {
			return nil, fmt.Errorf("SWITCHBOARD_SECRET_KEY: %w", err)
		}
		return key, nil
	}
	if dataDir == "" {
		return nil, errors.New("load secret key: no SWITCHBOARD_SECRET_KEY and no data directory for " + KeyFileName)
	}
	return readKeyFile(filepath.Join(dataDir, KeyFileName))
}

// KeySource names where LoadKey and ReadKey take the master key from, for
// messages an operator acts on: the environment variable, or the key file's
// path. It never includes the key.
func KeySource(dataDir, envKey string) string {
	if strings.TrimSpace(envKey) != "" {
		return "SWITCHBOARD_SECRET_KEY"
	}
	return "key file " + filepath.Join(dataDir, KeyFileName)
}

// parseKey accepts hex first: 64 hex characters are never valid base64 of 32
// bytes (that is 44 characters), so the order cannot misread a key.
func parseKey(s string) ([]byte, error) {
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, errKeyFormat
}

func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	key, err := parseKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file and links it into place.
// The link fails if another process got there first, so two servers starting
// together on one data directory end up with the same key: the loser reads
// the winner's complete file instead of racing it or overwriting it.
func createKeyFile(dataDir, path string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir for secret key: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".secret.key-*")
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod states it rather than relying on it.
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, fmt.Errorf("install secret key file %s: %w", path, err)
	}
	return key, nil
}
