package sharingtools_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/accounts/accountstest"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// accountKeys are the document's account object fields, in its order.
var accountKeys = []string{
	"id", "user_id", "instagram_id", "username", "proxy", "mobile_proxy", "login_required",
	"slave", "child", "rpa", "engagement_mod", "counter", "last_login", "date",
}

// stAccount is the account object as a client decodes it.
type stAccount struct {
	ID            int     `json:"id"`
	UserID        int     `json:"user_id"`
	InstagramID   string  `json:"instagram_id"`
	Username      string  `json:"username"`
	Proxy         string  `json:"proxy"`
	MobileProxy   string  `json:"mobile_proxy"`
	LoginRequired bool    `json:"login_required"`
	Slave         bool    `json:"slave"`
	Child         bool    `json:"child"`
	RPA           bool    `json:"rpa"`
	EngagementMod bool    `json:"engagement_mod"`
	Counter       int     `json:"counter"`
	LastLogin     *string `json:"last_login"`
	Date          *string `json:"date"`
}

// objectKeys returns the keys of a JSON object in the order they appear.
func objectKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("read key of %s: %v", raw, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("read value of %s: %v", raw, err)
		}
	}
	return keys
}

// wantAccountObject checks raw is exactly the document's account object.
func wantAccountObject(t *testing.T, raw []byte) stAccount {
	t.Helper()
	if got := objectKeys(t, raw); !reflect.DeepEqual(got, accountKeys) {
		t.Fatalf("account keys %v, want %v", got, accountKeys)
	}
	var a stAccount
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("account %s: %v", raw, err)
	}
	return a
}

// createAccount adds an account for key and returns it.
func (f *fixture) createAccount(t *testing.T, key, username, password string) stAccount {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	return wantAccountObject(t, f.do(t, http.MethodPost, "/accounts", key, body).want(t, http.StatusCreated).Data)
}

// listAccounts returns the accounts of one list page and its answer.
func (f *fixture) listAccounts(t *testing.T, key, query string) ([]stAccount, *reply) {
	t.Helper()
	rep := f.do(t, http.MethodGet, "/accounts"+query, key, "").want(t, http.StatusOK)
	var out []stAccount
	rep.decode(t, &out)
	return out, rep
}

func usernames(as []stAccount) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Username
	}
	return out
}

