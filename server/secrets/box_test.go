package secrets_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/secrets"
)

func newBox(t *testing.T) *secrets.Box {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	for _, plain := range []string{"", "hunter2", "päßwörd ✓", strings.Repeat("cookie=abc; ", 1000)} {
		sealed, err := b.Seal("accounts", 42, plain)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if plain != "" && bytes.Contains(sealed, []byte(plain)) {
			t.Fatalf("sealed value contains the plaintext")
		}
		got, err := b.Open("accounts", 42, sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got != plain {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	s1, _ := b.Seal("accounts", 1, "same")
	s2, _ := b.Seal("accounts", 1, "same")
	if bytes.Equal(s1, s2) {
		t.Fatal("sealing the same value twice gave identical output")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	sealed, err := b.Seal("accounts", 7, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	cases := []struct {
		name   string
		table  string
		id     int
		sealed []byte
		box    *secrets.Box
	}{
		{"other id", "accounts", 8, sealed, b},
		{"other table", "proxies", 7, sealed, b},
		{"table and id shifted across the separator", "accounts:7", 7, sealed, b},
		{"tampered version", "accounts", 7, flip(0), b},
		{"tampered nonce", "accounts", 7, flip(1), b},
		{"tampered ciphertext", "accounts", 7, flip(14), b},
		{"tampered tag", "accounts", 7, flip(len(sealed) - 1), b},
		{"truncated", "accounts", 7, sealed[:len(sealed)-1], b},
		{"too short for a header", "accounts", 7, sealed[:5], b},
		{"empty", "accounts", 7, nil, b},
		{"other key", "accounts", 7, sealed, newBox(t)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.box.Open(tc.table, tc.id, tc.sealed)
			if !errors.Is(err, secrets.ErrUnreadable) {
				t.Fatalf("Open = %q, %v; want ErrUnreadable", got, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error reveals the plaintext: %v", err)
			}
		})
	}
}

func TestSealRejectsUnsavedRow(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	for _, tc := range []struct {
		table string
		id    int
	}{{"", 1}, {"accounts", 0}, {"accounts", -1}} {
		if _, err := b.Seal(tc.table, tc.id, "x"); err == nil {
			t.Errorf("Seal(%q, %d) succeeded, want an error", tc.table, tc.id)
		}
	}
}

func TestNewRejectsWrongKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := secrets.New(make([]byte, n)); err == nil {
			t.Errorf("New with a %d-byte key succeeded", n)
		}
	}
}

func TestNewCopiesKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, secrets.KeySize)
	b, _ := secrets.New(key)
	before := b.Derive("jwt")
	key[0] = 8
	if !bytes.Equal(before, b.Derive("jwt")) {
		t.Fatal("changing the caller's key slice changed the Box")
	}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{1}, secrets.KeySize)
	b1, _ := secrets.New(key)
	b2, _ := secrets.New(key)
	jwt := b1.Derive("jwt")
	if len(jwt) != 32 {
		t.Fatalf("Derive returned %d bytes, want 32", len(jwt))
	}
	if !bytes.Equal(jwt, b2.Derive("jwt")) {
		t.Fatal("same key and purpose derived different subkeys")
	}
	if bytes.Equal(jwt, b1.Derive("csrf")) {
		t.Fatal("different purposes derived the same subkey")
	}
	if bytes.Equal(jwt, key) {
		t.Fatal("subkey equals the master key")
	}
	other := newBox(t)
	if bytes.Equal(jwt, other.Derive("jwt")) {
		t.Fatal("different master keys derived the same subkey")
	}
}

func TestBoxFormattingHidesKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xAB}, secrets.KeySize)
	b, _ := secrets.New(key)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, b)
		if strings.Contains(strings.ToLower(out), "abab") || strings.Contains(out, "171") {
			t.Errorf("%s of a Box shows key material: %s", verb, out)
		}
	}
}
