package app_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestLoginMutationIssuesATokenForTheViewer(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "carol", viewer.RoleMember, "carol-agency")

		const login = `mutation($i: LoginInput!) { login(input: $i) { token expiresAt user { username } } }`
		var out struct {
			Login struct {
				Token     string    `json:"token"`
				ExpiresAt time.Time `json:"expiresAt"`
				User      struct {
					Username string `json:"username"`
				} `json:"user"`
			} `json:"login"`
		}
		before := time.Now()
		srv.MustGraphQL(t, "", login, map[string]any{"i": map[string]any{
			"username": "carol", "password": testkit.Password("carol"),
		}}, &out)
		if out.Login.Token == "" || out.Login.User.Username != "carol" {
			t.Fatalf("login = %+v, want a token for carol", out.Login)
		}
		if ttl := out.Login.ExpiresAt.Sub(before); ttl < 23*time.Hour || ttl > 24*time.Hour+time.Minute {
			t.Errorf("token expires in %s, want the default session TTL of 24h", ttl)
		}

		var v viewerData
		srv.MustGraphQL(t, out.Login.Token, viewerQuery, nil, &v)
		if v.Viewer.User.Username != "carol" || v.Viewer.Workspace.Name != "carol-agency" || v.Viewer.APIKey != nil {
			t.Errorf("viewer = %+v, want carol in carol-agency without an API key", v.Viewer)
		}

		// A wrong password and an unknown user are refused alike, so
		// usernames cannot be probed.
		wrong := srv.GraphQL(t, "", login, map[string]any{"i": map[string]any{"username": "carol", "password": "nope-nope-nope"}})
		wantError(t, wrong, "UNAUTHENTICATED", "")
		unknown := srv.GraphQL(t, "", login, map[string]any{"i": map[string]any{"username": "nobody", "password": "nope-nope-nope"}})
		wantError(t, unknown, "UNAUTHENTICATED", "")
		if wrong.Errors[0].Message != unknown.Errors[0].Message {
			t.Errorf("wrong password says %q, unknown user says %q: want the same message",
				wrong.Errors[0].Message, unknown.Errors[0].Message)
		}
	})
}

// accountFields selects every Account field a client can see.
const accountFields = `id uuid platform username displayName status errorCode errorMessage email proxy
	imapHost imapPort imapUsername linkProfile energyBudget stats tags lastLoginAt lastActionAt credentialsSet`

func TestAccountLifecycleNeverReturnsCredentials(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "alice", viewer.RoleMember, "alice-agency")
		tok := loginToken(t, srv, "alice")

		const (
			password  = "Pw4SecretValueAlpha77"
			totp      = "JBSWY3DPEHPK3PXPSECRET"
			cookie    = "sessionid=CookieSecretValue42"
			password2 = "Pw4SecretValueBravo88"
		)
		type account struct {
			ID             string   `json:"id"`
			Platform       string   `json:"platform"`
			Username       string   `json:"username"`
			DisplayName    string   `json:"displayName"`
			Status         string   `json:"status"`
			CredentialsSet []string `json:"credentialsSet"`
		}
		var created struct {
			CreateAccount struct{ Account account } `json:"createAccount"`
		}
		r := srv.GraphQL(t, tok, `mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { `+accountFields+` } } }`,
			map[string]any{"i": map[string]any{
				"platform": "INSTAGRAM", "username": "alice.ig", "email": "alice@example.com",
				"password": password, "totpSecret": totp, "cookie": cookie,
			}})
		mustNotContain(t, r, password, totp, cookie)
		r.Decode(t, &created)
		acc := created.CreateAccount.Account
		if acc.Platform != "INSTAGRAM" || acc.Username != "alice.ig" || acc.Status != "PENDING" {
			t.Errorf("created account = %+v", acc)
		}
		if got, want := sorted(acc.CredentialsSet), []string{"COOKIE", "PASSWORD", "TOTP_SECRET"}; !slices.Equal(got, want) {
			t.Errorf("credentialsSet = %v, want %v", got, want)
		}

		// Stored encrypted: the plaintext is not in the row either.
		var enc []byte
		q := "SELECT password_enc FROM accounts WHERE id = " + acc.ID
		if err := st.DB.QueryRowContext(t.Context(), q).Scan(&enc); err != nil {
			t.Fatalf("read password_enc: %v", err)
		}
		if len(enc) == 0 || strings.Contains(string(enc), password) {
			t.Errorf("password_enc = %q, want a ciphertext", enc)
		}

		for name, query := range map[string]string{
			"accounts": `{ accounts { edges { node { ` + accountFields + ` } } } }`,
			"node":     `query($id: ID!) { node(id: $id) { ... on Account { ` + accountFields + ` } } }`,
			"nodes":    `query($id: ID!) { nodes(ids: [$id]) { ... on Account { ` + accountFields + ` } } }`,
		} {
			r := srv.GraphQL(t, tok, query, map[string]any{"id": acc.ID})
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "alice.ig") {
				t.Errorf("%s query: errors %+v, data %s", name, r.Errors, r.Data)
			}
			mustNotContain(t, r, password, totp, cookie)
		}

		// Update: change fields, replace the password, clear the TOTP secret.
		var updated struct {
			UpdateAccount struct{ Account account } `json:"updateAccount"`
		}
		r = srv.GraphQL(t, tok, `mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { `+accountFields+` } } }`,
			map[string]any{"i": map[string]any{
				"id": acc.ID, "displayName": "Alice on IG", "status": "ACTIVE", "password": password2, "totpSecret": "",
			}})
		mustNotContain(t, r, password, password2, totp, cookie)
		r.Decode(t, &updated)
		u := updated.UpdateAccount.Account
		if u.ID != acc.ID || u.DisplayName != "Alice on IG" || u.Status != "ACTIVE" {
			t.Errorf("updated account = %+v", u)
		}
		if got, want := sorted(u.CredentialsSet), []string{"COOKIE", "PASSWORD"}; !slices.Equal(got, want) {
			t.Errorf("credentialsSet after clearing the TOTP secret = %v, want %v", got, want)
		}

		// Delete, then the id resolves to nothing.
		const del = `mutation($id: ID!) { deleteAccount(input: {id: $id}) { deletedID } }`
		var deleted struct {
			DeleteAccount struct {
				DeletedID string `json:"deletedID"`
			} `json:"deleteAccount"`
		}
		srv.MustGraphQL(t, tok, del, map[string]any{"id": acc.ID}, &deleted)
		if deleted.DeleteAccount.DeletedID != acc.ID {
			t.Errorf("deletedID = %q, want %q", deleted.DeleteAccount.DeletedID, acc.ID)
		}
		wantError(t, srv.GraphQL(t, tok, nodeQuery, map[string]any{"id": acc.ID}), "NOT_FOUND", "")
		wantError(t, srv.GraphQL(t, tok, del, map[string]any{"id": acc.ID}), "NOT_FOUND", "")
		wantError(t, srv.GraphQL(t, tok, `mutation($id: ID!) { updateAccount(input: {id: $id, displayName: "x"}) { account { id } } }`,
			map[string]any{"id": acc.ID}), "NOT_FOUND", "")
	})
}

