package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const loginMutation = `mutation($i: LoginAccountInput!) { loginAccount(input: $i) {
	result challengeToken challengeType expiresIn account { id username status credentialsSet } challenge { id state method } } }`

const submitMutation = `mutation($i: SubmitChallengeInput!) { submitChallenge(input: $i) {
	result account { id username status } } }`

type gqlLogin struct {
	Result         string  `json:"result"`
	ChallengeToken *string `json:"challengeToken"`
	ChallengeType  *string `json:"challengeType"`
	ExpiresIn      *int    `json:"expiresIn"`
	Account        *struct {
		ID             string   `json:"id"`
		Username       string   `json:"username"`
		Status         string   `json:"status"`
		CredentialsSet []string `json:"credentialsSet"`
	} `json:"account"`
}

// A dashboard following challengeUpdated watches a login with an e-mailed
// code go by, state by state, while a GraphQL client logs in and submits
// the code.
func TestGraphQLLoginWithChallengeIsFollowedLive(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "lena", viewer.RoleMember, "lena-agency")
		session := srv.Login(t, "lena")
		srv.RunWorker(t, u, []string{"LOGIN", "CHALLENGE_SUBMIT"}, testkit.NewFakeInstagram().Run)

		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, http.Header{})
		if err := ws.Init(testkit.BearerPayload(session)); err != nil {
			t.Fatal(err)
		}
		// The scripted worker reads the hub directly, so the dashboard is
		// the one GraphQL subscriber.
		subStart(t, srv, ws, 1, "c", `subscription { challengeUpdated { username state method } }`, nil)

		var out struct {
			LoginAccount gqlLogin `json:"loginAccount"`
		}
		srv.MustGraphQL(t, session, loginMutation, map[string]any{"i": map[string]any{
			"username": "mailer", "password": testkit.IGPassword}}, &out)
		l := out.LoginAccount
		if l.Result != "NEEDS_CHALLENGE" || l.ChallengeToken == nil || len(*l.ChallengeToken) != 64 || *l.ChallengeType != "email" || *l.ExpiresIn < 590 {
			t.Fatalf("loginAccount %+v, want an email challenge", l)
		}
		// Each event carries the challenge as it is when delivered, so a
		// fast worker's intermediate state (SUBMITTED) may show twice or not
		// at all; the states a step waits for always show.
		var seen []string
		waitState := func(want string) {
			t.Helper()
			for {
				var ev struct {
					ChallengeUpdated struct{ Username, State, Method string } `json:"challengeUpdated"`
				}
				if err := json.Unmarshal(ws.ExpectData("c", 5*time.Second), &ev); err != nil {
					t.Fatal(err)
				}
				if ev.ChallengeUpdated.Username != "mailer" {
					t.Fatalf("event of %q", ev.ChallengeUpdated.Username)
				}
				seen = append(seen, ev.ChallengeUpdated.State)
				if ev.ChallengeUpdated.State == want {
					return
				}
			}
		}
		waitState("CODE_REQUESTED")
		wrong := srv.GraphQL(t, session, submitMutation, map[string]any{"i": map[string]any{"challengeToken": *l.ChallengeToken, "code": "999999"}})
		if wrong.Code() != "BAD_USER_INPUT" {
			t.Fatalf("a wrong code: %+v, want BAD_USER_INPUT", wrong.Errors)
		}
		waitState("CODE_REQUESTED")
		var done struct {
			SubmitChallenge gqlLogin `json:"submitChallenge"`
		}
		srv.MustGraphQL(t, session, submitMutation, map[string]any{"i": map[string]any{"challengeToken": *l.ChallengeToken, "code": testkit.IGMailedCode}}, &done)
		if r := done.SubmitChallenge; r.Result != "CREATED" || r.Account == nil || r.Account.Username != "mailer" || r.Account.Status != "ACTIVE" {
			t.Fatalf("submitChallenge %+v, want the account created", r)
		}
		waitState("RESOLVED")
		if len(seen) < 3 {
			t.Fatalf("challengeUpdated states %v", seen)
		}
	})
}

// The TOTP secret makes the server answer the two-factor step itself, and
// the account keeps the secret (encrypted, never shown) for later logins.
func TestGraphQLLoginWithTOTPSecretNeedsNoCode(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "tara", viewer.RoleMember, "tara-agency")
		session := srv.Login(t, "tara")
		srv.RunWorker(t, u, []string{"LOGIN", "CHALLENGE_SUBMIT"}, testkit.NewFakeInstagram().Run)
		var out struct {
			LoginAccount gqlLogin `json:"loginAccount"`
		}
		srv.MustGraphQL(t, session, loginMutation, map[string]any{"i": map[string]any{
			"username": "twofa", "password": testkit.IGPassword, "twofaSecret": testkit.IGTOTPSecret}}, &out)
		a := out.LoginAccount.Account
		if out.LoginAccount.Result != "CREATED" || a == nil || !strings.Contains(strings.Join(a.CredentialsSet, ","), "TOTP_SECRET") {
			t.Fatalf("loginAccount %+v, want the account created with its TOTP secret stored", out.LoginAccount)
		}
	})
}

// Only the lease holder, a worker, gets a login's secrets; a user session
// cannot claim tasks at all.
func TestLoginSecretsAreForWorkersOnly(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, func(c *config.Config) { c.LoginWait = 200 * time.Millisecond })
		srv.CreateUser(t, "uma", viewer.RoleMember, "uma-agency")
		session := srv.Login(t, "uma")
		r := srv.GraphQL(t, session, loginMutation, map[string]any{"i": map[string]any{"username": "plain", "password": testkit.IGPassword}})
		if r.Code() != "UNAVAILABLE" {
			t.Fatalf("login with no worker: %+v, want UNAVAILABLE", r.Errors)
		}
		claim := srv.GraphQL(t, session, `mutation { claimTasks(input: {kinds: [LOGIN]}) { leases { secrets } } }`, nil)
		if claim.Code() != "FORBIDDEN" {
			t.Fatalf("a session claiming a login: %+v, want FORBIDDEN", claim.Errors)
		}
	})
}
