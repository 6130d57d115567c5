package challenges

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// LoginPayload names the login a LOGIN or CHALLENGE_SUBMIT task is a step
// of. The secrets are not in it: the lease holder gets them (Secrets).
type LoginPayload struct {
	LoginID  string `json:"loginId"`
	Username string `json:"username"`
	Platform string `json:"platform"`
	Relogin  bool   `json:"relogin"`
}

// Verdict is what a worker reports of a login step.
type Verdict struct {
	Outcome       Text   `json:"outcome"`
	Message       Text   `json:"message"`
	ChallengeType Text   `json:"challengeType"`
	ContactPoint  Text   `json:"contactPoint"`
	InstagramID   Text   `json:"instagramId"`
	Session       string `json:"session"` // opaque to us; sealed, never shown
}

// Text is a reported string that workers may also send as a number (an
// Instagram id often is one).
type Text string

// UnmarshalJSON takes a string, a number or null.
func (t *Text) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	default:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("must be a string or a number")
		}
		*t = Text(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return nil
}

// loginKind is the task kind of a login step (LOGIN or CHALLENGE_SUBMIT).
type loginKind = tasks.Kind[LoginPayload, Verdict]

// registerKinds registers the two kinds of a login's steps on ts; their
// verdicts settle the login they belong to.
func (s *Service) registerKinds(ts *tasks.Service) {
	h := tasks.Handler{Name: "challenges.verdict", Stage: tasks.StageOwner, Func: s.Changed}
	s.loginKind = tasks.Register[LoginPayload, Verdict](ts, task.KindLOGIN, h)
	s.submitKind = tasks.Register[LoginPayload, Verdict](ts, task.KindCHALLENGE_SUBMIT, h)
	s.registerOAuth(ts)
}