func TestAccountsFilterAndPaginate(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "pager")
		for _, a := range []struct{ platform, username, status string }{
			{"INSTAGRAM", "alpha-1", "ACTIVE"},
			{"INSTAGRAM", "alpha-2", "ACTIVE"},
			{"INSTAGRAM", "alpha-3", "ACTIVE"},
			{"INSTAGRAM", "alpha-4", "BANNED"},
			{"INSTAGRAM", "alpha-5", "ACTIVE"},
			{"FACEBOOK", "beta-1", "ACTIVE"},
			{"X", "beta-2", "DISABLED"},
		} {
			createAccount(t, srv, tok, map[string]any{"platform": a.platform, "username": a.username, "status": a.status})
		}

		const page = `query($first: Int, $after: Cursor, $where: AccountWhereInput) {
			accounts(first: $first, after: $after, where: $where, orderBy: {field: USERNAME, direction: ASC}) {
				totalCount
				pageInfo { hasNextPage hasPreviousPage endCursor }
				edges { cursor node { username } }
			} }`
		type connection struct {
			TotalCount int `json:"totalCount"`
			PageInfo   struct {
				HasNextPage     bool    `json:"hasNextPage"`
				HasPreviousPage bool    `json:"hasPreviousPage"`
				EndCursor       *string `json:"endCursor"`
			} `json:"pageInfo"`
			Edges []struct {
				Cursor string `json:"cursor"`
				Node   struct {
					Username string `json:"username"`
				} `json:"node"`
			} `json:"edges"`
		}

		for _, tc := range []struct {
			name  string
			where map[string]any
			want  []string
		}{
			{"all", nil, []string{"alpha-1", "alpha-2", "alpha-3", "alpha-4", "alpha-5", "beta-1", "beta-2"}},
			{"username contains", map[string]any{"usernameContains": "alpha"}, []string{"alpha-1", "alpha-2", "alpha-3", "alpha-4", "alpha-5"}},
			{"status", map[string]any{"status": "BANNED"}, []string{"alpha-4"}},
			{"platform and status", map[string]any{"platform": "INSTAGRAM", "status": "ACTIVE"}, []string{"alpha-1", "alpha-2", "alpha-3", "alpha-5"}},
			{"or", map[string]any{"or": []any{map[string]any{"platform": "FACEBOOK"}, map[string]any{"status": "DISABLED"}}}, []string{"beta-1", "beta-2"}},
			{"status in", map[string]any{"statusIn": []string{"BANNED", "DISABLED"}}, []string{"alpha-4", "beta-2"}},
			{"no match", map[string]any{"usernameContains": "nobody"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				vars := map[string]any{"first": 2, "where": tc.where}
				for pages := 1; ; pages++ {
					var out struct{ Accounts connection }
					srv.MustGraphQL(t, tok, page, vars, &out)
					c := out.Accounts
					if c.TotalCount != len(tc.want) {
						t.Fatalf("page %d: totalCount = %d, want %d", pages, c.TotalCount, len(tc.want))
					}
					if len(c.Edges) > 2 {
						t.Fatalf("page %d has %d edges, asked for 2", pages, len(c.Edges))
					}
					for _, e := range c.Edges {
						got = append(got, e.Node.Username)
					}
					wantMore := len(got) < len(tc.want)
					if c.PageInfo.HasNextPage != wantMore {
						t.Fatalf("page %d: hasNextPage = %v after %d of %d rows", pages, c.PageInfo.HasNextPage, len(got), len(tc.want))
					}
					if !wantMore {
						break
					}
					if c.PageInfo.EndCursor == nil || *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
						t.Fatalf("page %d: endCursor %v is not the last edge's cursor", pages, c.PageInfo.EndCursor)
					}
					vars["after"] = *c.PageInfo.EndCursor
					if pages > len(tc.want) {
						t.Fatal("pagination does not end")
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("paged through %v, want %v", got, tc.want)
				}
			})
		}

		t.Run("last page backwards", func(t *testing.T) {
			var out struct{ Accounts connection }
			srv.MustGraphQL(t, tok, `{ accounts(last: 2, where: {usernameContains: "alpha"}, orderBy: {field: USERNAME}) {
				totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { username } } } }`, nil, &out)
			var got []string
			for _, e := range out.Accounts.Edges {
				got = append(got, e.Node.Username)
			}
			if want := []string{"alpha-4", "alpha-5"}; !slices.Equal(got, want) || !out.Accounts.PageInfo.HasPreviousPage || out.Accounts.TotalCount != 5 {
				t.Errorf("last 2 = %v (hasPreviousPage %v, totalCount %d), want %v, true, 5",
					got, out.Accounts.PageInfo.HasPreviousPage, out.Accounts.TotalCount, want)
			}
		})
	})
}