func TestAccountsCreateListGetUpdateDeleteAsDocumented(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)

		rep := f.do(t, http.MethodPost, "/accounts", f.keyA,
			`{"username":" insta.one ","password":"s3cret-pw","proxy":"http://u:p@10.0.0.1:8080"}`).want(t, http.StatusCreated)
		if rep.Message != "Account added successfully." {
			t.Errorf("create message %q", rep.Message)
		}
		created := wantAccountObject(t, rep.Data)
		want := stAccount{ID: created.ID, UserID: f.alice.ID, Username: "insta.one", Proxy: "http://u:p@10.0.0.1:8080", Date: created.Date}
		if !reflect.DeepEqual(created, want) {
			t.Fatalf("created %+v, want %+v", created, want)
		}
		if created.ID == 0 || created.Date == nil || len(*created.Date) != len("2006-01-02 15:04:05") {
			t.Fatalf("created id/date %+v", created)
		}
		a, err := st.Client.Account.Get(testkit.ViewerContext(t.Context(), f.alice), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Platform != account.PlatformInstagram || a.PasswordEnc == nil || bytes.Contains(*a.PasswordEnc, []byte("s3cret-pw")) {
			t.Fatalf("stored platform %s, password ciphertext %v", a.Platform, a.PasswordEnc)
		}

		got := wantAccountObject(t, f.do(t, http.MethodGet, "/accounts/"+strconv.Itoa(created.ID), f.keyA, "").want(t, http.StatusOK).Data)
		if !reflect.DeepEqual(got, created) {
			t.Fatalf("get %+v, want %+v", got, created)
		}

		list, rep := f.listAccounts(t, f.keyA, "")
		if len(list) != 1 || !reflect.DeepEqual(list[0], created) {
			t.Fatalf("list %+v, want [%+v]", list, created)
		}
		if want := map[string]int{"page": 1, "per_page": 20, "total": 1, "total_pages": 1}; !reflect.DeepEqual(rep.Meta, want) {
			t.Fatalf("meta %v, want %v", rep.Meta, want)
		}

		// An identifier another product stored stays beside mobile_proxy.
		if _, err := st.Client.Account.UpdateOneID(created.ID).SetExternalIds(map[string]string{"instagram_id": "17841400000"}).
			Save(testkit.ViewerContext(t.Context(), f.alice)); err != nil {
			t.Fatal(err)
		}
		path := "/accounts/" + strconv.Itoa(created.ID)
		rep = f.do(t, http.MethodPatch, path, f.keyA,
			`{"mobile_proxy":"socks5://m:1080","login_required":1,"password":"new-pw-2"}`).want(t, http.StatusOK)
		if rep.Message != "Account updated." {
			t.Errorf("update message %q", rep.Message)
		}
		upd := wantAccountObject(t, rep.Data)
		if upd.MobileProxy != "socks5://m:1080" || !upd.LoginRequired || upd.InstagramID != "17841400000" || upd.Proxy != created.Proxy {
			t.Fatalf("patched %+v", upd)
		}
		c, err := accountstest.Stored(t, f.srv.App.Store.Client, f.srv.App.Accounts, mustAccount(t, f, st, created.ID).ID)
		if err != nil || c.Password == nil || *c.Password != "new-pw-2" {
			t.Fatalf("stored password after update: %v %v", c.Password, err)
		}

		upd = wantAccountObject(t, f.do(t, http.MethodPut, path, f.keyA,
			`{"proxy":"","login_required":false}`).want(t, http.StatusOK).Data)
		if upd.Proxy != "" || upd.LoginRequired || upd.MobileProxy != "socks5://m:1080" {
			t.Fatalf("put %+v", upd)
		}
		a = mustAccount(t, f, st, created.ID)
		if a.Status != account.StatusACTIVE {
			t.Fatalf("status after login_required=false: %s", a.Status)
		}
		upd = wantAccountObject(t, f.do(t, http.MethodPatch, path, f.keyA, `{"mobile_proxy":""}`).want(t, http.StatusOK).Data)
		if upd.MobileProxy != "" || upd.InstagramID != "17841400000" {
			t.Fatalf("mobile_proxy cleared %+v", upd)
		}

		rep = f.do(t, http.MethodDelete, path, f.keyA, "").want(t, http.StatusOK)
		var del map[string]int
		rep.decode(t, &del)
		if rep.Message != "Account deleted." || del["id"] != created.ID {
			t.Fatalf("delete answer %s", rep.Raw)
		}
		f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodDelete, path, f.keyA, "").want(t, http.StatusNotFound)
		if list, _ := f.listAccounts(t, f.keyA, ""); len(list) != 0 {
			t.Fatalf("list after delete %+v", list)
		}
	})
}

