package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/wallettransaction"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Captions and the profile are editable in GraphQL through the same
// services as the Sharingtools routes; another workspace's caption is not
// found.
func TestCaptionsAndProfileInGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "gina", viewer.RoleMember, "gina-agency")
		srv.CreateUser(t, "hank", viewer.RoleMember, "hank-agency")
		gina, hank := srv.Login(t, "gina"), srv.Login(t, "hank")

		var created struct {
			CreateCaption struct {
				Caption struct{ ID, Title, Caption string } `json:"caption"`
			} `json:"createCaption"`
		}
		srv.MustGraphQL(t, gina, `mutation { createCaption(input: {title: "Sale", caption: "{Big|Huge} sale"}) { caption { id title caption } } }`, nil, &created)
		id := created.CreateCaption.Caption.ID
		if id == "" || created.CreateCaption.Caption.Caption != "{Big|Huge} sale" {
			t.Fatalf("created %+v", created)
		}

		var updated struct {
			UpdateCaption struct {
				Caption struct{ Title, Caption string } `json:"caption"`
			} `json:"updateCaption"`
		}
		srv.MustGraphQL(t, gina, `mutation($id: ID!) { updateCaption(input: {id: $id, title: "Clearance"}) { caption { title caption } } }`,
			map[string]any{"id": id}, &updated)
		if updated.UpdateCaption.Caption.Title != "Clearance" || updated.UpdateCaption.Caption.Caption != "{Big|Huge} sale" {
			t.Fatalf("updated %+v", updated)
		}
		if code := srv.GraphQL(t, gina, `mutation { createCaption(input: {title: "", caption: "x"}) { caption { id } } }`, nil).Code(); code != "BAD_USER_INPUT" {
			t.Fatalf("blank title: code %q, want BAD_USER_INPUT", code)
		}

		var list struct {
			Captions struct{ TotalCount int } `json:"captions"`
		}
		srv.MustGraphQL(t, hank, `{ captions { totalCount } }`, nil, &list)
		if list.Captions.TotalCount != 0 {
			t.Fatalf("hank sees %d of gina's captions", list.Captions.TotalCount)
		}
		if code := srv.GraphQL(t, hank, `mutation($id: ID!) { deleteCaption(input: {id: $id}) { deletedID } }`, map[string]any{"id": id}).Code(); code != "NOT_FOUND" {
			t.Fatalf("hank deleting gina's caption: code %q, want NOT_FOUND", code)
		}
		var deleted map[string]any
		srv.MustGraphQL(t, gina, `mutation($id: ID!) { deleteCaption(input: {id: $id}) { deletedID } }`, map[string]any{"id": id}, &deleted)
		srv.MustGraphQL(t, gina, `{ captions { totalCount } }`, nil, &list)
		if list.Captions.TotalCount != 0 {
			t.Fatalf("%d captions after delete", list.Captions.TotalCount)
		}

		var prof struct {
			UpdateProfile struct {
				User struct{ Firstname, Lastname, Email string } `json:"user"`
			} `json:"updateProfile"`
		}
		srv.MustGraphQL(t, gina, `mutation { updateProfile(input: {firstname: "Gina", email: "gina@example.com"}) { user { firstname lastname email } } }`, nil, &prof)
		if prof.UpdateProfile.User.Firstname != "Gina" || prof.UpdateProfile.User.Email != "gina@example.com" {
			t.Fatalf("profile %+v", prof)
		}
		if code := srv.GraphQL(t, gina, `mutation { updateProfile(input: {email: "nope"}) { user { email } } }`, nil).Code(); code != "BAD_USER_INPUT" {
			t.Fatalf("bad email: code %q", code)
		}
	})
}