func TestAccountInputErrorsNameTheField(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "validator")
		taken := createAccount(t, srv, tok, map[string]any{"platform": "TIKTOK", "username": "taken"})

		for _, tc := range []struct {
			name  string
			input map[string]any
			code  string
			field string
		}{
			{"bad email", map[string]any{"platform": "INSTAGRAM", "username": "v", "email": "not-an-email"}, "BAD_USER_INPUT", "email"},
			{"imap port out of range", map[string]any{"platform": "INSTAGRAM", "username": "v", "imapPort": 70000}, "BAD_USER_INPUT", "imapPort"},
			{"imap host with a slash", map[string]any{"platform": "INSTAGRAM", "username": "v", "imapHost": "imap/x"}, "BAD_USER_INPUT", "imapHost"},
			{"negative energy budget", map[string]any{"platform": "INSTAGRAM", "username": "v", "energyBudget": -1}, "BAD_USER_INPUT", "energyBudget"},
			{"blank username", map[string]any{"platform": "INSTAGRAM", "username": "   "}, "BAD_USER_INPUT", "username"},
			{"username too long", map[string]any{"platform": "INSTAGRAM", "username": strings.Repeat("u", 201)}, "BAD_USER_INPUT", "username"},
			{"empty tag", map[string]any{"platform": "INSTAGRAM", "username": "v", "tags": []string{""}}, "BAD_USER_INPUT", "tags"},
			{"same platform and username as an existing account", map[string]any{"platform": "TIKTOK", "username": "taken"}, "CONFLICT", ""},
			{"same username with surrounding spaces", map[string]any{"platform": "TIKTOK", "username": " taken "}, "CONFLICT", ""},
			{"same username in other case", map[string]any{"platform": "TIKTOK", "username": "TaKeN"}, "CONFLICT", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := srv.GraphQL(t, tok, createAccountMutation, map[string]any{"i": tc.input})
				wantError(t, r, tc.code, tc.field)
				for _, leak := range []string{"UNIQUE", "duplicate key", "SQL", "constraint"} {
					if strings.Contains(r.Errors[0].Message, leak) {
						t.Errorf("message %q exposes the database", r.Errors[0].Message)
					}
				}
			})
		}

		t.Run("update with bad email", func(t *testing.T) {
			r := srv.GraphQL(t, tok, `mutation($id: ID!) { updateAccount(input: {id: $id, email: "nope"}) { account { id } } }`,
				map[string]any{"id": taken})
			wantError(t, r, "BAD_USER_INPUT", "email")
		})

		t.Run("same username on another platform is not a duplicate", func(t *testing.T) {
			createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "taken"})
		})
	})
}