func mustAccount(t *testing.T, f *fixture, st *store.Store, id int) *ent.Account {
	t.Helper()
	a, err := st.Client.Account.Get(testkit.ViewerContext(t.Context(), f.alice), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccountsListPagesFiltersAndSearches(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		one := f.createAccount(t, f.keyA, "Sunny_Cafe", "pw1")
		two := f.createAccount(t, f.keyA, "moon.bakery", "pw2")
		three := f.createAccount(t, f.keyA, "sunnyside", "pw3")

		list, rep := f.listAccounts(t, f.keyA, "?per_page=2")
		if got, want := usernames(list), []string{"sunnyside", "moon.bakery"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("page 1 %v, want %v (newest first)", got, want)
		}
		if want := map[string]int{"page": 1, "per_page": 2, "total": 3, "total_pages": 2}; !reflect.DeepEqual(rep.Meta, want) {
			t.Fatalf("meta %v, want %v", rep.Meta, want)
		}
		list, rep = f.listAccounts(t, f.keyA, "?per_page=2&page=2")
		if len(list) != 1 || list[0].ID != one.ID || rep.Meta["page"] != 2 || rep.Meta["total"] != 3 {
			t.Fatalf("page 2 %v meta %v", usernames(list), rep.Meta)
		}
		if list, rep = f.listAccounts(t, f.keyA, "?page=3&per_page=2"); len(list) != 0 || rep.Meta["total"] != 3 {
			t.Fatalf("page past the end %s", rep.Raw)
		}
		if !bytes.Contains(rep.Raw, []byte(`"data":[]`)) {
			t.Fatalf("an empty page must be an empty list: %s", rep.Raw)
		}

		f.do(t, http.MethodPatch, "/accounts/"+strconv.Itoa(two.ID), f.keyA, `{"login_required":1}`).want(t, http.StatusOK)
		list, rep = f.listAccounts(t, f.keyA, "?login_required=1")
		if len(list) != 1 || list[0].ID != two.ID || !list[0].LoginRequired || rep.Meta["total"] != 1 {
			t.Fatalf("login_required=1: %s", rep.Raw)
		}
		list, _ = f.listAccounts(t, f.keyA, "?login_required=0")
		if got, want := usernames(list), []string{"sunnyside", "Sunny_Cafe"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("login_required=0: %v, want %v", got, want)
		}

		list, rep = f.listAccounts(t, f.keyA, "?search=SUNNY")
		if got, want := usernames(list), []string{"sunnyside", "Sunny_Cafe"}; !reflect.DeepEqual(got, want) || rep.Meta["total"] != 2 {
			t.Fatalf("search SUNNY: %v, want %v", got, want)
		}
		// A LIKE wildcard in the search is a literal character.
		if list, _ = f.listAccounts(t, f.keyA, "?search=y_c"); len(list) != 1 || list[0].ID != one.ID {
			t.Fatalf("search y_c: %v", usernames(list))
		}
		if list, _ = f.listAccounts(t, f.keyA, "?search=sunny&login_required=0&per_page=1&page=2"); len(list) != 1 || list[0].ID != one.ID {
			t.Fatalf("combined: %v", usernames(list))
		}
		if list, rep = f.listAccounts(t, f.keyA, "?slave=1"); len(list) != 0 || rep.Meta["total"] != 0 {
			t.Fatalf("slave=1 (there are no slave accounts): %s", rep.Raw)
		}
		if list, _ = f.listAccounts(t, f.keyA, "?slave=0"); len(list) != 3 || list[0].ID != three.ID {
			t.Fatalf("slave=0: %v", usernames(list))
		}
	})
}

func TestAnotherUsersAccountIsNotFound(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		alices := f.createAccount(t, f.keyA, "alice.shop", "pw-a")
		bobs := f.createAccount(t, f.keyB, "bob.shop", "pw-b")
		if bobs.UserID != f.bob.ID {
			t.Fatalf("bob's account user_id %d, want %d", bobs.UserID, f.bob.ID)
		}
		path := "/accounts/" + strconv.Itoa(alices.ID)
		for _, c := range []struct{ method, body string }{
			{http.MethodGet, ""},
			{http.MethodPatch, `{"proxy":"http://evil:1"}`},
			{http.MethodPut, `{"login_required":1}`},
			{http.MethodDelete, ""},
		} {
			rep := f.do(t, c.method, path, f.keyB, c.body).want(t, http.StatusNotFound)
			if strings.Contains(string(rep.Raw), "alice.shop") {
				t.Fatalf("%s leaks the account: %s", c.method, rep.Raw)
			}
		}
		got := wantAccountObject(t, f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusOK).Data)
		if !reflect.DeepEqual(got, alices) {
			t.Fatalf("alice's account after bob's attempts %+v, want %+v", got, alices)
		}
		for key, want := range map[string]stAccount{f.keyA: alices, f.keyB: bobs} {
			list, rep := f.listAccounts(t, key, "")
			if len(list) != 1 || list[0].ID != want.ID || rep.Meta["total"] != 1 {
				t.Fatalf("list of %s: %s", want.Username, rep.Raw)
			}
		}
		// The same username in another workspace is not a duplicate.
		f.createAccount(t, f.keyB, "ALICE.shop", "pw-b2")
	})
}