// cooldownRules lists the viewer's workspace's rules only.
func TestCooldownRulesConnectionIsPerWorkspace(t *testing.T) {
	t.Parallel()
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite))
	srv.CreateUser(t, "ivy", viewer.RoleMember, "ivy-agency")
	srv.CreateUser(t, "jack", viewer.RoleMember, "jack-agency")
	ivy, jack := srv.Login(t, "ivy"), srv.Login(t, "jack")
	var created map[string]any
	srv.MustGraphQL(t, ivy, `mutation { createCooldownRule(input: {actionType: "like", minDelay: 1, maxDelay: 2}) { rule { id } } }`, nil, &created)
	var out struct {
		CooldownRules struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ActionType string } `json:"node"`
			} `json:"edges"`
		} `json:"cooldownRules"`
	}
	srv.MustGraphQL(t, ivy, `{ cooldownRules { totalCount edges { node { actionType } } } }`, nil, &out)
	if out.CooldownRules.TotalCount != 1 || out.CooldownRules.Edges[0].Node.ActionType != "like" {
		t.Fatalf("ivy's rules %+v", out)
	}
	srv.MustGraphQL(t, jack, `{ cooldownRules { totalCount } }`, nil, &out)
	if out.CooldownRules.TotalCount != 0 {
		t.Fatalf("jack sees %d of ivy's rules", out.CooldownRules.TotalCount)
	}
}

// statistics counts the viewer's workspace, through the same service as
// Sharingtools' GET /statistics.
func TestStatisticsInGraphQL(t *testing.T) {
	t.Parallel()
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite))
	srv.CreateUser(t, "kim", viewer.RoleMember, "kim-agency")
	kim := srv.Login(t, "kim")
	var created map[string]any
	srv.MustGraphQL(t, kim, `mutation { createCaption(input: {title: "a", caption: "b"}) { caption { id } } }`, nil, &created)
	var out struct {
		Statistics struct {
			Accounts struct{ Total, Active, LoginRequired int } `json:"accounts"`
			Posts    struct{ Total, Saved int }                 `json:"posts"`
			Captions int                                        `json:"captions"`
		} `json:"statistics"`
	}
	srv.MustGraphQL(t, kim, `{ statistics { accounts { total active loginRequired } posts { total saved } captions } }`, nil, &out)
	if out.Statistics.Captions != 1 || out.Statistics.Accounts.Total != 0 || out.Statistics.Posts.Total != 0 {
		t.Fatalf("statistics %+v", out.Statistics)
	}
}

// generateAPIKey replaces the viewer's api-scope keys, as Sharingtools'
// keys/generate does, and keeps the worker keys.
func TestGenerateAPIKeyReplacesTheViewersAPIKeys(t *testing.T) {
	t.Parallel()
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite))
	u := srv.CreateUser(t, "lena", viewer.RoleMember, "lena-agency")
	session := srv.Login(t, "lena")
	old, worker := srv.APIKey(t, u, viewer.ScopeAPI), srv.APIKey(t, u, viewer.ScopeWorker)
	var out struct {
		GenerateAPIKey struct{ Key string } `json:"generateAPIKey"`
	}
	srv.MustGraphQL(t, session, `mutation { generateAPIKey(input: {name: "rotated"}) { key apiKey { name scope } } }`, nil, &out)
	if len(out.GenerateAPIKey.Key) != 68 {
		t.Fatalf("generated %+v", out)
	}
	if code := srv.GraphQL(t, old, `{ viewer { user { username } } }`, nil).Code(); code != "UNAUTHENTICATED" {
		t.Fatalf("old key: code %q, want UNAUTHENTICATED", code)
	}
	var me map[string]any
	srv.MustGraphQL(t, out.GenerateAPIKey.Key, `{ viewer { user { username } } }`, nil, &me)
	srv.MustGraphQL(t, worker, `{ viewer { user { username } } }`, nil, &me)
	if code := srv.GraphQL(t, worker, `mutation { generateAPIKey(input: {}) { key } }`, nil).Code(); code != "FORBIDDEN" {
		t.Fatalf("worker key generating: code %q, want FORBIDDEN", code)
	}
}

