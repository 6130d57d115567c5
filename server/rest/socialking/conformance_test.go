package socialking_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// The examples of socialking-fb-cooldown.txt, replayed against a real
// server. Each test is independent of the others.

// docCreateBody is section 3's request example, verbatim.
const docCreateBody = `{
  "actionType": "like",
  "min_delay": 5,
  "max_delay": 15,
  "hourly_limit": 30,
  "daily_limit": 200,
  "energy_cost": 1,
  "description": "Like cooldown config",
  "enabled": true
}`

var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// normalize replaces the values a test cannot predict (the id and the
// timestamps) after checking their form, so bodies compare whole.
func normalize(t *testing.T, data json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("data is not an object: %s", data)
	}
	if id, _ := m["id"].(string); uuid.Validate(id) != nil {
		t.Errorf("id %q is not a UUID", m["id"])
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, _ := m[k].(string); !isoMillis.MatchString(s) {
			t.Errorf("%s %q is not an ISO-8601 UTC time with milliseconds", k, m[k])
		}
	}
	m["id"], m["createdAt"], m["updatedAt"] = "<uuid>", "<time>", "<time>"
	return m
}

func wantJSON(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	// Both sides through any, so key order and spacing do not matter.
	var g any
	raw, _ := json.Marshal(got)
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("bad JSON: %s", raw)
	}
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if string(gj) != string(wj) {
		t.Errorf("body:\n got %s\nwant %s", gj, wj)
	}
}

func TestCreateAnswersTheDocumentedExampleWith201(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		resp := b.A.do(t, http.MethodPost, "/create", docCreateBody).want(t, http.StatusCreated)
		// Every field of the document's response example, with its value,
		// plus the fields it leaves out (poolId, description, times).
		wantJSON(t, normalize(t, resp.Data), `{
			"id": "<uuid>", "actionType": "like", "poolId": null,
			"min_delay": 5, "max_delay": 15, "hourly_limit": 30, "daily_limit": 200,
			"energy_cost": 1, "description": "Like cooldown config", "enabled": true,
			"createdAt": "<time>", "updatedAt": "<time>"
		}`)
		var created rule
		resp.decode(t, &created)

		// The id is the one get-by-id takes.
		got := b.A.do(t, http.MethodGet, "/get-by-id/"+created.ID, nil).want(t, http.StatusOK)
		if string(got.Data) != string(resp.Data) {
			t.Errorf("get-by-id:\n got %s\nwant %s", got.Data, resp.Data)
		}
		if rs := b.rules(t, b.alice.WorkspaceID); len(rs) != 1 || rs[0].UUID.String() != created.ID {
			t.Errorf("stored rules %v, want the created one", rs)
		}
	})
}

func TestCreateAppliesTheDocumentedDefaults(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		pool := uuid.NewString()
		resp := b.A.do(t, http.MethodPost, "/create",
			fmt.Sprintf(`{"actionType":"comment","min_delay":0,"max_delay":0,"poolId":%q}`, pool)).want(t, http.StatusCreated)
		wantJSON(t, normalize(t, resp.Data), fmt.Sprintf(`{
			"id": "<uuid>", "actionType": "comment", "poolId": %q,
			"min_delay": 0, "max_delay": 0, "hourly_limit": null, "daily_limit": null,
			"energy_cost": 1, "description": null, "enabled": true,
			"createdAt": "<time>", "updatedAt": "<time>"
		}`, pool))
	})
}

func TestBulkCreateReplaysTheExampleAndSkipsDuplicatesByDefault(t *testing.T) {
	t.Parallel()
	const example = `{
  "items": [
    { "actionType": "like", "min_delay": 5, "max_delay": 15 },
    { "actionType": "comment", "min_delay": 10, "max_delay": 30 }
  ],
  "skipDuplicates": true
}`
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		var first struct {
			Items            []rule
			Created, Skipped int
		}
		b.A.do(t, http.MethodPost, "/bulk-create", example).want(t, http.StatusCreated).decode(t, &first)
		if first.Created != 2 || first.Skipped != 0 || len(first.Items) != 2 ||
			first.Items[0].ActionType != "like" || first.Items[1].ActionType != "comment" || first.Items[1].MaxDelay != 30 {
			t.Fatalf("bulk-create: %+v", first)
		}

		// skipDuplicates defaults to true: the same items again are skipped.
		var again struct {
			Items            []rule
			Created, Skipped int
		}
		b.A.do(t, http.MethodPost, "/bulk-create",
			`{"items":[{"actionType":"like","min_delay":1,"max_delay":2},{"actionType":"share","min_delay":1,"max_delay":2}]}`).
			want(t, http.StatusCreated).decode(t, &again)
		if again.Created != 1 || again.Skipped != 1 || len(again.Items) != 1 || again.Items[0].ActionType != "share" {
			t.Errorf("second bulk-create: %+v, want share created and like skipped", again)
		}

		// Without skipping, a duplicate is a conflict and nothing is written.
		b.A.do(t, http.MethodPost, "/bulk-create",
			`{"items":[{"actionType":"follow","min_delay":1,"max_delay":2},{"actionType":"like","min_delay":1,"max_delay":2}],"skipDuplicates":false}`).
			wantError(t, http.StatusConflict)
		if n := len(b.rules(t, b.alice.WorkspaceID)); n != 3 {
			t.Errorf("%d rules after a refused batch, want 3", n)
		}
	})
}

