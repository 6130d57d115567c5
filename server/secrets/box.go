// Package secrets encrypts account credentials at rest (AES-256-GCM) and
// derives the server's other keys, such as the session-token secret, from one
// master key.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/crypto/hkdf"
)

// version1 marks a value sealed with AES-256-GCM under the key derived with
// infoSealV1. A later key or algorithm gets a new version; Open dispatches on
// the first byte, so old rows stay readable while they are re-sealed.
const version1 byte = 1

const (
	infoSealV1    = "switchboard secrets seal v1"
	infoDerivePfx = "switchboard secrets derive: "
)

// ErrUnreadable is returned by Open when a sealed value cannot be decrypted:
// it was tampered with, belongs to another row, was sealed under another key,
// or is truncated. Callers should treat the credential as missing.
var ErrUnreadable = errors.New("sealed secret cannot be opened")

// Box seals and opens secrets with keys derived from one master key. It is
// safe for concurrent use.
type Box struct {
	master []byte
	aead   cipher.AEAD
}

// New returns a Box for a 32-byte master key (see LoadKey). The sealing key
// is derived from the master key rather than being the master key itself, so
// no two uses (sealing, session tokens, ...) ever share key material.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: master key is %d bytes, want %d", len(key), KeySize)
	}
	master := append([]byte(nil), key...)
	block, err := aes.NewCipher(hkdfKey(master, infoSealV1))
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{master: master, aead: aead}, nil
}

// String keeps the key out of logs and %v output.
func (b *Box) String() string { return "secrets.Box{…}" }

// GoString keeps the key out of %#v output.
func (b *Box) GoString() string { return b.String() }

// Seal encrypts plaintext for the row id of table. The table and id are
// bound as associated data, so a sealed value copied into another row (or
// another table) does not open. The row must exist first: id must be
// positive, which catches sealing before the insert assigned one.
//
// Layout: version (1 byte) | nonce (12 bytes) | ciphertext and GCM tag.
func (b *Box) Seal(table string, id int, plaintext string) ([]byte, error) {
	if err := checkRow(table, id); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	// Random 96-bit nonces are safe for far more values than one server will
	// ever seal under one key (NIST's bound is 2^32).
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal %s:%d: nonce: %w", table, id, err)
	}
	return b.aead.Seal(out, out[1:], []byte(plaintext), associatedData(table, id)), nil
}

// Open decrypts a value sealed by Seal for the same table and id. Any
// mismatch or damage yields an error wrapping ErrUnreadable, never a panic.
func (b *Box) Open(table string, id int, sealed []byte) (string, error) {
	if err := checkRow(table, id); err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() {
		return "", fmt.Errorf("open %s:%d: %w: %d bytes is too short", table, id, ErrUnreadable, len(sealed))
	}
	if sealed[0] != version1 {
		return "", fmt.Errorf("open %s:%d: %w: unknown version %d", table, id, ErrUnreadable, sealed[0])
	}
	plain, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], associatedData(table, id))
	if err != nil {
		return "", fmt.Errorf("open %s:%d: %w: authentication failed", table, id, ErrUnreadable)
	}
	return string(plain), nil
}

// Derive returns a 32-byte subkey for purpose (e.g. "jwt" for the session
// token secret). The same master key and purpose always give the same
// subkey, so every replica derives the same secrets from the one key the
// operator manages; different purposes give independent keys.
func (b *Box) Derive(purpose string) []byte {
	return hkdfKey(b.master, infoDerivePfx+purpose)
}

// checkConstant is what CheckValue authenticates. Changing it would make
// every stored check value mismatch, so it never changes.
const checkConstant = "switchboard master key check v1"

// CheckValue returns a value that identifies the master key without
// revealing it: the hex HMAC-SHA256 of a constant under a key derived for
// this purpose alone. Stored in the database on first start, it lets a
// later start tell the right key from a wrong one before any secret is
// opened (see server/keycheck).
func (b *Box) CheckValue() string {
	mac := hmac.New(sha256.New, b.Derive("key check"))
	mac.Write([]byte(checkConstant))
	return hex.EncodeToString(mac.Sum(nil))
}

func hkdfKey(master []byte, info string) []byte {
	key := make([]byte, KeySize)
	// HKDF-SHA256 can produce up to 8160 bytes; reading 32 cannot fail.
	if _, err := io.ReadFull(hkdf.New(sha256.New, master, nil, []byte(info)), key); err != nil {
		panic("secrets: hkdf: " + err.Error())
	}
	return key
}

// associatedData is table + ":" + id. The id has no ':' in it, so the last
// ':' splits the string unambiguously and no two rows share associated data.
func associatedData(table string, id int) []byte {
	return []byte(table + ":" + strconv.Itoa(id))
}

func checkRow(table string, id int) error {
	if table == "" {
		return errors.New("table is required")
	}
	if id <= 0 {
		return fmt.Errorf("%s: id %d is not a stored row", table, id)
	}
	return nil
}