func TestPostLifecycle(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "poster")
		a1 := createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "p1"})
		a2 := createAccount(t, srv, tok, map[string]any{"platform": "FACEBOOK", "username": "p2"})

		const postFields = `id title body link media status scheduledAt timezone source tags firstComment location
			accounts(orderBy: {field: USERNAME}) { totalCount edges { node { id username } } }`
		type post struct {
			ID           string     `json:"id"`
			Title        string     `json:"title"`
			Body         string     `json:"body"`
			Status       string     `json:"status"`
			ScheduledAt  *time.Time `json:"scheduledAt"`
			Timezone     string     `json:"timezone"`
			Source       string     `json:"source"`
			FirstComment string     `json:"firstComment"`
			Location     string     `json:"location"`
			Accounts     struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						ID string `json:"id"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"accounts"`
		}
		accountIDs := func(p post) []string {
			var ids []string
			for _, e := range p.Accounts.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids
		}

		var created struct {
			CreatePost struct{ Post post } `json:"createPost"`
		}
		srv.MustGraphQL(t, tok, `mutation($i: CreatePostInput!) { createPost(input: $i) { post { `+postFields+` } } }`,
			map[string]any{"i": map[string]any{
				"title": "Launch", "body": "{Hi|Hello} world", "link": "https://example.com/launch",
				"media": []string{"https://cdn.example.com/a.jpg"}, "accountIDs": []string{a1, a2}, "tags": []string{"launch"},
				"firstComment": "{Link|Shop} in bio", "location": "Berlin",
			}}, &created)
		p := created.CreatePost.Post
		if p.Status != "DRAFT" || p.Source != "API" || p.Body != "{Hi|Hello} world" || p.ScheduledAt != nil ||
			p.FirstComment != "{Link|Shop} in bio" || p.Location != "Berlin" {
			t.Errorf("created post = %+v, want an unscheduled API draft", p)
		}
		if got := accountIDs(p); p.Accounts.TotalCount != 2 || !slices.Equal(got, []string{a1, a2}) {
			t.Errorf("post accounts = %v (total %d), want [%s %s]", got, p.Accounts.TotalCount, a1, a2)
		}

		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		var scheduled struct {
			SchedulePost struct{ Post post } `json:"schedulePost"`
		}
		srv.MustGraphQL(t, tok, `mutation($i: SchedulePostInput!) { schedulePost(input: $i) { post { `+postFields+` } } }`,
			map[string]any{"i": map[string]any{"id": p.ID, "scheduledAt": at.Format(time.RFC3339), "timezone": "Europe/Berlin"}}, &scheduled)
		s := scheduled.SchedulePost.Post
		if s.Status != "SCHEDULED" || s.ScheduledAt == nil || !s.ScheduledAt.Equal(at) || s.Timezone != "Europe/Berlin" {
			t.Errorf("scheduled post = %+v, want SCHEDULED at %s Europe/Berlin", s, at)
		}

		var updated struct {
			UpdatePost struct{ Post post } `json:"updatePost"`
		}
		srv.MustGraphQL(t, tok, `mutation($i: UpdatePostInput!) { updatePost(input: $i) { post { `+postFields+` } } }`,
			map[string]any{"i": map[string]any{"id": p.ID, "body": "changed", "accountIDs": []string{a2}}}, &updated)
		u := updated.UpdatePost.Post
		if u.Body != "changed" || u.Title != "Launch" || u.Status != "SCHEDULED" || !slices.Equal(accountIDs(u), []string{a2}) {
			t.Errorf("updated post = %+v, want body changed, title kept, still scheduled, accounts [%s]", u, a2)
		}

		// A scheduled post cannot lose all its accounts.
		wantError(t, srv.GraphQL(t, tok, `mutation($id: ID!) { updatePost(input: {id: $id, accountIDs: []}) { post { id } } }`,
			map[string]any{"id": p.ID}), "BAD_USER_INPUT", "accountIDs")

		var unscheduled struct {
			UnschedulePost struct{ Post post } `json:"unschedulePost"`
		}
		srv.MustGraphQL(t, tok, `mutation($id: ID!) { unschedulePost(input: {id: $id}) { post { `+postFields+` } } }`,
			map[string]any{"id": p.ID}, &unscheduled)
		if d := unscheduled.UnschedulePost.Post; d.Status != "DRAFT" || d.ScheduledAt != nil || d.Body != "changed" {
			t.Errorf("unscheduled post = %+v, want a DRAFT without schedule time", d)
		}

		const del = `mutation($id: ID!) { deletePost(input: {id: $id}) { deletedID } }`
		var deleted struct {
			DeletePost struct {
				DeletedID string `json:"deletedID"`
			} `json:"deletePost"`
		}
		srv.MustGraphQL(t, tok, del, map[string]any{"id": p.ID}, &deleted)
		if deleted.DeletePost.DeletedID != p.ID {
			t.Errorf("deletedID = %q, want %q", deleted.DeletePost.DeletedID, p.ID)
		}
		wantError(t, srv.GraphQL(t, tok, nodeQuery, map[string]any{"id": p.ID}), "NOT_FOUND", "")
		wantError(t, srv.GraphQL(t, tok, del, map[string]any{"id": p.ID}), "NOT_FOUND", "")

		// Accounts outlive the post.
		var remaining struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
			} `json:"accounts"`
		}
		srv.MustGraphQL(t, tok, `{ accounts { totalCount } }`, nil, &remaining)
		if remaining.Accounts.TotalCount != 2 {
			t.Errorf("accounts after deleting the post = %d, want 2", remaining.Accounts.TotalCount)
		}
	})
}

