package sharingtools_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/apikey"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/requestlog"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestAuthTokenCreatesAKeyOnceThenNamesIt(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "carol", "member", "carol-agency")
		f := &fixture{srv: srv}
		body := `{"username":"carol","password":"` + testkit.Password("carol") + `"}`

		first := f.do(t, http.MethodPost, "/auth/token", "", body).want(t, http.StatusCreated)
		var created struct {
			APIKey    string `json:"api_key"`
			KeyID     int    `json:"key_id"`
			KeyPrefix string `json:"key_prefix"`
		}
		first.decode(t, &created)
		if !strings.HasPrefix(created.APIKey, "sht_") || len(created.APIKey) != 68 || created.KeyPrefix != created.APIKey[:12] {
			t.Fatalf("created key %+v, want sht_ + 64 hex with its 12-character prefix", created)
		}
		f.do(t, http.MethodGet, "/user", created.APIKey, "").want(t, http.StatusOK)

		again := f.do(t, http.MethodPost, "/auth/token", "", body).want(t, http.StatusOK)
		var named map[string]any
		again.decode(t, &named)
		if named["api_key"] != nil || int(named["key_id"].(float64)) != created.KeyID || named["key_prefix"] != created.KeyPrefix {
			t.Fatalf("second token call %s, want the same key named, never its value", again.Raw)
		}
	})
}

func TestAuthTokenRefusesBadCredentialsAndBadBodies(t *testing.T) {
	t.Parallel()
	f := setup(t, testkit.Open(t, testkit.SQLite))
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"wrong password", `{"username":"alice","password":"nope-nope"}`, http.StatusUnauthorized, ""},
		{"unknown user", `{"username":"nobody","password":"nope-nope"}`, http.StatusUnauthorized, ""},
		{"missing password", `{"username":"alice"}`, http.StatusUnprocessableEntity, "password"},
		{"missing username", `{"password":"x"}`, http.StatusUnprocessableEntity, "username"},
		{"wrong type", `{"username":5,"password":"x"}`, http.StatusUnprocessableEntity, "username"},
		{"unknown field", `{"username":"alice","password":"x","otp":"1"}`, http.StatusUnprocessableEntity, "otp"},
		{"malformed JSON", `{"username":`, http.StatusBadRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, http.MethodPost, "/auth/token", "", tc.body)
			if tc.field != "" {
				r.wantField(t, tc.field)
				return
			}
			r.want(t, tc.status)
		})
	}
}

func TestRoutesRequireAUserAPIKey(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		worker := f.srv.APIKey(t, f.alice, "worker")
		session := f.srv.Login(t, "alice")
		cases := []struct {
			name   string
			header http.Header
			status int
		}{
			{"no key", http.Header{}, http.StatusUnauthorized},
			{"unknown key", http.Header{"X-Api-Key": {"sht_" + strings.Repeat("0", 64)}}, http.StatusUnauthorized},
			{"malformed key", http.Header{"X-Api-Key": {"sht_nope"}}, http.StatusUnauthorized},
			{"session token", http.Header{"Authorization": {"Bearer " + session}}, http.StatusUnauthorized},
			{"worker key", http.Header{"X-Api-Key": {worker}}, http.StatusForbidden},
			{"bearer key", http.Header{"Authorization": {"Bearer " + f.keyA}}, http.StatusOK},
			{"X-API-Key", http.Header{"X-Api-Key": {f.keyA}}, http.StatusOK},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f.doHeaders(t, http.MethodGet, "/user", tc.header, "").want(t, tc.status)
			})
		}
	})
}