func TestUpdateChangesOnlyTheFieldsSentAndNullClears(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		created := b.A.create(t, docCreateBody)

		resp := b.A.do(t, http.MethodPut, "/update/"+created.ID, `{"min_delay": 10, "max_delay": 25, "enabled": false}`).want(t, http.StatusOK)
		wantJSON(t, normalize(t, resp.Data), `{
			"id": "<uuid>", "actionType": "like", "poolId": null,
			"min_delay": 10, "max_delay": 25, "hourly_limit": 30, "daily_limit": 200,
			"energy_cost": 1, "description": "Like cooldown config", "enabled": false,
			"createdAt": "<time>", "updatedAt": "<time>"
		}`)

		resp = b.A.do(t, http.MethodPut, "/update/"+created.ID, `{"hourly_limit": null, "description": null, "poolId": null}`).want(t, http.StatusOK)
		var got rule
		resp.decode(t, &got)
		if got.HourlyLimit != nil || got.Description != nil || got.PoolID != nil || got.DailyLimit == nil || *got.DailyLimit != 200 {
			t.Errorf("after clearing: %+v", got)
		}
		if got.ID != created.ID {
			t.Errorf("id changed from %s to %s", created.ID, got.ID)
		}

		// An empty body changes nothing.
		b.A.do(t, http.MethodPut, "/update/"+created.ID, `{}`).want(t, http.StatusOK)
	})
}

func TestBulkUpdateReplaysTheExample(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		like := b.A.create(t, `{"actionType":"like","min_delay":5,"max_delay":15}`)
		comment := b.A.create(t, `{"actionType":"comment","min_delay":10,"max_delay":30}`)
		example := strings.Replace(`{
  "items": [
    { "id": "uuid-1", "min_delay": 10, "max_delay": 25 }
  ]
}`, "uuid-1", like.ID, 1)
		var out struct {
			Items   []rule
			Updated int
		}
		b.A.do(t, http.MethodPatch, "/bulk-update", example).want(t, http.StatusOK).decode(t, &out)
		if out.Updated != 1 || len(out.Items) != 1 || out.Items[0].ID != like.ID || out.Items[0].MinDelay != 10 || out.Items[0].MaxDelay != 25 {
			t.Fatalf("bulk-update: %+v", out)
		}

		// Two items; the second unknown: nothing changes.
		b.A.do(t, http.MethodPatch, "/bulk-update", fmt.Sprintf(
			`{"items":[{"id":%q,"enabled":false},{"id":%q,"enabled":false}]}`, comment.ID, uuid.NewString())).
			wantError(t, http.StatusNotFound)
		// Two items; the second invalid: nothing changes.
		b.A.do(t, http.MethodPatch, "/bulk-update", fmt.Sprintf(
			`{"items":[{"id":%q,"enabled":false},{"id":%q,"max_delay":1}]}`, comment.ID, like.ID)).
			wantError(t, http.StatusBadRequest, "items[1].max_delay")
		var still rule
		b.A.do(t, http.MethodGet, "/get-by-id/"+comment.ID, nil).want(t, http.StatusOK).decode(t, &still)
		if !still.Enabled {
			t.Error("first item of a refused batch was applied")
		}
	})
}

