package socialking_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// withField returns a valid create body with field set to the raw JSON
// value, or removed when value is "".
func withField(field, value string) string {
	parts := []string{}
	base := [][2]string{
		{"actionType", `"like"`}, {"min_delay", "5"}, {"max_delay", "15"},
	}
	seen := false
	for _, kv := range base {
		if kv[0] == field {
			seen = true
			if value == "" {
				continue
			}
			kv[1] = value
		}
		parts = append(parts, fmt.Sprintf("%q:%s", kv[0], kv[1]))
	}
	if !seen && value != "" {
		parts = append(parts, fmt.Sprintf("%q:%s", field, value))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Every row of the document's validation table (section 3), each way it
// can be broken, plus the type errors a JSON client can make. Each must be
// a 400 naming the field, with nothing written.
var invalidCreates = []struct {
	name  string
	body  string
	field string
}{
	{"actionType missing", withField("actionType", ""), "actionType"},
	{"actionType not in the enum", withField("actionType", `"poke"`), "actionType"},
	{"actionType in capitals", withField("actionType", `"LIKE"`), "actionType"},
	{"actionType a number", withField("actionType", `1`), "actionType"},
	{"actionType null", withField("actionType", `null`), "actionType"},
	{"poolId not a UUID", withField("poolId", `"pool-1"`), "poolId"},
	{"poolId a number", withField("poolId", `7`), "poolId"},
	{"min_delay missing", withField("min_delay", ""), "min_delay"},
	{"min_delay negative", withField("min_delay", `-1`), "min_delay"},
	{"min_delay fractional", withField("min_delay", `1.5`), "min_delay"},
	{"min_delay a string", withField("min_delay", `"5"`), "min_delay"},
	{"min_delay null", withField("min_delay", `null`), "min_delay"},
	{"min_delay over a day", `{"actionType":"like","min_delay":86401,"max_delay":86401}`, "min_delay"},
	{"max_delay missing", withField("max_delay", ""), "max_delay"},
	{"max_delay negative", withField("max_delay", `-1`), "max_delay"},
	{"max_delay below min_delay", withField("max_delay", `4`), "max_delay"},
	{"max_delay a boolean", withField("max_delay", `true`), "max_delay"},
	{"hourly_limit zero", withField("hourly_limit", `0`), "hourly_limit"},
	{"hourly_limit negative", withField("hourly_limit", `-3`), "hourly_limit"},
	{"hourly_limit fractional", withField("hourly_limit", `2.5`), "hourly_limit"},
	{"daily_limit zero", withField("daily_limit", `0`), "daily_limit"},
	{"daily_limit a string", withField("daily_limit", `"10"`), "daily_limit"},
	{"energy_cost negative", withField("energy_cost", `-1`), "energy_cost"},
	{"energy_cost null", withField("energy_cost", `null`), "energy_cost"},
	{"energy_cost huge", withField("energy_cost", `1e400`), "energy_cost"},
	{"description over 500 characters", withField("description", `"`+strings.Repeat("x", 501)+`"`), "description"},
	{"description a number", withField("description", `5`), "description"},
	{"enabled a string", withField("enabled", `"yes"`), "enabled"},
	{"enabled null", withField("enabled", `null`), "enabled"},
	{"unknown field (GraphQL spelling)", withField("minDelay", `5`), "minDelay"},
}

func TestCreateRefusesEachInvalidFieldWith400AndWritesNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		for _, tc := range invalidCreates {
			t.Run(tc.name, func(t *testing.T) {
				b.A.do(t, http.MethodPost, "/create", tc.body).wantError(t, http.StatusBadRequest, tc.field)
			})
		}
		// Bulk-create applies the same table to each item.
		A := b.unlimited(t)
		for _, tc := range invalidCreates {
			t.Run("bulk "+tc.name, func(t *testing.T) {
				body := `{"items":[{"actionType":"share","min_delay":1,"max_delay":2},` + tc.body + `]}`
				A.do(t, http.MethodPost, "/bulk-create", body).wantError(t, http.StatusBadRequest, "items[1]."+tc.field)
			})
		}
		if n := len(b.rules(t, b.alice.WorkspaceID)); n != 0 {
			t.Errorf("%d rules written by invalid requests", n)
		}
	})
}

