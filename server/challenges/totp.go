package challenges

import (
	"encoding/base32"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"
)

// normalizeTOTPSecret returns secret as authenticator apps print it
// (grouped, lower case, padded) in the canonical form: upper case, no
// spaces, no padding. It fails when what remains is not base 32.
func normalizeTOTPSecret(secret string) (string, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(strings.TrimSpace(secret)))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) == 0 || len(s) > 256 {
		return "", errors.New("not a base-32 secret")
	}
	return s, nil
}

// totpCode is the RFC 6238 code (30 s period, 6 digits, SHA-1: what
// Instagram's authenticator pairing uses) of secret at t.
func totpCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCode(secret, t)
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
