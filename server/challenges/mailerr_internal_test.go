package challenges

import "testing"

func TestRedactRemovesThePasswordButNotPartsOfOtherWords(t *testing.T) {
	for _, tc := range []struct {
		name, text, password, want string
	}{
		{"short password inside words is left", "login failed in step", "in", "login failed [redacted] step"},
		{"short password alone", `NO [AUTHENTICATIONFAILED] LOGIN user "pw1" rejected`, "pw1", `NO [AUTHENTICATIONFAILED] LOGIN user "[redacted]" rejected`},
		{"short password at both ends", "ab is ab", "ab", "[redacted] is [redacted]"},
		{"short password overlapping a longer run", "aab ab", "ab", "aab [redacted]"},
		{"short password of marks next to letters", "login as x!?y", "!?", "login as x[redacted]y"},
		{"short password with a mark at its end", "user=bob% ok", "b%", "user=bob% ok"},
		{"long password anywhere", "LOGIN userhunter2hunter2x", "hunter2hunter2", "LOGIN user[redacted]x"},
		{"no password", "connection refused", "", "connection refused"},
		{"accented word characters", "échec: mot é", "é", "échec: mot [redacted]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact(tc.text, tc.password); got != tc.want {
				t.Errorf("redact(%q, %q) = %q, want %q", tc.text, tc.password, got, tc.want)
			}
		})
	}
}