func TestCreateAcceptsTheBoundariesAndNullForNullableFields(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		for i, body := range []string{
			`{"actionType":"like","min_delay":0,"max_delay":0,"hourly_limit":1,"daily_limit":1,"energy_cost":0,"description":"` + strings.Repeat("x", 500) + `"}`,
			`{"actionType":"comment","min_delay":5,"max_delay":5,"poolId":null,"hourly_limit":null,"daily_limit":null,"description":null}`,
			`{"actionType":"share","min_delay":86400,"max_delay":86400,"enabled":false}`,
			`{"actionType":"follow","min_delay":5.0,"max_delay":1e1}`, // integral numbers in any notation
			`{"actionType":"post","min_delay":1,"max_delay":2,"id":"ignored","createdAt":"ignored"}`,
		} {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				b.A.create(t, body)
			})
		}
	})
}

func TestUpdateValidatesTheFieldsSentAgainstTheStoredRule(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		r := b.A.create(t, `{"actionType":"like","min_delay":10,"max_delay":20,"hourly_limit":5}`)
		b.A.create(t, `{"actionType":"comment","min_delay":10,"max_delay":20}`)
		for _, tc := range []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"max_delay below the stored min_delay", `{"max_delay":9}`, 400, "max_delay"},
			{"min_delay above the stored max_delay", `{"min_delay":21}`, 400, "max_delay"},
			{"actionType not in the enum", `{"actionType":"poke"}`, 400, "actionType"},
			{"actionType null", `{"actionType":null}`, 400, "actionType"},
			{"min_delay null", `{"min_delay":null}`, 400, "min_delay"},
			{"poolId not a UUID", `{"poolId":"x"}`, 400, "poolId"},
			{"hourly_limit zero", `{"hourly_limit":0}`, 400, "hourly_limit"},
			{"daily_limit fractional", `{"daily_limit":1.5}`, 400, "daily_limit"},
			{"energy_cost negative", `{"energy_cost":-2}`, 400, "energy_cost"},
			{"description too long", `{"description":"` + strings.Repeat("é", 501) + `"}`, 400, "description"},
			{"enabled null", `{"enabled":null}`, 400, "enabled"},
			{"unknown field", `{"maxDelay":30}`, 400, "maxDelay"},
			{"body not an object", `[]`, 400, ""},
			{"malformed JSON", `{"min_delay":`, 400, ""},
			{"empty body", ``, 400, ""},
			{"another rule's action type", `{"actionType":"comment"}`, 409, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var fields []string
				if tc.field != "" {
					fields = append(fields, tc.field)
				}
				b.A.do(t, http.MethodPut, "/update/"+r.ID, tc.body).wantError(t, tc.status, fields...)
			})
		}
		var got rule
		b.A.do(t, http.MethodGet, "/get-by-id/"+r.ID, nil).want(t, http.StatusOK).decode(t, &got)
		if got.MinDelay != 10 || got.MaxDelay != 20 || got.ActionType != "like" || got.HourlyLimit == nil || *got.HourlyLimit != 5 {
			t.Errorf("refused updates changed the rule: %+v", got)
		}
	})
}

