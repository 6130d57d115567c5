package testkit

import (
	"fmt"
	"sync"

	"github.com/pquerna/otp/totp"
)

// The scripted platform's secrets.
const (
	// IGPassword is the one password FakeInstagram accepts.
	IGPassword = "s3cret-pass"
	// IGMailedCode is the code FakeInstagram "e-mails".
	IGMailedCode = "123456"
	// IGTOTPSecret is a base-32 secret as authenticator apps show it.
	IGTOTPSecret = "JBSW Y3DP EHPK 3PXP"
)

// FakeInstagram scripts a worker's view of the platform, by username:
// plain logs in; mailer and imapper get an e-mailed code (IGMailedCode);
// twofa needs the TOTP code of IGTOTPSecret; checkpoint, ghost and flaky
// fail their own ways; any wrong password is refused.
type FakeInstagram struct {
	mu      sync.Mutex
	secrets map[string][]map[string]any // username → secrets seen, in order
	kinds   map[string][]string         // username → task kinds seen
}

// Run is the RunWorker script: a LOGIN or CHALLENGE_SUBMIT task's result.
// It is safe for concurrent use.
func (ig *FakeInstagram) Run(l WorkerLease) map[string]any {
	user, _ := l.Payload["username"].(string)
	ig.mu.Lock()
	ig.secrets[user] = append(ig.secrets[user], l.Secrets)
	ig.kinds[user] = append(ig.kinds[user], l.Kind)
	ig.mu.Unlock()
	ok := map[string]any{"outcome": "success", "instagramId": "17841400" + fmt.Sprint(len(user)), "session": "sessionid=abc"}
	if l.Kind == "CHALLENGE_SUBMIT" {
		code, _ := l.Secrets["code"].(string)
		switch {
		case user == "twofa" && totp.Validate(code, "JBSWY3DPEHPK3PXP"):
			return ok
		case user != "twofa" && code == IGMailedCode:
			return ok
		}
		return map[string]any{"outcome": "wrong_code"}
	}
	if l.Secrets["password"] != IGPassword {
		return map[string]any{"outcome": "bad_password", "message": "The password you entered is incorrect."}
	}
	switch user {
	case "mailer", "imapper":
		return map[string]any{"outcome": "challenge", "challengeType": "email", "contactPoint": "m***@example.com", "session": "challenge-ctx"}
	case "twofa":
		return map[string]any{"outcome": "two_factor"}
	case "checkpoint":
		return map[string]any{"outcome": "checkpoint"}
	case "ghost":
		return map[string]any{"outcome": "not_found"}
	case "flaky":
		return map[string]any{"outcome": "error", "message": "feedback_required"}
	}
	return ok
}

// Seen returns the task kinds and the lease secrets the worker received for
// user, in order.
func (ig *FakeInstagram) Seen(user string) ([]string, []map[string]any) {
	ig.mu.Lock()
	defer ig.mu.Unlock()
	return append([]string(nil), ig.kinds[user]...), append([]map[string]any(nil), ig.secrets[user]...)
}

// NewFakeInstagram returns a script for RunWorker.
func NewFakeInstagram() *FakeInstagram {
	return &FakeInstagram{secrets: map[string][]map[string]any{}, kinds: map[string][]string{}}
}