func TestPostInputErrorsNameTheField(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "postcheck")
		acc := createAccount(t, srv, tok, map[string]any{"platform": "X", "username": "pc"})
		missing := bump(t, acc)
		soon := time.Now().Add(time.Hour).Format(time.RFC3339)

		for _, tc := range []struct {
			name  string
			input map[string]any
			field string
		}{
			{"link that is not http", map[string]any{"body": "b", "link": "ftp://example.com/x"}, "link"},
			{"media that is not a URL", map[string]any{"body": "b", "media": []string{"not a url"}}, "media"},
			{"unknown time zone", map[string]any{"body": "b", "timezone": "Mars/Olympus_Mons"}, "timezone"},
			{"scheduled without accounts", map[string]any{"body": "b", "scheduledAt": soon}, "accountIDs"},
			{"account listed twice", map[string]any{"body": "b", "accountIDs": []string{acc, acc}}, "accountIDs"},
			{"account that does not exist", map[string]any{"body": "b", "accountIDs": []string{missing}}, "accountIDs"},
			{"title too long", map[string]any{"title": strings.Repeat("t", 501)}, "title"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, srv.GraphQL(t, tok, `mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } } }`,
					map[string]any{"i": tc.input}), "BAD_USER_INPUT", tc.field)
			})
		}

		t.Run("scheduling a draft without accounts", func(t *testing.T) {
			draft := createPost(t, srv, tok, map[string]any{"body": "draft"})
			wantError(t, srv.GraphQL(t, tok, `mutation($id: ID!, $at: Time!) { schedulePost(input: {id: $id, scheduledAt: $at}) { post { id } } }`,
				map[string]any{"id": draft, "at": soon}), "BAD_USER_INPUT", "accountIDs")
		})
	})
}