func TestBatchBodiesAreValidatedAsDocumented(t *testing.T) {
	t.Parallel()
	item := `{"actionType":"like","min_delay":1,"max_delay":2}`
	items := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]" }
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		r := b.A.create(t, `{"actionType":"share","min_delay":10,"max_delay":20}`)
		A := b.unlimited(t)
		for _, tc := range []struct {
			name, method, path, body string
			status                   int
			field                    string
		}{
			{"bulk-create without items", "POST", "/bulk-create", `{}`, 400, "items"},
			{"bulk-create with no items", "POST", "/bulk-create", `{"items":[]}`, 400, "items"},
			{"bulk-create with 101 items", "POST", "/bulk-create", `{"items":` + items(101) + `}`, 400, "items"},
			{"bulk-create items not an array", "POST", "/bulk-create", `{"items":{}}`, 400, "items"},
			{"bulk-create item not an object", "POST", "/bulk-create", `{"items":[5]}`, 400, "items[0]"},
			{"bulk-create skipDuplicates not a boolean", "POST", "/bulk-create", `{"items":` + items(1) + `,"skipDuplicates":"yes"}`, 400, "skipDuplicates"},
			{"bulk-create unknown field", "POST", "/bulk-create", `{"items":` + items(1) + `,"skip":true}`, 400, "skip"},
			{"bulk-update without items", "PATCH", "/bulk-update", `{}`, 400, "items"},
			{"bulk-update with no items", "PATCH", "/bulk-update", `{"items":[]}`, 400, "items"},
			{"bulk-update item without id", "PATCH", "/bulk-update", `{"items":[{"min_delay":1}]}`, 400, "items[0].id"},
			{"bulk-update item id not a UUID", "PATCH", "/bulk-update", `{"items":[{"id":"uuid-1","min_delay":1}]}`, 400, "items[0].id"},
			{"bulk-update item invalid", "PATCH", "/bulk-update", `{"items":[{"id":"` + r.ID + `","max_delay":1}]}`, 400, "items[0].max_delay"},
			{"bulk-update item unknown field", "PATCH", "/bulk-update", `{"items":[{"id":"` + r.ID + `","minDelay":1}]}`, 400, "items[0].minDelay"},
			{"bulk-update same id twice", "PATCH", "/bulk-update", `{"items":[{"id":"` + r.ID + `"},{"id":"` + r.ID + `"}]}`, 400, "items[1].id"},
			{"bulk-update unknown id", "PATCH", "/bulk-update", `{"items":[{"id":"` + uuid.NewString() + `","min_delay":1}]}`, 404, ""},
			{"delete without ids", "POST", "/delete", `{}`, 400, "ids"},
			{"delete with no ids", "POST", "/delete", `{"ids":[]}`, 400, "ids"},
			{"delete id not a UUID", "POST", "/delete", `{"ids":["` + r.ID + `","uuid-2"]}`, 400, "ids[1]"},
			{"delete ids not an array", "POST", "/delete", `{"ids":"` + r.ID + `"}`, 400, "ids"},
			{"delete unknown id", "POST", "/delete", `{"ids":["` + uuid.NewString() + `"]}`, 404, ""},
			{"get-by-id not a UUID", "GET", "/get-by-id/uuid-1", ``, 400, "id"},
			{"get-by-id unknown", "GET", "/get-by-id/" + uuid.NewString(), ``, 404, ""},
			{"update not a UUID", "PUT", "/update/1", `{}`, 400, "id"},
			{"update unknown", "PUT", "/update/" + uuid.NewString(), `{}`, 404, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var fields []string
				if tc.field != "" {
					fields = append(fields, tc.field)
				}
				var body any
				if tc.body != "" {
					body = tc.body
				}
				A.do(t, tc.method, tc.path, body).wantError(t, tc.status, fields...)
			})
		}
		rs := b.rules(t, b.alice.WorkspaceID)
		if len(rs) != 1 || rs[0].MaxDelay != 20 {
			t.Errorf("refused batches changed the rules: %v", rs)
		}
	})
}

func TestMalformedAndOversizedBodiesAnswerInTheEnvelope(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		for _, tc := range []struct {
			name   string
			body   any
			status int
		}{
			{"malformed JSON", `{"actionType":`, http.StatusBadRequest},
			{"trailing garbage", `{"actionType":"like"} x`, http.StatusBadRequest},
			{"not an object", `"like"`, http.StatusBadRequest},
			{"null", `null`, http.StatusBadRequest},
			{"over 1 MiB", `{"description":"` + strings.Repeat("x", 1<<20) + `"}`, http.StatusRequestEntityTooLarge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.A.do(t, http.MethodPost, "/create", tc.body).wantError(t, tc.status)
			})
		}
		if n := len(b.rules(t, b.alice.WorkspaceID)); n != 0 {
			t.Errorf("%d rules written", n)
		}
	})
}
