package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestIssueTokenClaims(t *testing.T) {
	t.Parallel()
	e := setup(t, testkit.Open(t, testkit.SQLite))
	u := e.createUser(t, "alice", "admin", "")
	token, exp, err := e.svc.IssueToken(u)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return testSecret, nil },
		jwt.WithTimeFunc(e.clock.Now))
	if err != nil {
		t.Fatalf("parse issued token: %v", err)
	}
	if parsed.Method.Alg() != "HS256" {
		t.Errorf("alg = %s, want HS256", parsed.Method.Alg())
	}
	now := e.clock.Now().Unix()
	want := map[string]any{
		"sub": strconv.Itoa(u.ID), "wid": float64(u.WorkspaceID), "role": "admin", "iss": "switchboard",
		"iat": float64(now), "exp": float64(exp.Unix()),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		t.Error("token has no jti")
	}
	other, _, _ := e.svc.IssueToken(u)
	if other == token {
		t.Error("two tokens issued in the same second are identical")
	}
}

func TestAuthenticateRejectsSessionTokens(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		e := setup(t, st)
		u := e.createUser(t, "alice", "", "")
		disabled := e.createUser(t, "mallory", "", "")
		gone := e.createUser(t, "ghost", "", "")
		disabledToken, _, _ := e.svc.IssueToken(disabled)
		goneToken, _, _ := e.svc.IssueToken(gone)
		e.client.User.UpdateOne(disabled).SetDisabled(true).ExecX(sys(t))
		e.client.User.DeleteOne(gone).ExecX(sys(t))
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}

		now := e.clock.Now()
		claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
			c := jwt.MapClaims{
				"sub": strconv.Itoa(u.ID), "wid": u.WorkspaceID, "role": "member", "iss": "switchboard",
				"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "x",
			}
			if edit != nil {
				edit(c)
			}
			return c
		}
		sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(m, c).SignedString(key)
			if err != nil {
				t.Fatalf("sign %s: %v", m.Alg(), err)
			}
			return s
		}
		hs := func(edit func(jwt.MapClaims)) string { return sign(jwt.SigningMethodHS256, testSecret, claims(edit)) }
		valid := hs(nil)
		if _, err := e.svc.Authenticate(t.Context(), valid); err != nil {
			t.Fatalf("the unaltered token is rejected (%v): the cases below would prove nothing", err)
		}

		cases := []struct {
			name, token string
		}{
			{"expired", hs(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })},
			{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))},
			{"alg none with the HS256 signature kept", strings.Replace(valid, strings.SplitN(valid, ".", 2)[0], "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", 1)},
			{"HS512 with the right secret", sign(jwt.SigningMethodHS512, testSecret, claims(nil))},
			{"RS256", sign(jwt.SigningMethodRS256, rsaKey, claims(nil))},
			{"wrong secret", sign(jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdefghij"), claims(nil))},
			{"wrong issuer", hs(func(c jwt.MapClaims) { c["iss"] = "someone-else" })},
			{"no issuer", hs(func(c jwt.MapClaims) { delete(c, "iss") })},
			{"no expiry", hs(func(c jwt.MapClaims) { delete(c, "exp") })},
			{"not yet valid", hs(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })},
			{"subject not a user id", hs(func(c jwt.MapClaims) { c["sub"] = "alice" })},
			{"no subject", hs(func(c jwt.MapClaims) { delete(c, "sub") })},
			{"workspace not the user's", hs(func(c jwt.MapClaims) { c["wid"] = u.WorkspaceID + 1 })},
			{"tampered payload", tamper(valid)},
			{"disabled user", disabledToken},
			{"deleted user", goneToken},
			{"not a JWT", "hello"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				v, err := e.svc.Authenticate(t.Context(), tc.token)
				if !errors.Is(err, errs.ErrUnauthenticated) || v != nil {
					t.Fatalf("Authenticate = %v, %v; want unauthenticated", v, err)
				}
				if strings.Contains(err.Error(), tc.token) {
					t.Fatalf("error repeats the token: %v", err)
				}
			})
		}
	})
}

func TestSessionTokenExpiresAfterTTL(t *testing.T) {
	t.Parallel()
	st := testkit.Open(t, testkit.SQLite)
	c := testkit.NewClock(time.Now().Truncate(time.Second))
	svc := auth.NewService(st.Client, auth.Options{JWTSecret: testSecret, Now: c.Now, SessionTTL: time.Hour, Driver: st.Driver})
	u, err := svc.CreateUser(t.Context(), auth.CreateUserParams{Username: "alice", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	token, exp, err := svc.IssueToken(u)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("expiresAt = %v, want an hour from now", exp)
	}
	c.Advance(59 * time.Minute)
	if _, err := svc.Authenticate(t.Context(), token); err != nil {
		t.Fatalf("token rejected before its TTL: %v", err)
	}
	c.Advance(time.Minute)
	_, err = svc.Authenticate(t.Context(), token)
	if msg, _ := errs.PublicMessage(err); msg != "session token expired" {
		t.Fatalf("Authenticate after TTL = %v, want session token expired", err)
	}
}

func TestSessionTokenFollowsRoleChanges(t *testing.T) {
	t.Parallel()
	e := setup(t, testkit.Open(t, testkit.SQLite))
	u := e.createUser(t, "boss", "admin", "")
	token, _, _ := e.svc.IssueToken(u)
	e.client.User.UpdateOne(u).SetRole("member").ExecX(sys(t))
	v, err := e.svc.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	if v.IsAdmin() {
		t.Fatal("a demoted admin's old token still acts as admin")
	}
}

func TestIssueTokenNeedsAStoredUser(t *testing.T) {
	t.Parallel()
	e := setup(t, testkit.Open(t, testkit.SQLite))
	for _, u := range []*ent.User{nil, {}} {
		if _, _, err := e.svc.IssueToken(u); err == nil {
			t.Errorf("IssueToken(%v) succeeded", u)
		}
	}
}

// tamper changes one character of a token's payload, keeping its signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	b := []byte(parts[1])
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}
