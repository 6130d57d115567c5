package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/testkit"
)

// Queries shared by several tests.
const (
	viewerQuery = `{ viewer { user { id username } workspace { id name } apiKey { id scope } } }`

	nodeQuery = `query($id: ID!) { node(id: $id) { id __typename } }`

	createAccountMutation = `mutation($i: CreateAccountInput!) {
		createAccount(input: $i) { account { id platform username status credentialsSet } } }`
)

// viewerData is the decoded answer to viewerQuery.
type viewerData struct {
	Viewer struct {
		User struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"user"`
		Workspace struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"workspace"`
		APIKey *struct {
			ID    string `json:"id"`
			Scope string `json:"scope"`
		} `json:"apiKey"`
	} `json:"viewer"`
}

// gqlHeaders posts one operation with the given request headers, for
// credentials that are not a bearer token.
func gqlHeaders(t *testing.T, srv *testkit.Server, h http.Header, query string, vars map[string]any) *testkit.GQLResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	h = h.Clone()
	h.Set("Content-Type", "application/json")
	return srv.PostGraphQL(t, h, body)
}

// wantError fails the test unless r carries an error whose extensions.code
// is code (and, if field is not empty, whose extensions.field is field), and
// no data for the operation's root field.
func wantError(t *testing.T, r *testkit.GQLResponse, code, field string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want %s error, got none; data %s", code, r.Data)
	}
	if got := r.Code(); got != code {
		t.Fatalf("want error code %s, got %q: %+v", code, got, r.Errors)
	}
	if field != "" {
		if got, _ := r.Errors[0].Extensions["field"].(string); got != field {
			t.Fatalf("want extensions.field %q, got %q: %+v", field, got, r.Errors)
		}
	}
	if !noData(r.Data) {
		t.Fatalf("want no data with a %s error, got %s", code, r.Data)
	}
}

// noData reports whether data is absent, null, or an object whose every
// field is null.
func noData(data json.RawMessage) bool {
	if len(data) == 0 || string(data) == "null" {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	for _, v := range m {
		if string(v) != "null" {
			return false
		}
	}
	return true
}

// mustNotContain fails if any of secrets appears anywhere in r: its data or
// its errors.
func mustNotContain(t *testing.T, r *testkit.GQLResponse, secrets ...string) {
	t.Helper()
	whole := string(r.Data) + fmt.Sprintf("%+v", r.Errors)
	for _, s := range secrets {
		if strings.Contains(whole, s) {
			t.Errorf("response leaks secret %q: %s", s, whole)
		}
	}
}

// httpDo sends a request to the server and returns the status, headers and
// whole body.
func httpDo(t *testing.T, srv *testkit.Server, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, resp.Header, body
}

// httpGet is httpDo for a GET of path (with its query string).
func httpGet(t *testing.T, srv *testkit.Server, path string, h http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatalf("build GET %s: %v", path, err)
	}
	if h != nil {
		req.Header = h
	}
	return httpDo(t, srv, req)
}

// loginToken signs in through the login mutation, as a frontend does, and
// returns the session token.
func loginToken(t *testing.T, srv *testkit.Server, username string) string {
	t.Helper()
	var out struct {
		Login struct {
			Token string `json:"token"`
		} `json:"login"`
	}
	srv.MustGraphQL(t, "", `mutation($i: LoginInput!) { login(input: $i) { token } }`,
		map[string]any{"i": map[string]any{"username": username, "password": testkit.Password(username)}}, &out)
	if out.Login.Token == "" {
		t.Fatalf("login %s returned no token", username)
	}
	return out.Login.Token
}

// createAccount creates an account through GraphQL and returns its id.
func createAccount(t *testing.T, srv *testkit.Server, token string, input map[string]any) string {
	t.Helper()
	var out struct {
		CreateAccount struct {
			Account struct {
				ID string `json:"id"`
			} `json:"account"`
		} `json:"createAccount"`
	}
	srv.MustGraphQL(t, token, createAccountMutation, map[string]any{"i": input}, &out)
	return out.CreateAccount.Account.ID
}

// createPost creates a post through GraphQL and returns its id.
func createPost(t *testing.T, srv *testkit.Server, token string, input map[string]any) string {
	t.Helper()
	var out struct {
		CreatePost struct {
			Post struct {
				ID string `json:"id"`
			} `json:"post"`
		} `json:"createPost"`
	}
	srv.MustGraphQL(t, token, `mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } } }`,
		map[string]any{"i": input}, &out)
	return out.CreatePost.Post.ID
}

// createSchedule creates a schedule through GraphQL and returns its id.
func createSchedule(t *testing.T, srv *testkit.Server, token string, input map[string]any) string {
	t.Helper()
	var out struct {
		CreateSchedule struct {
			Schedule struct {
				ID string `json:"id"`
			} `json:"schedule"`
		} `json:"createSchedule"`
	}
	srv.MustGraphQL(t, token, `mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { schedule { id } } }`,
		map[string]any{"i": input}, &out)
	return out.CreateSchedule.Schedule.ID
}

// createAPIKey creates a key for the caller and returns its id and raw key.
func createAPIKey(t *testing.T, srv *testkit.Server, token, name, scope string) (id, raw string) {
	t.Helper()
	var out struct {
		CreateAPIKey struct {
			APIKey struct {
				ID string `json:"id"`
			} `json:"apiKey"`
			Key string `json:"key"`
		} `json:"createAPIKey"`
	}
	srv.MustGraphQL(t, token, `mutation($i: CreateAPIKeyInput!) { createAPIKey(input: $i) { apiKey { id } key } }`,
		map[string]any{"i": map[string]any{"name": name, "scope": scope}}, &out)
	return out.CreateAPIKey.APIKey.ID, out.CreateAPIKey.Key
}

// sorted returns a sorted copy of s, for order-insensitive comparisons.
func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