func TestScheduleLifecycle(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "scheduler")
		acc := createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "sched"})

		const fields = `id name kind status intervalSeconds nextRunAt settings targets account { id }`
		type schedule struct {
			ID              string         `json:"id"`
			Name            string         `json:"name"`
			Kind            string         `json:"kind"`
			Status          string         `json:"status"`
			IntervalSeconds int            `json:"intervalSeconds"`
			NextRunAt       *time.Time     `json:"nextRunAt"`
			Settings        map[string]any `json:"settings"`
			Targets         []string       `json:"targets"`
			Account         *struct {
				ID string `json:"id"`
			} `json:"account"`
		}
		var created struct {
			CreateSchedule struct{ Schedule schedule } `json:"createSchedule"`
		}
		srv.MustGraphQL(t, tok, `mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { schedule { `+fields+` } } }`,
			map[string]any{"i": map[string]any{
				"name": "Daily likes", "kind": "REACTIONS", "accountID": acc, "intervalSeconds": 3600,
				"settings": map[string]any{"likes": 10}, "targets": []string{"#golang"},
			}}, &created)
		s := created.CreateSchedule.Schedule
		if s.Status != "ACTIVE" || s.Kind != "REACTIONS" || s.IntervalSeconds != 3600 || s.NextRunAt == nil ||
			s.Account == nil || s.Account.ID != acc || s.Settings["likes"] != float64(10) || !slices.Equal(s.Targets, []string{"#golang"}) {
			t.Errorf("created schedule = %+v", s)
		}

		statusAfter := func(op string) string {
			t.Helper()
			var out map[string]struct{ Schedule schedule }
			srv.MustGraphQL(t, tok, fmt.Sprintf(`mutation($id: ID!) { %s(input: {id: $id}) { schedule { %s } } }`, op, fields),
				map[string]any{"id": s.ID}, &out)
			return out[op].Schedule.Status
		}
		for _, step := range []struct{ op, want string }{
			{"pauseSchedule", "PAUSED"},
			{"pauseSchedule", "PAUSED"}, // pausing twice is harmless
			{"resumeSchedule", "ACTIVE"},
			{"resumeSchedule", "ACTIVE"},
		} {
			if got := statusAfter(step.op); got != step.want {
				t.Errorf("%s: status %s, want %s", step.op, got, step.want)
			}
		}

		var updated struct {
			UpdateSchedule struct{ Schedule schedule } `json:"updateSchedule"`
		}
		srv.MustGraphQL(t, tok, `mutation($id: ID!) { updateSchedule(input: {id: $id, intervalSeconds: 120, name: "Faster"}) { schedule { `+fields+` } } }`,
			map[string]any{"id": s.ID}, &updated)
		if u := updated.UpdateSchedule.Schedule; u.IntervalSeconds != 120 || u.Name != "Faster" {
			t.Errorf("updated schedule = %+v, want interval 120 named Faster", u)
		}
		wantError(t, srv.GraphQL(t, tok, `mutation($id: ID!) { updateSchedule(input: {id: $id, intervalSeconds: 10}) { schedule { id } } }`,
			map[string]any{"id": s.ID}), "BAD_USER_INPUT", "intervalSeconds")

		const del = `mutation($id: ID!) { deleteSchedule(input: {id: $id}) { deletedID } }`
		var deleted struct {
			DeleteSchedule struct {
				DeletedID string `json:"deletedID"`
			} `json:"deleteSchedule"`
		}
		srv.MustGraphQL(t, tok, del, map[string]any{"id": s.ID}, &deleted)
		if deleted.DeleteSchedule.DeletedID != s.ID {
			t.Errorf("deletedID = %q, want %q", deleted.DeleteSchedule.DeletedID, s.ID)
		}
		wantError(t, srv.GraphQL(t, tok, nodeQuery, map[string]any{"id": s.ID}), "NOT_FOUND", "")
		wantError(t, srv.GraphQL(t, tok, del, map[string]any{"id": s.ID}), "NOT_FOUND", "")
		wantError(t, srv.GraphQL(t, tok, `mutation($id: ID!) { pauseSchedule(input: {id: $id}) { schedule { id } } }`,
			map[string]any{"id": s.ID}), "NOT_FOUND", "")

		for _, tc := range []struct {
			name  string
			input map[string]any
			field string
		}{
			{"interval under a minute", map[string]any{"kind": "REPOST", "intervalSeconds": 59}, "intervalSeconds"},
			{"zero interval", map[string]any{"kind": "REPOST", "intervalSeconds": 0}, "intervalSeconds"},
			{"account that does not exist", map[string]any{"kind": "REPOST", "intervalSeconds": 60, "accountID": bump(t, acc)}, "accountID"},
			{"unknown time zone", map[string]any{"kind": "REPOST", "intervalSeconds": 60, "timezone": "Nowhere/Land"}, "timezone"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, srv.GraphQL(t, tok, `mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { schedule { id } } }`,
					map[string]any{"i": tc.input}), "BAD_USER_INPUT", tc.field)
			})
		}
	})
}

// bump returns an id of the same type as id that no row has: ids of one
// type share a range, so a nearby unused id is "not found" rather than
// "wrong type".
func bump(t *testing.T, id string) string {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("id %q is not an integer: %v", id, err)
	}
	return strconv.Itoa(n + 100_000)
}

var rawKeyPattern = regexp.MustCompile(`^sht_[0-9a-f]{64}$`)

