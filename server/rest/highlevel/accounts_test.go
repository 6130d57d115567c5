package highlevel_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/accountgroup"
	"github.com/switchboardhq/switchboard/server/accounts"
)

// accountsIn connects a Facebook page (with HighLevel's ids, as the OAuth
// flow stores them), an Instagram profile that needs reconnecting and a
// Pinterest profile to tn, groups the first two, and connects one account
// to other. It names their ObjectIds and tn's user's.
func accountsIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	as := tn.srv.App.Accounts
	mk := func(tn *tenant, p account.Platform, name string, ext map[string]string, st account.Status) *ent.Account {
		a, err := as.Create(tn.ctx(t), accounts.CreateInput{Platform: p, Username: name, Profile: accounts.Profile{Status: &st}})
		if err != nil {
			t.Fatal(err)
		}
		if ext != nil {
			a = a.Update().SetExternalIds(ext).SaveX(tn.ctx(t))
		}
		return a
	}
	fb := mk(tn, account.PlatformFacebook, "acme.page", map[string]string{
		accounts.ExternalOAuthID: "oauth-1", accounts.ExternalOriginID: "244405000011687", accounts.ExternalAccountType: "page",
		accounts.ExternalTokenExpiry: "2099-01-01T00:00:00Z",
	}, account.StatusACTIVE)
	ig := mk(tn, account.PlatformInstagram, "acme.ig", nil, account.StatusLOGIN_REQUIRED)
	pin := mk(tn, account.PlatformPinterest, "acme.pins", nil, account.StatusACTIVE)
	g, err := as.CreateGroup(tn.ctx(t), "Main brands", []int{fb.ID, ig.ID})
	if err != nil {
		t.Fatal(err)
	}
	foreign := mk(other, account.PlatformX, "globex", nil, account.StatusACTIVE)
	return map[string]string{
		"fbId": fb.ObjectID, "igId": ig.ObjectID, "pinId": pin.ObjectID, "groupId": g.ObjectID,
		"foreignAccountId": foreign.ObjectID, "userId": tn.User.ObjectID, "otherUserId": other.User.ObjectID,
	}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	get, del := http.MethodGet, http.MethodDelete
	runScenarios(t, []scenario{
		{name: "accounts_list", method: get, path: "/{locationId}/accounts", prepare: accountsIn, status: 200},
		{name: "accounts_list_empty", method: get, path: "/{locationId}/accounts", status: 200},
		{name: "account_delete", method: del, path: "/{locationId}/accounts/{fbId}?companyId=c1&userId={userId}", prepare: accountsIn, status: 200,
			check: func(t *testing.T, tn *tenant, r *reply) {
				n, err := tn.srv.App.Store.Client.Account.Query().Count(tn.ctx(t))
				if err != nil || n != 2 {
					t.Fatalf("%d accounts left (%v), want 2", n, err)
				}
				g := tn.srv.App.Store.Client.AccountGroup.Query().Where(accountgroup.Name("Main brands")).OnlyX(tn.ctx(t))
				if ids := g.QueryAccounts().IDsX(tn.ctx(t)); len(ids) != 1 {
					t.Fatalf("group keeps %d accounts, want 1", len(ids))
				}
				// The list no longer shows it.
				var list struct{ Accounts []struct{ ID string } }
				tn.do(t, http.MethodGet, "/"+tn.LocationID+"/accounts", "").want(t, 200).decode(t, &list)
				if len(list.Accounts) != 2 {
					t.Fatalf("list shows %d accounts, want 2", len(list.Accounts))
				}
			}},
		{name: "account_delete_foreign", method: del, path: "/{locationId}/accounts/{foreignAccountId}", prepare: accountsIn, status: 404},
		{name: "account_delete_unknown", method: del, path: "/{locationId}/accounts/0123456789abcdef01234567", status: 404},
		{name: "account_delete_not_objectid", method: del, path: "/{locationId}/accounts/17", status: 422},
		{name: "account_delete_foreign_user", method: del, path: "/{locationId}/accounts/{fbId}?userId={otherUserId}", prepare: accountsIn, status: 422},
	})
}