func TestAccountsBadInputIsA422NamingTheField(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		acc := f.createAccount(t, f.keyA, "keeper", "pw-keep")
		path := "/accounts/" + strconv.Itoa(acc.ID)
		for _, c := range []struct {
			name, method, path, body, field string
		}{
			{"missing username", http.MethodPost, "/accounts", `{"password":"x"}`, "username"},
			{"blank username", http.MethodPost, "/accounts", `{"username":"  ","password":"x"}`, "username"},
			{"missing password", http.MethodPost, "/accounts", `{"username":"new.one"}`, "password"},
			{"empty body on create", http.MethodPost, "/accounts", ``, "username"},
			{"username of the wrong type", http.MethodPost, "/accounts", `{"username":5,"password":"x"}`, "username"},
			{"password of the wrong type", http.MethodPost, "/accounts", `{"username":"new.one","password":true}`, "password"},
			{"unknown field on create", http.MethodPost, "/accounts", `{"username":"new.one","password":"x","twofa_secret":"A"}`, "twofa_secret"},
			{"over-long username", http.MethodPost, "/accounts", `{"username":"` + strings.Repeat("u", 201) + `","password":"x"}`, "username"},
			{"over-long proxy", http.MethodPost, "/accounts", `{"username":"new.one","password":"x","proxy":"` + strings.Repeat("p", 501) + `"}`, "proxy"},
			{"empty update", http.MethodPatch, path, `{}`, "body"},
			{"no body on update", http.MethodPut, path, ``, "body"},
			{"unknown field on update", http.MethodPatch, path, `{"username":"renamed"}`, "username"},
			{"login_required=7", http.MethodPatch, path, `{"login_required":7}`, "login_required"},
			{"login_required as a string", http.MethodPatch, path, `{"login_required":"yes"}`, "login_required"},
			{"proxy of the wrong type", http.MethodPatch, path, `{"proxy":1}`, "proxy"},
			{"empty password", http.MethodPatch, path, `{"password":""}`, "password"},
			{"over-long mobile_proxy", http.MethodPatch, path, `{"mobile_proxy":"` + strings.Repeat("m", 501) + `"}`, "mobile_proxy"},
			{"a good field beside a bad one", http.MethodPatch, path, `{"proxy":"http://changed:1","login_required":2}`, "login_required"},
			{"per_page=101", http.MethodGet, "/accounts?per_page=101", ``, "per_page"},
			{"page=0", http.MethodGet, "/accounts?page=0", ``, "page"},
			{"login_required filter", http.MethodGet, "/accounts?login_required=yes", ``, "login_required"},
			{"slave filter", http.MethodGet, "/accounts?slave=2", ``, "slave"},
			{"over-long search", http.MethodGet, "/accounts?search=" + strings.Repeat("s", 201), ``, "search"},
			{"over-long search with slave=1", http.MethodGet, "/accounts?slave=1&search=" + strings.Repeat("s", 201), ``, "search"},
		} {
			t.Run(c.name, func(t *testing.T) {
				f.do(t, c.method, c.path, f.keyA, c.body).wantField(t, c.field)
			})
		}
		for _, p := range []string{"/accounts/abc", "/accounts/0", "/accounts/-1", "/accounts/99999999999999999999"} {
			f.do(t, http.MethodGet, p, f.keyA, "").want(t, http.StatusNotFound)
			f.do(t, http.MethodPatch, p, f.keyA, `{"proxy":"x"}`).want(t, http.StatusNotFound)
			f.do(t, http.MethodDelete, p, f.keyA, "").want(t, http.StatusNotFound)
		}
		f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":`).want(t, http.StatusBadRequest)
		f.do(t, http.MethodPost, "/accounts", f.keyA, `[]`).want(t, http.StatusBadRequest)

		// Nothing was created or changed by the refused requests.
		list, _ := f.listAccounts(t, f.keyA, "")
		if len(list) != 1 || !reflect.DeepEqual(list[0], acc) {
			t.Fatalf("accounts after refused requests %+v, want [%+v]", list, acc)
		}
		c, err := accountstest.Stored(t, f.srv.App.Store.Client, f.srv.App.Accounts, mustAccount(t, f, st, acc.ID).ID)
		if err != nil || c.Password == nil || *c.Password != "pw-keep" {
			t.Fatalf("password after refused requests: %v %v", c.Password, err)
		}
	})
}