// wallet and planSubscription read the same services as Sharingtools'
// GET /wallet and GET /user/subscription.
func TestWalletAndPlanSubscriptionInGraphQL(t *testing.T) {
	t.Parallel()
	st := testkit.Open(t, testkit.SQLite)
	srv := testkit.StartServer(t, st)
	u := srv.CreateUser(t, "mona", viewer.RoleMember, "mona-agency")
	session := srv.Login(t, "mona")
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	ctx := testkit.ViewerContext(t.Context(), u)
	for _, tx := range []struct {
		cents int64
		typ   wallettransaction.Type
		st    wallettransaction.Status
	}{{5000, "credit", "completed"}, {1250, "debit", "completed"}, {999, "credit", "pending"}} {
		st.Client.WalletTransaction.Create().SetAmountCents(tx.cents).SetType(tx.typ).SetStatus(tx.st).SaveX(ctx)
	}
	p := st.Client.Plan.Create().SetTitle("Pro").SetAccountLimit(50).SaveX(sys)
	st.Client.User.UpdateOneID(u.ID).SetPlanID(p.ID).ExecX(sys)

	var out struct {
		Wallet struct {
			Balance  float64
			Currency string
		} `json:"wallet"`
		PlanSubscription struct {
			Plan     struct{ Title string } `json:"plan"`
			ExpireAt *string                `json:"expireAt"`
			Expired  bool                   `json:"expired"`
		} `json:"planSubscription"`
		WalletTransactions struct{ TotalCount int } `json:"walletTransactions"`
	}
	srv.MustGraphQL(t, session, `{ wallet { balance currency } planSubscription { plan { title } expireAt expired } walletTransactions { totalCount } }`, nil, &out)
	if out.Wallet.Balance != 37.5 || out.Wallet.Currency != "USD" || out.PlanSubscription.Plan.Title != "Pro" ||
		out.PlanSubscription.ExpireAt != nil || out.PlanSubscription.Expired || out.WalletTransactions.TotalCount != 3 {
		t.Fatalf("got %+v", out)
	}
}

// The admin-only queries read every workspace through server/admin and
// refuse members.
func TestAdminQueriesInGraphQL(t *testing.T) {
	t.Parallel()
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite))
	srv.CreateUser(t, "root", viewer.RoleAdmin, "ops")
	nina := srv.CreateUser(t, "nina", viewer.RoleMember, "nina-agency")
	root, member := srv.Login(t, "root"), srv.Login(t, "nina")
	key := srv.APIKey(t, nina, viewer.ScopeAPI)

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/user", nil)
	req.Header.Set("X-API-Key", key)
	resp, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var out struct {
		AdminRequestLogs struct {
			TotalCount int
			Nodes      []struct {
				Endpoint   string
				StatusCode int
				UserID     string
			}
		} `json:"adminRequestLogs"`
		AdminAPIKeys      struct{ TotalCount int }    `json:"adminAPIKeys"`
		AdminRequestStats struct{ TotalRequests int } `json:"adminRequestStats"`
	}
	q := `{ adminRequestLogs(filter: {method: "get"}) { totalCount nodes { endpoint statusCode userID } } adminAPIKeys { totalCount } adminRequestStats { totalRequests } }`
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		srv.MustGraphQL(t, root, q, nil, &out)
		if out.AdminRequestLogs.TotalCount > 0 || time.Now().After(deadline) {
			break
		}
	}
	if out.AdminRequestLogs.TotalCount != 1 || out.AdminRequestLogs.Nodes[0].Endpoint != "/api/v1/user" ||
		out.AdminRequestLogs.Nodes[0].StatusCode != 200 || out.AdminAPIKeys.TotalCount != 1 || out.AdminRequestStats.TotalRequests != 1 {
		t.Fatalf("admin views %+v", out)
	}
	for _, query := range []string{`{ adminRequestLogs { totalCount } }`, `{ adminAPIKeys { totalCount } }`, `{ adminRequestStats { totalRequests } }`} {
		if code := srv.GraphQL(t, member, query, nil).Code(); code != "FORBIDDEN" {
			t.Fatalf("member %s: code %q, want FORBIDDEN", query, code)
		}
	}
	if code := srv.GraphQL(t, root, `{ adminRequestLogs(perPage: 500) { totalCount } }`, nil).Code(); code != "BAD_USER_INPUT" {
		t.Fatalf("perPage 500: code %q", code)
	}
}