func TestUserProfileReadAndPartialUpdate(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		var u map[string]any
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusOK).decode(t, &u)
		for _, k := range []string{"id", "email", "username", "firstname", "lastname", "account_type", "is_active",
			"is_expired", "package_id", "expire_date", "is_online", "last_activity_time", "date_joined"} {
			if _, ok := u[k]; !ok {
				t.Errorf("user object lacks %q: %v", k, u)
			}
		}
		if u["username"] != "alice" || u["account_type"] != "member" || u["is_active"] != true {
			t.Fatalf("user %v", u)
		}

		f.do(t, http.MethodPatch, "/user", f.keyA, `{"firstname":"Alice","email":"alice@acme.example"}`).want(t, http.StatusOK).decode(t, &u)
		if u["firstname"] != "Alice" || u["email"] != "alice@acme.example" || u["lastname"] != "" {
			t.Fatalf("after PATCH: %v", u)
		}
		f.do(t, http.MethodPut, "/user", f.keyA, `{"lastname":"Liddell"}`).want(t, http.StatusOK).decode(t, &u)
		if u["firstname"] != "Alice" || u["lastname"] != "Liddell" {
			t.Fatalf("after PUT: %v", u)
		}

		for body, field := range map[string]string{
			`{"email":"not an address"}`:                       "email",
			`{"firstname":"` + strings.Repeat("é", 101) + `"}`: "firstname",
			`{"username":"mallory"}`:                           "username",
			`{}`:                                               "body",
			`{"lastname":3}`:                                   "lastname",
		} {
			f.do(t, http.MethodPatch, "/user", f.keyA, body).wantField(t, field)
		}
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusOK).decode(t, &u)
		if u["firstname"] != "Alice" || u["lastname"] != "Liddell" || u["username"] != "alice" {
			t.Fatalf("a refused update changed the user: %v", u)
		}
		// Bob's profile is his own.
		f.do(t, http.MethodGet, "/user", f.keyB, "").want(t, http.StatusOK).decode(t, &u)
		if u["username"] != "bob" || u["firstname"] != "" {
			t.Fatalf("bob sees %v", u)
		}
	})
}

func TestKeysGenerateRevokesTheOldAndRevokeEndsTheCurrent(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		worker := f.srv.APIKey(t, f.alice, "worker")

		// The log entry of a request is written once it is answered, so
		// the next request may not see it yet.
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusOK)
		var info map[string]any
		for deadline := time.Now().Add(5 * time.Second); ; {
			f.do(t, http.MethodGet, "/keys", f.keyA, "").want(t, http.StatusOK).decode(t, &info)
			if info["last_used_ip"] != "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if info["key_prefix"] != f.keyA[:12] || info["is_active"] != true || info["last_used_ip"] != "127.0.0.1" || info["last_used_at"] == nil {
			t.Fatalf("key info %v", info)
		}

		var gen struct {
			APIKey string `json:"api_key"`
			Name   string `json:"name"`
		}
		f.do(t, http.MethodPost, "/keys/generate", f.keyA, `{"name":"ci"}`).want(t, http.StatusCreated).decode(t, &gen)
		if !strings.HasPrefix(gen.APIKey, "sht_") || gen.Name != "ci" {
			t.Fatalf("generated %+v", gen)
		}
		f.do(t, http.MethodGet, "/user", f.keyA, "").want(t, http.StatusUnauthorized)
		f.do(t, http.MethodGet, "/user", gen.APIKey, "").want(t, http.StatusOK)
		f.do(t, http.MethodGet, "/user", f.keyB, "").want(t, http.StatusOK) // another user's key is untouched
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		if !st.Client.APIKey.Query().Where(apikey.PrefixEQ(worker[:12]), apikey.RevokedAtIsNil()).ExistX(sys) {
			t.Fatal("generating a user key revoked the user's worker key")
		}
		f.do(t, http.MethodPost, "/keys/generate", gen.APIKey, `{"name":7}`).wantField(t, "name")

		f.do(t, http.MethodPost, "/keys/revoke", gen.APIKey, "").want(t, http.StatusOK)
		r := f.do(t, http.MethodGet, "/user", gen.APIKey, "").want(t, http.StatusUnauthorized)
		if !strings.Contains(strings.ToLower(r.Message), "revoked") {
			t.Fatalf("revoked key answer %q, want it to say revoked", r.Message)
		}
	})
}

func TestEveryKeyedRequestIsRecorded(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		h := http.Header{"X-Api-Key": {f.keyA}, "User-Agent": {"sharingtools-client/1.0"}}
		f.doHeaders(t, http.MethodGet, "/captions/12345", h, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodGet, "/user", "", "").want(t, http.StatusUnauthorized) // no key: nothing to record

		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		logs := st.Client.RequestLog.Query().Order(requestlog.ByID()).AllX(sys)
		for deadline := time.Now().Add(5 * time.Second); len(logs) == 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond) // written once the request is answered
			logs = st.Client.RequestLog.Query().Order(requestlog.ByID()).AllX(sys)
		}
		if len(logs) != 1 {
			t.Fatalf("%d request logs, want 1: %+v", len(logs), logs)
		}
		l := logs[0]
		if l.Method != "GET" || l.Endpoint != "/api/v1/captions/12345" || l.StatusCode != http.StatusNotFound ||
			l.UserAgent != "sharingtools-client/1.0" || l.IP != "127.0.0.1" || l.WorkspaceID != f.alice.WorkspaceID ||
			l.UserID == nil || *l.UserID != f.alice.ID || l.APIKeyID == nil {
			t.Fatalf("request log %+v", l)
		}
	})
}
