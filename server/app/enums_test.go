package app_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/graph/generated"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

var screamingCase = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func TestEveryEnumValueIsScreamingCase(t *testing.T) {
	t.Parallel()
	for name, def := range generated.NewExecutableSchema(generated.Config{}).Schema().Types {
		if strings.HasPrefix(name, "__") || len(def.EnumValues) == 0 {
			continue
		}
		for _, v := range def.EnumValues {
			if !screamingCase.MatchString(v.Name) {
				t.Errorf("enum %s has value %s", name, v.Name)
			}
		}
	}
}

// GraphQL speaks INSTAGRAM, ADMIN and WORKER while the database and the CLI
// keep instagram, admin and worker.
func TestEnumsAreScreamingCaseInGraphQLAndStoredAsBefore(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "enums")
		createAccount(t, srv, tok, map[string]any{"platform": "INSTAGRAM", "username": "upper"})
		createAPIKey(t, srv, tok, "bot", "WORKER")

		var out struct {
			Accounts struct {
				Edges []struct {
					Node struct{ Platform string } `json:"node"`
				} `json:"edges"`
			} `json:"accounts"`
			APIKeys struct {
				Edges []struct {
					Node struct{ Scope string } `json:"node"`
				} `json:"edges"`
			} `json:"apiKeys"`
		}
		srv.MustGraphQL(t, tok, `{ accounts(where: {platform: INSTAGRAM}) { edges { node { platform } } }
			apiKeys(where: {scope: WORKER}) { edges { node { scope } } } }`, nil, &out)
		if len(out.Accounts.Edges) != 1 || out.Accounts.Edges[0].Node.Platform != "INSTAGRAM" {
			t.Errorf("accounts = %+v, want one INSTAGRAM", out.Accounts)
		}
		if len(out.APIKeys.Edges) != 1 || out.APIKeys.Edges[0].Node.Scope != "WORKER" {
			t.Errorf("apiKeys = %+v, want one WORKER", out.APIKeys)
		}

		var platform, scope string
		if err := st.DB.QueryRowContext(t.Context(), `SELECT platform FROM accounts WHERE username = 'upper'`).Scan(&platform); err != nil {
			t.Fatal(err)
		}
		if err := st.DB.QueryRowContext(t.Context(), `SELECT scope FROM api_keys WHERE name = 'bot'`).Scan(&scope); err != nil {
			t.Fatal(err)
		}
		if platform != "instagram" || scope != "worker" {
			t.Errorf("stored platform %q, scope %q; want instagram, worker", platform, scope)
		}

		if r := srv.GraphQL(t, tok, `{ accounts(where: {platform: instagram}) { totalCount } }`, nil); len(r.Errors) == 0 {
			t.Errorf("the stored spelling instagram was accepted as a GraphQL enum value")
		}
	})
}
