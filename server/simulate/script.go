package simulate

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// The outcomes a script step can report.
const (
	OutcomeSuccess   = "success"
	OutcomeFail      = "fail"
	OutcomeChallenge = "challenge"
)

// loginVerdicts are the other answers of a login or a code (see
// server/challenges), reported as the task's result outcome as they are.
var loginVerdicts = []string{"two_factor", "bad_password", "checkpoint", "not_found", "wrong_code"}

const wantOutcomes = "success, fail, challenge, two_factor, bad_password, checkpoint, not_found or wrong_code"

// Script says what the simulator reports for each task. Steps of a kind are
// used in turn, cycling; a kind without steps gets Default.
//
//	{"default": "success",
//	 "kinds": {"post_publish": [{"outcome": "success", "link": "https://example.invalid/p/{task}"},
//	                            {"outcome": "fail", "error": "rate limited", "retryable": true}],
//	           "login": [{"outcome": "challenge", "challenge": "email"}]},
//	 "delay": "200ms"}
type Script struct {
	// Default is the outcome of kinds without steps: success (the
	// default), fail or challenge.
	Default string `json:"default"`
	// Kinds maps a task kind (post_publish or POST_PUBLISH) to its steps.
	Kinds map[string][]Step `json:"kinds"`
	// Delay is how long each task "runs" before it is reported.
	Delay Duration `json:"delay"`

	mu   sync.Mutex
	next map[string]int // kind → index of its next step
}

// Step is one scripted outcome.
type Step struct {
	Outcome string `json:"outcome"`
	// Link is the published post's address on success; {task} is replaced
	// by the task id. Default https://example.invalid/<kind>/<task>.
	Link string `json:"link,omitempty"`
	// Error is the failure reason. Default "simulated failure".
	Error string `json:"error,omitempty"`
	// Retryable asks for another attempt on failure. Default true, as in
	// the failTask mutation.
	Retryable *bool `json:"retryable,omitempty"`
	// Challenge is the login challenge method reported (email, sms, ...),
	// as the result's challengeType (and, for older readers, challenge).
	Challenge string `json:"challenge,omitempty"`
	// Delay overrides the script's delay for this step.
	Delay *Duration `json:"delay,omitempty"`
}

// Duration is a time.Duration written as "200ms" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "1.5s" (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("duration: want a string like \"200ms\"")
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes d as "200ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadScript reads and validates a script file.
func LoadScript(path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	return ParseScript(b)
}

// ParseScript decodes and validates a script.
func ParseScript(b []byte) (*Script, error) {
	var s Script
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse script: %w", err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	return &s, nil
}

func (s *Script) validate() error {
	if s.Default == "" {
		s.Default = OutcomeSuccess
	}
	if !validOutcome(s.Default) {
		return fmt.Errorf("default: unknown outcome %q (want %s)", s.Default, wantOutcomes)
	}
	if s.Delay < 0 {
		return fmt.Errorf("delay: must not be negative")
	}
	kinds := make(map[string][]Step, len(s.Kinds))
	for k, steps := range s.Kinds {
		kind, err := ParseKind(k)
		if err != nil {
			return fmt.Errorf("kinds: %w", err)
		}
		for i, st := range steps {
			if !validOutcome(st.Outcome) {
				return fmt.Errorf("kinds.%s[%d]: unknown outcome %q (want %s)", k, i, st.Outcome, wantOutcomes)
			}
			if st.Delay != nil && *st.Delay < 0 {
				return fmt.Errorf("kinds.%s[%d].delay: must not be negative", k, i)
			}
		}
		kinds[kind] = steps
	}
	s.Kinds = kinds
	return nil
}

func validOutcome(o string) bool {
	return o == OutcomeSuccess || o == OutcomeFail || o == OutcomeChallenge || slices.Contains(loginVerdicts, o)
}

// step returns the next step for kind (upper case) and its delay.
func (s *Script) step(kind string) (Step, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Step{Outcome: s.Default}
	if steps := s.Kinds[kind]; len(steps) > 0 {
		if s.next == nil {
			s.next = make(map[string]int)
		}
		i := s.next[kind]
		s.next[kind] = (i + 1) % len(steps)
		st = steps[i]
	}
	d := time.Duration(s.Delay)
	if st.Delay != nil {
		d = time.Duration(*st.Delay)
	}
	return st, d
}

// retryable reports the step's retryable flag, true when unset.
func (st Step) retryable() bool { return st.Retryable == nil || *st.Retryable }