func TestDeleteReplaysTheExample(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		one := b.A.create(t, `{"actionType":"like","min_delay":5,"max_delay":15}`)
		two := b.A.create(t, `{"actionType":"comment","min_delay":10,"max_delay":30}`)
		keep := b.A.create(t, `{"actionType":"share","min_delay":10,"max_delay":30}`)

		// An unknown id among them deletes nothing.
		b.A.do(t, http.MethodPost, "/delete", fmt.Sprintf(`{"ids":[%q,%q]}`, one.ID, uuid.NewString())).
			wantError(t, http.StatusNotFound)
		if n := len(b.rules(t, b.alice.WorkspaceID)); n != 3 {
			t.Fatalf("%d rules after a refused delete, want 3", n)
		}

		example := strings.NewReplacer("uuid-1", one.ID, "uuid-2", two.ID).Replace(`{
  "ids": ["uuid-1", "uuid-2"]
}`)
		resp := b.A.do(t, http.MethodPost, "/delete", example).want(t, http.StatusOK)
		wantJSON(t, json.RawMessage(resp.Data), fmt.Sprintf(`{"ids":[%q,%q],"deleted":2}`, one.ID, two.ID))
		for _, id := range []string{one.ID, two.ID} {
			b.A.do(t, http.MethodGet, "/get-by-id/"+id, nil).wantError(t, http.StatusNotFound)
		}
		b.A.do(t, http.MethodGet, "/get-by-id/"+keep.ID, nil).want(t, http.StatusOK)
	})
}

func TestResetAnswersExactlyTheDocumentedBodyAndInstallsTheDefaults(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		b.A.create(t, `{"actionType":"view","min_delay":1,"max_delay":2}`)
		b.B.create(t, `{"actionType":"view","min_delay":1,"max_delay":2}`)

		resp := b.A.do(t, http.MethodPost, "/reset", nil).want(t, http.StatusOK)
		if got := strings.TrimSpace(string(resp.Raw)); got != `{"success":true,"message":"Default cooldowns reset"}` {
			t.Errorf("reset body %s", got)
		}
		var types []string
		for _, r := range b.rules(t, b.alice.WorkspaceID) {
			types = append(types, r.ActionType)
		}
		var want []string
		for _, d := range cooldown.Defaults() {
			want = append(want, d.ActionType)
		}
		slices.Sort(types)
		slices.Sort(want)
		if !slices.Equal(types, want) {
			t.Errorf("rules after reset %v, want the defaults %v", types, want)
		}
		if n := len(b.rules(t, b.bob.WorkspaceID)); n != 1 {
			t.Errorf("alice's reset left bob %d rules, want 1", n)
		}
	})
}

func TestGetAllPagesOrdersAndSearchesWithTheDocumentedParameters(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		var created []string // action types, oldest first
		for i, a := range cooldown.ActionTypes {
			desc := "null"
			if i == 2 {
				desc = `"Shares that look like likes"`
			}
			b.A.create(t, fmt.Sprintf(`{"actionType":%q,"min_delay":1,"max_delay":2,"description":%s}`, a, desc))
			created = append(created, a)
		}
		newest := slices.Clone(created)
		slices.Reverse(newest)
		n := len(created)
		for _, tc := range []struct {
			query string
			want  []string
			page  int
			limit int
			total int
		}{
			{"", newest, 1, 20, n}, // defaults: page 1, 20 a page, newest first
			{"?_page=2&_limit=4", newest[4:8], 2, 4, n},
			{"?_page=3&_limit=4", newest[8:], 3, 4, n},
			{"?_page=9&_limit=4", []string{}, 9, 4, n},
			{"?_page=999999999999999999&_limit=100", []string{}, 999999999999999999, 100, n},
			{"?_order=asc&_limit=3", created[:3], 1, 3, n},
			{"?_order=DESC&_limit=3", newest[:3], 1, 3, n},
			{"?_search=LIKE", []string{"share", "like"}, 1, 20, 2},
			{"?_search=+join_+", []string{"join_group"}, 1, 20, 1},
			{"?_limit=500", newest, 1, 100, n}, // clamped to the maximum
		} {
			t.Run(tc.query, func(t *testing.T) {
				resp := b.A.do(t, http.MethodGet, "/get-all"+tc.query, nil).want(t, http.StatusOK)
				var rules []rule
				resp.decode(t, &rules)
				got := []string{}
				for _, r := range rules {
					got = append(got, r.ActionType)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("data %v, want %v", got, tc.want)
				}
				pages := (tc.total + tc.limit - 1) / tc.limit
				if m := resp.Meta; m == nil || m.Page != tc.page || m.Limit != tc.limit || m.Total != tc.total || m.TotalPages != pages {
					t.Errorf("meta %+v, want page %d limit %d total %d totalPages %d", m, tc.page, tc.limit, tc.total, pages)
				}
			})
		}
		for _, q := range []string{"?_page=0", "?_page=x", "?_limit=0", "?_limit=-1", "?_order=up"} {
			t.Run(q, func(t *testing.T) {
				b.A.do(t, http.MethodGet, "/get-all"+q, nil).wantError(t, http.StatusBadRequest, strings.Split(q[1:], "=")[0])
			})
		}
	})
}