func TestAPIKeysAuthenticateUntilRevoked(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "dave")

		var created struct {
			CreateAPIKey struct {
				APIKey struct {
					ID        string  `json:"id"`
					Name      string  `json:"name"`
					Scope     string  `json:"scope"`
					Prefix    string  `json:"prefix"`
					RevokedAt *string `json:"revokedAt"`
				} `json:"apiKey"`
				Key string `json:"key"`
			} `json:"createAPIKey"`
		}
		srv.MustGraphQL(t, tok, `mutation { createAPIKey(input: {name: "ci"}) { apiKey { id name scope prefix revokedAt } key } }`, nil, &created)
		key, meta := created.CreateAPIKey.Key, created.CreateAPIKey.APIKey
		if !rawKeyPattern.MatchString(key) {
			t.Fatalf("raw key %q is not sht_ + 64 hex", key)
		}
		if meta.Name != "ci" || meta.Scope != "API" || meta.Prefix != key[:12] || meta.RevokedAt != nil {
			t.Errorf("key metadata = %+v, want name ci, scope API, prefix %q", meta, key[:12])
		}

		// The raw key is shown once: listing keys never returns it.
		r := srv.GraphQL(t, tok, `{ apiKeys { totalCount edges { node { id name prefix scope } } } }`, nil)
		if !strings.Contains(string(r.Data), meta.ID) {
			t.Errorf("apiKeys does not list the new key: %s", r.Data)
		}
		mustNotContain(t, r, key, key[12:])

		for _, h := range []struct {
			name   string
			header http.Header
		}{
			{"Authorization Bearer", http.Header{"Authorization": {"Bearer " + key}}},
			{"lower-case bearer scheme", http.Header{"Authorization": {"bearer " + key}}},
			{"X-API-Key", http.Header{"X-Api-Key": {key}}},
		} {
			t.Run(h.name, func(t *testing.T) {
				var v viewerData
				r := gqlHeaders(t, srv, h.header, viewerQuery, nil)
				r.Decode(t, &v)
				if v.Viewer.User.Username != "dave" || v.Viewer.APIKey == nil || v.Viewer.APIKey.ID != meta.ID {
					t.Errorf("viewer = %+v, want dave through key %s", v.Viewer, meta.ID)
				}
				// An api-scope key may use mutations.
				r = gqlHeaders(t, srv, h.header, createAccountMutation, map[string]any{"i": map[string]any{
					"platform": "LINKEDIN", "username": "via-key-" + strings.ReplaceAll(h.name, " ", "-")}})
				if len(r.Errors) > 0 {
					t.Errorf("createAccount with an api key: %+v", r.Errors)
				}
			})
		}

		var revoked struct {
			RevokeAPIKey struct {
				APIKey struct {
					RevokedAt *time.Time `json:"revokedAt"`
				} `json:"apiKey"`
			} `json:"revokeAPIKey"`
		}
		srv.MustGraphQL(t, tok, `mutation($id: ID!) { revokeAPIKey(input: {id: $id}) { apiKey { revokedAt } } }`,
			map[string]any{"id": meta.ID}, &revoked)
		if revoked.RevokeAPIKey.APIKey.RevokedAt == nil {
			t.Error("revokeAPIKey left revokedAt empty")
		}
		for _, h := range []http.Header{
			{"Authorization": {"Bearer " + key}},
			{"X-Api-Key": {key}},
		} {
			wantError(t, gqlHeaders(t, srv, h, viewerQuery, nil), "UNAUTHENTICATED", "")
		}
		// The session that made the key is unaffected.
		var v viewerData
		srv.MustGraphQL(t, tok, viewerQuery, nil, &v)
	})
}

func TestWorkerKeyMayQueryButNotMutate(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "erin")
		createAccount(t, srv, tok, map[string]any{"platform": "X", "username": "erin-bot"})
		keyID, key := createAPIKey(t, srv, tok, "worker-1", "WORKER")
		h := http.Header{"Authorization": {"Bearer " + key}}

		var v viewerData
		gqlHeaders(t, srv, h, viewerQuery, nil).Decode(t, &v)
		if v.Viewer.APIKey == nil || v.Viewer.APIKey.Scope != "WORKER" {
			t.Errorf("viewer through a worker key = %+v", v.Viewer)
		}
		var accs struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
			} `json:"accounts"`
		}
		gqlHeaders(t, srv, h, `{ accounts { totalCount } }`, nil).Decode(t, &accs)
		if accs.Accounts.TotalCount != 1 {
			t.Errorf("worker key sees %d accounts, want 1", accs.Accounts.TotalCount)
		}

		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"createAccount", createAccountMutation, map[string]any{"i": map[string]any{"platform": "X", "username": "sneaky"}}},
			{"createAPIKey", `mutation { createAPIKey(input: {name: "escalate"}) { key } }`, nil},
			{"revokeAPIKey", `mutation($id: ID!) { revokeAPIKey(input: {id: $id}) { apiKey { id } } }`, map[string]any{"id": keyID}},
			{"createPost", `mutation { createPost(input: {body: "spam"}) { post { id } } }`, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, gqlHeaders(t, srv, h, tc.query, tc.vars), "FORBIDDEN", "")
			})
		}

		var after struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
			} `json:"accounts"`
			Posts struct {
				TotalCount int `json:"totalCount"`
			} `json:"posts"`
			APIKeys struct {
				TotalCount int `json:"totalCount"`
			} `json:"apiKeys"`
		}
		srv.MustGraphQL(t, tok, `{ accounts { totalCount } posts { totalCount } apiKeys(where: {revokedAtIsNil: true}) { totalCount } }`, nil, &after)
		if after.Accounts.TotalCount != 1 || after.Posts.TotalCount != 0 || after.APIKeys.TotalCount != 1 {
			t.Errorf("after refused worker mutations: %+v, want 1 account, 0 posts, 1 live key", after)
		}
	})
}

