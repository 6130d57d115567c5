package sharingtools

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/server/challenges"
)

// loginBody is POST /accounts/login's body.
type loginBody struct {
	Username     string  `json:"username"`
	Password     string  `json:"password"`
	Proxy        *string `json:"proxy"`
	TwofaSecret  *string `json:"twofa_secret"`
	ImapServer   *string `json:"imap_server"`
	ImapPort     *int    `json:"imap_port"`
	ImapUsername *string `json:"imap_username"`
	ImapPassword *string `json:"imap_password"`
}

// challengeJSON is the document's "challenge required" data.
type challengeJSON struct {
	NeedsChallenge bool   `json:"needs_challenge"`
	ChallengeToken string `json:"challenge_token"`
	ChallengeType  string `json:"challenge_type"`
	ExpiresIn      int    `json:"expires_in"`
	Relogin        bool   `json:"relogin"`
}

// login is "POST /accounts/login": a live login run by a worker, answered
// when the worker's verdict comes (or with 503 when none comes in time).
func (h *handlers) login(w http.ResponseWriter, r *http.Request) error {
	var b loginBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	out, err := h.Challenges.Login(r.Context(), challenges.LoginInput{
		Username: b.Username, Password: b.Password, Proxy: b.Proxy, TwofaSecret: b.TwofaSecret,
		ImapServer: b.ImapServer, ImapPort: b.ImapPort, ImapUsername: b.ImapUsername, ImapPassword: b.ImapPassword,
	})
	if err != nil {
		return err
	}
	h.writeOutcome(w, r, out)
	return nil
}

// challengeBody is POST /accounts/challenge's body.
type challengeBody struct {
	ChallengeToken string  `json:"challenge_token"`
	Code           *string `json:"code"`
	AutoImap       *bool   `json:"auto_imap"`
}

// submitChallenge is "POST /accounts/challenge": a code, typed or read
// from the mailbox given at login, for a pending challenge.
func (h *handlers) submitChallenge(w http.ResponseWriter, r *http.Request) error {
	var b challengeBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	out, err := h.Challenges.Submit(r.Context(), challenges.SubmitInput{
		ChallengeToken: b.ChallengeToken, Code: b.Code, AutoImap: b.AutoImap,
	})
	if err != nil {
		return err
	}
	h.writeOutcome(w, r, out)
	return nil
}

// writeOutcome answers a login or a challenge as the document shows.
func (h *handlers) writeOutcome(w http.ResponseWriter, r *http.Request, out *challenges.Outcome) {
	switch out.Result {
	case challenges.ResultCreated:
		writeOK(w, http.StatusCreated, "Account added successfully.", toAccountJSON(r.Context(), out.Account))
	case challenges.ResultRelogged:
		writeOK(w, http.StatusOK, "Account re-authenticated successfully.", toAccountJSON(r.Context(), out.Account))
	case challenges.ResultNeedsChallenge:
		writeOK(w, http.StatusOK, "Verification code required.", challengeJSON{
			NeedsChallenge: true, ChallengeToken: out.Token, ChallengeType: out.ChallengeType,
			ExpiresIn: int(out.ExpiresIn / time.Second), Relogin: out.Relogin,
		})
	case challenges.ResultRetry:
		writeRetry(w)
	}
}

// writeRetry is the document's 202: the mail with the code has not
// arrived; the same request should be sent again.
func writeRetry(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Retry-After", "5")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"result":0,"message":"Instagram email not yet received. Retry in a few seconds.","retry":true}` + "\n"))
}