func TestCreatingADuplicateAccountUsernameIsAConflict(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		first := f.createAccount(t, f.keyA, "dup.name", "pw-1")
		for _, name := range []string{"dup.name", "DUP.Name", " dup.name "} {
			rep := f.do(t, http.MethodPost, "/accounts", f.keyA, fmt.Sprintf(`{"username":%q,"password":"pw-2"}`, name)).
				want(t, http.StatusConflict)
			if rep.Message != "Account already exists." {
				t.Fatalf("%q: message %q", name, rep.Message)
			}
		}
		list, _ := f.listAccounts(t, f.keyA, "")
		if len(list) != 1 || !reflect.DeepEqual(list[0], first) {
			t.Fatalf("accounts after duplicates %+v", list)
		}
		c, err := accountstest.Stored(t, f.srv.App.Store.Client, f.srv.App.Accounts, mustAccount(t, f, st, first.ID).ID)
		if err != nil || c.Password == nil || *c.Password != "pw-1" {
			t.Fatalf("password after duplicates: %v %v", c.Password, err)
		}
	})
}

func TestAccountPasswordIsNeverReturned(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		const pw, pw2 = "Pa55-unique-7731", "Pa55-second-4412"
		var raws [][]byte
		rep := f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":"secretive","password":"`+pw+`"}`).want(t, http.StatusCreated)
		raws = append(raws, rep.Raw)
		acc := wantAccountObject(t, rep.Data)
		path := "/accounts/" + strconv.Itoa(acc.ID)
		for _, r := range []*reply{
			f.do(t, http.MethodPost, "/accounts", f.keyA, `{"username":"secretive","password":"`+pw+`"}`).want(t, http.StatusConflict),
			f.do(t, http.MethodGet, path, f.keyA, "").want(t, http.StatusOK),
			f.do(t, http.MethodGet, "/accounts?search=secret", f.keyA, "").want(t, http.StatusOK),
			f.do(t, http.MethodPatch, path, f.keyA, `{"password":"`+pw2+`"}`).want(t, http.StatusOK),
			f.do(t, http.MethodPatch, path, f.keyA, `{"password":"`+pw2+`","login_required":9}`).want(t, http.StatusUnprocessableEntity),
			f.do(t, http.MethodDelete, path, f.keyA, "").want(t, http.StatusOK),
		} {
			raws = append(raws, r.Raw)
		}
		for _, raw := range raws {
			for _, leak := range []string{pw, pw2, "password", "_enc"} {
				if bytes.Contains(raw, []byte(leak)) {
					t.Fatalf("answer contains %q: %s", leak, raw)
				}
			}
		}
	})
}

// TestConcurrentCreatesOfOneNameInAnyCaseGiveOne201 posts names that
// differ only in case all at once: one 201, every other answer the
// documented 409.
func TestConcurrentCreatesOfOneNameInAnyCaseGiveOne201(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		const n = 16
		type answer struct {
			status int
			body   []byte
			err    error
		}
		answers := make(chan answer, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			name := "raceN"
			if i%2 == 1 {
				name = "RACEN"
			}
			wg.Go(func() {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+base+"/accounts",
					strings.NewReader(fmt.Sprintf(`{"username":%q,"password":"pw-%d"}`, name, i)))
				if err != nil {
					answers <- answer{err: err}
					return
				}
				req.Header.Set("X-API-Key", f.keyA)
				req.Header.Set("Content-Type", "application/json")
				<-start
				resp, err := f.srv.HTTP.Client().Do(req)
				if err != nil {
					answers <- answer{err: err}
					return
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				answers <- answer{status: resp.StatusCode, body: body, err: err}
			})
		}
		close(start)
		wg.Wait()
		close(answers)
		counts := map[int]int{}
		for a := range answers {
			if a.err != nil {
				t.Fatal(a.err)
			}
			counts[a.status]++
			if a.status == http.StatusConflict && strings.TrimSpace(string(a.body)) != `{"result":0,"message":"Account already exists.","errors":{}}` {
				t.Errorf("409 body %s", a.body)
			}
		}
		if counts[http.StatusCreated] != 1 || counts[http.StatusConflict] != n-1 {
			t.Fatalf("statuses %v, want one 201 and %d 409", counts, n-1)
		}
		if list, _ := f.listAccounts(t, f.keyA, ""); len(list) != 1 {
			t.Fatalf("%d accounts listed, want 1", len(list))
		}
	})
}