func TestRejectedCredentialsGetNoData(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "frank", viewer.RoleMember, "frank-ws")
		secret := srv.App.Box.Derive("jwt")
		now := time.Now()

		type claims struct {
			WorkspaceID int    `json:"wid"`
			Role        string `json:"role"`
			jwt.RegisteredClaims
		}
		valid := func() claims {
			return claims{WorkspaceID: u.WorkspaceID, Role: "member", RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "switchboard", Subject: strconv.Itoa(u.ID),
				IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), ID: "test-jti",
			}}
		}
		sign := func(m jwt.SigningMethod, c claims, key any) string {
			t.Helper()
			s, err := jwt.NewWithClaims(m, c).SignedString(key)
			if err != nil {
				t.Fatalf("sign test token: %v", err)
			}
			return s
		}
		with := func(edit func(*claims)) claims { c := valid(); edit(&c); return c }

		// Control: a token we mint with the server's secret is accepted, so
		// the rejections below are about the defect each case introduces.
		good := sign(jwt.SigningMethodHS256, valid(), secret)
		var v viewerData
		srv.MustGraphQL(t, good, viewerQuery, nil, &v)
		if v.Viewer.User.Username != "frank" {
			t.Fatalf("control token authenticates %q, want frank", v.Viewer.User.Username)
		}

		parts := strings.Split(good, ".")
		otherUser, _ := json.Marshal(with(func(c *claims) { c.Subject = strconv.Itoa(u.ID + 1) }))
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(otherUser) + "." + parts[2]

		for _, tc := range []struct {
			name       string
			credential string
		}{
			{"wrong signature", sign(jwt.SigningMethodHS256, valid(), []byte("an-attacker-chosen-secret-of-32-bytes!"))},
			{"expired", sign(jwt.SigningMethodHS256, with(func(c *claims) {
				c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
				c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
			}), secret)},
			{"no expiry", sign(jwt.SigningMethodHS256, with(func(c *claims) { c.ExpiresAt = nil }), secret)},
			{"alg none", sign(jwt.SigningMethodNone, valid(), jwt.UnsafeAllowNoneSignatureType)},
			{"HS512 with the server secret", sign(jwt.SigningMethodHS512, valid(), secret)},
			{"other issuer", sign(jwt.SigningMethodHS256, with(func(c *claims) { c.Issuer = "evil" }), secret)},
			{"workspace claim of another workspace", sign(jwt.SigningMethodHS256, with(func(c *claims) { c.WorkspaceID++ }), secret)},
			{"user that does not exist", sign(jwt.SigningMethodHS256, with(func(c *claims) { c.Subject = "999999" }), secret)},
			{"payload swapped under a valid signature", tampered},
			{"garbage", "not-a-token"},
			{"malformed API key", "sht_123"},
			{"unknown API key", "sht_" + strings.Repeat("ab", 32)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, srv.GraphQL(t, tc.credential, viewerQuery, nil), "UNAUTHENTICATED", "")
				wantError(t, gqlHeaders(t, srv, http.Header{"X-Api-Key": {tc.credential}}, viewerQuery, nil), "UNAUTHENTICATED", "")
				wantError(t, srv.GraphQL(t, tc.credential, createAccountMutation, map[string]any{"i": map[string]any{
					"platform": "X", "username": "forged"}}), "UNAUTHENTICATED", "")
			})
		}

		t.Run("no credential", func(t *testing.T) {
			wantError(t, srv.GraphQL(t, "", viewerQuery, nil), "UNAUTHENTICATED", "")
			wantError(t, srv.GraphQL(t, "", `{ accounts { totalCount } }`, nil), "UNAUTHENTICATED", "")
		})

		var accs struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
			} `json:"accounts"`
		}
		srv.MustGraphQL(t, good, `{ accounts { totalCount } }`, nil, &accs)
		if accs.Accounts.TotalCount != 0 {
			t.Errorf("a rejected credential created %d accounts", accs.Accounts.TotalCount)
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "ops")
		srv.MustGraphQL(t, tok, viewerQuery, nil, &viewerData{}) // feeds the operation metrics
		httpGet(t, srv, "/healthz", nil)                         // feeds the HTTP metrics

		for _, tc := range []struct {
			path        string
			status      int
			contentType string
			contains    []string
		}{
			{"/healthz", http.StatusOK, "application/json", []string{`"status":"ok"`}},
			{"/readyz", http.StatusOK, "application/json", []string{`"status":"ready"`}},
			{"/metrics", http.StatusOK, "text/plain", []string{
				"switchboard_http_requests_total", "switchboard_active_subscriptions", "switchboard_graphql_operations_total"}},
			{"/", http.StatusOK, "text/html", []string{"<html", "graphiql", "/query"}},
			{"/no-such-page", http.StatusNotFound, "application/json", []string{`"error":"not found"`}},
		} {
			t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
				status, h, body := httpGet(t, srv, tc.path, nil)
				if status != tc.status {
					t.Errorf("GET %s = %d, want %d: %s", tc.path, status, tc.status, body)
				}
				if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
					t.Errorf("GET %s Content-Type = %q, want %s", tc.path, ct, tc.contentType)
				}
				for _, s := range tc.contains {
					if !strings.Contains(string(body), s) {
						t.Errorf("GET %s body lacks %q", tc.path, s)
					}
				}
			})
		}
	})
}
