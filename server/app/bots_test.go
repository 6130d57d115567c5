package app_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// TestCampaignLabelsInGraphQL: categories, customer groups and tags are
// created, renamed and deleted in the viewer's workspace only.
func TestCampaignLabelsInGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		ua := srv.CreateUser(t, "ana", viewer.RoleMember, "ana-app")
		srv.CreateUser(t, "bob", viewer.RoleMember, "bob-app")
		ana, bo := srv.Login(t, "ana"), srv.Login(t, "bob")
		for _, tc := range []struct{ entity, field string }{
			{"Category", "category"}, {"CustomerGroup", "customerGroup"}, {"CustomerTag", "customerTag"},
		} {
			create := `mutation($n: String!) { create` + tc.entity + `(input: {name: $n}) { ` + tc.field + ` { id name } } }`
			update := `mutation($id: ID!, $n: String!) { update` + tc.entity + `(input: {id: $id, name: $n}) { ` + tc.field + ` { id name } } }`
			del := `mutation($id: ID!) { delete` + tc.entity + `(input: {id: $id}) { deletedID } }`
			var made map[string]map[string]struct{ ID, Name string }
			srv.MustGraphQL(t, ana, create, map[string]any{"n": " launch "}, &made)
			got := made["create"+tc.entity][tc.field]
			if got.Name != "launch" || got.ID == "" {
				t.Fatalf("%s created: %+v", tc.entity, got)
			}
			if r := srv.GraphQL(t, ana, create, map[string]any{"n": "  "}); r.Code() != "BAD_USER_INPUT" {
				t.Fatalf("%s with a blank name: %+v", tc.entity, r.Errors)
			}
			// Another workspace's is not found, and is not changed.
			if r := srv.GraphQL(t, bo, update, map[string]any{"id": got.ID, "n": "hijack"}); r.Code() != "NOT_FOUND" {
				t.Fatalf("%s renamed by B: %+v", tc.entity, r.Errors)
			}
			if r := srv.GraphQL(t, bo, del, map[string]any{"id": got.ID}); r.Code() != "NOT_FOUND" {
				t.Fatalf("%s deleted by B: %+v", tc.entity, r.Errors)
			}
			srv.MustGraphQL(t, ana, update, map[string]any{"id": got.ID, "n": "relaunch"}, &made)
			if made["update"+tc.entity][tc.field].Name != "relaunch" {
				t.Fatalf("%s renamed: %+v", tc.entity, made)
			}
			if r := srv.GraphQL(t, ana, del, map[string]any{"id": got.ID}); len(r.Errors) > 0 {
				t.Fatalf("%s deleted: %+v", tc.entity, r.Errors)
			}
			if r := srv.GraphQL(t, ana, del, map[string]any{"id": got.ID}); r.Code() != "NOT_FOUND" {
				t.Fatalf("%s deleted twice: %+v", tc.entity, r.Errors)
			}
		}
		if r := srv.GraphQL(t, ana, `mutation { a: createCategory(input: {name: "x"}) { category { id } } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if r := srv.GraphQL(t, ana, `mutation { createCategory(input: {name: "x"}) { category { id } } }`, nil); r.Code() != "CONFLICT" {
			t.Fatalf("a duplicate category: %+v", r.Errors)
		}
		// A category campaigns are filed under stays.
		ctx := testkit.ViewerContext(t.Context(), ua)
		cat, err := srv.App.Campaigns.CreateCategory(ctx, "used")
		if err != nil {
			t.Fatal(err)
		}
		bot := srv.App.Store.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("b1").
			SetStatus(account.StatusACTIVE).SaveX(ctx)
		g, err := srv.App.Customers.CreateGroup(ctx, "g")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.App.Campaigns.Create(ctx, campaigns.CreateInput{Title: "t", CategoryID: cat.UUID, PostPerDay: 1,
			BotIDs: []uuid.UUID{bot.UUID}, CustomerGroupIDs: []uuid.UUID{g.UUID}, Type: campaigns.TypeUsers,
			TemplateContents: []string{"gm"}}); err != nil {
			t.Fatal(err)
		}
		if r := srv.GraphQL(t, ana, `mutation($id: ID!) { deleteCategory(input: {id: $id}) { deletedID } }`,
			map[string]any{"id": cat.ID}); r.Code() != "CONFLICT" {
			t.Fatalf("deleting a category in use: %+v", r.Errors)
		}
	})
}

// TestBotsInGraphQL: the bots connection lists the workspace's X accounts
// with their Shillbot fields, removed ones only when asked, and never a
// credential.
func TestBotsInGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		ua := srv.CreateUser(t, "ana", viewer.RoleMember, "ana-app")
		ub := srv.CreateUser(t, "bob", viewer.RoleMember, "bob-app")
		ctx := testkit.ViewerContext(t.Context(), ua)
		for _, name := range []string{"alpha", "beta"} {
			if _, err := srv.App.Bots.Create(ctx, bots.CreateInput{Username: name, Password: "pw-secret", Phone: "+1555",
				AppAuthSecret: "TOTPSECRET", BlueTick: name == "alpha"}); err != nil {
				t.Fatal(err)
			}
		}
		gone, err := srv.App.Bots.Create(ctx, bots.CreateInput{Username: "gamma", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.App.Bots.Delete(ctx, gone.UUID); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.App.Bots.Create(testkit.ViewerContext(t.Context(), ub), bots.CreateInput{Username: "delta", Password: "pw"}); err != nil {
			t.Fatal(err)
		}
		srv.App.Store.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("insta").ExecX(ctx)
		const q = `query($d: Boolean) { bots(isDeleted: $d, orderBy: {field: USERNAME}) { totalCount nodes {
			username status phone blueTick createdBy followerCount followingCount profileName deletedAt credentialsSet } } }`
		var out struct {
			Bots struct {
				TotalCount int
				Nodes      []struct {
					Username, Status, Phone, CreatedBy string
					BlueTick                           bool
					FollowerCount                      *int
					DeletedAt                          *string
					CredentialsSet                     []string
				}
			}
		}
		r := srv.GraphQL(t, srv.Login(t, "ana"), q, nil)
		r.Decode(t, &out)
		if b := out.Bots; b.TotalCount != 2 || b.Nodes[0].Username != "alpha" || !b.Nodes[0].BlueTick || b.Nodes[0].Phone != "+1555" ||
			b.Nodes[0].Status != "LOGGING" || b.Nodes[0].CreatedBy != "USER" || b.Nodes[0].DeletedAt != nil ||
			strings.Join(b.Nodes[0].CredentialsSet, ",") != "PASSWORD,APP_AUTH_SECRET" {
			t.Fatalf("bots: %+v", b)
		}
		if strings.Contains(string(r.Data), "pw-secret") || strings.Contains(string(r.Data), "TOTPSECRET") {
			t.Fatalf("a credential in GraphQL: %s", r.Data)
		}
		srv.MustGraphQL(t, srv.Login(t, "ana"), q, map[string]any{"d": true}, &out)
		if b := out.Bots; b.TotalCount != 1 || b.Nodes[0].Username != "gamma" || b.Nodes[0].DeletedAt == nil {
			t.Fatalf("deleted bots: %+v", b)
		}
	})
}
