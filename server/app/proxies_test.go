package app_test

import (
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Administrators manage the shared proxy pool in GraphQL; members read it
// and are refused changes; bad input names its field.
func TestProxyPoolInGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		srv.CreateUser(t, "root", viewer.RoleAdmin, "ops")
		srv.CreateUser(t, "mia", viewer.RoleMember, "mia-agency")
		root, mia := srv.Login(t, "root"), srv.Login(t, "mia")
		const create = `mutation($p: String!, $c: String) { createProxy(input: {proxy: $p, countryCode: $c}) { proxy { id proxy countryCode useCount } } }`

		var made struct {
			CreateProxy struct {
				Proxy struct{ ID, Proxy, CountryCode string } `json:"proxy"`
			} `json:"createProxy"`
		}
		srv.MustGraphQL(t, root, create, map[string]any{"p": "socks5://u:p@10.0.0.9:1080", "c": "de"}, &made)
		if p := made.CreateProxy.Proxy; p.CountryCode != "DE" || p.Proxy != "socks5://u:p@10.0.0.9:1080" {
			t.Fatalf("created %+v", p)
		}
		if r := srv.GraphQL(t, mia, create, map[string]any{"p": "http://u:p@10.0.0.8:80"}); r.Code() != "FORBIDDEN" {
			t.Fatalf("a member creating a proxy: %+v", r.Errors)
		}
		r := srv.GraphQL(t, root, create, map[string]any{"p": "http://u:hunter2@10.0.0.8"})
		if r.Code() != "BAD_USER_INPUT" || strings.Contains(r.Errors[0].Message, "hunter2") {
			t.Fatalf("a proxy without a port: %+v", r.Errors)
		}
		if r := srv.GraphQL(t, root, create, map[string]any{"p": "socks5://u:p@10.0.0.9:1080"}); r.Code() != "CONFLICT" {
			t.Fatalf("a duplicate proxy: %+v", r.Errors)
		}

		var list struct {
			Proxies struct {
				Nodes      []struct{ ID, CountryCode string } `json:"nodes"`
				TotalCount int                                `json:"totalCount"`
			} `json:"proxies"`
		}
		srv.MustGraphQL(t, mia, `{ proxies(countryCode: "de") { nodes { id countryCode } totalCount } }`, nil, &list)
		if list.Proxies.TotalCount != 1 || list.Proxies.Nodes[0].ID != made.CreateProxy.Proxy.ID {
			t.Fatalf("proxies %+v", list.Proxies)
		}
		if r := srv.GraphQL(t, mia, `{ proxies(perPage: 101) { totalCount } }`, nil); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("perPage 101: %+v", r.Errors)
		}

		id := made.CreateProxy.Proxy.ID
		srv.MustGraphQL(t, root, `mutation($id: ID!) { updateProxy(input: {id: $id, countryCode: "fr"}) { proxy { countryCode } } }`, map[string]any{"id": id}, &map[string]any{})
		if r := srv.GraphQL(t, mia, `mutation($id: ID!) { deleteProxy(input: {id: $id}) { deletedID } }`, map[string]any{"id": id}); r.Code() != "FORBIDDEN" {
			t.Fatalf("a member deleting a proxy: %+v", r.Errors)
		}
		srv.MustGraphQL(t, root, `mutation($id: ID!) { deleteProxy(input: {id: $id}) { deletedID } }`, map[string]any{"id": id}, &map[string]any{})
		if r := srv.GraphQL(t, root, `mutation($id: ID!) { deleteProxy(input: {id: $id}) { deletedID } }`, map[string]any{"id": id}); r.Code() != "NOT_FOUND" {
			t.Fatalf("deleting twice: %+v", r.Errors)
		}
	})
}

// accountStatistics reads the same figures as GET
// /api/v1/statistics/accounts/{id}; another workspace's account is not
// found.
func TestAccountStatisticsInGraphQL(t *testing.T) {
	t.Parallel()
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite))
	srv.CreateUser(t, "ola", viewer.RoleMember, "ola-agency")
	srv.CreateUser(t, "pia", viewer.RoleMember, "pia-agency")
	ola, pia := srv.Login(t, "ola"), srv.Login(t, "pia")
	acc := subCreateAccount(t, srv, ola, "ola_ig", "")
	const q = `query($id: ID!) { accountStatistics(accountID: $id) { account { username } current { followers } posts { total } actions { completed } followersGained history { date followers } } }`
	var out struct {
		AccountStatistics struct {
			Account struct{ Username string } `json:"account"`
			Current struct{ Followers *int }  `json:"current"`
			History []struct{ Date string }   `json:"history"`
		} `json:"accountStatistics"`
	}
	srv.MustGraphQL(t, ola, q, map[string]any{"id": acc.ID}, &out)
	if s := out.AccountStatistics; s.Account.Username != "ola_ig" || s.Current.Followers != nil || len(s.History) != 0 {
		t.Fatalf("accountStatistics %+v", s)
	}
	if r := srv.GraphQL(t, pia, q, map[string]any{"id": acc.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("another workspace's account: %+v", r.Errors)
	}
}
