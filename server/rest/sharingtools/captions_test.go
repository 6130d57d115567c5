package sharingtools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// caption is the document's caption object.
type caption struct {
	ID      int     `json:"id"`
	UserID  *int    `json:"user_id"`
	Title   string  `json:"title"`
	Caption string  `json:"caption"`
	Date    *string `json:"date"`
}

func TestCaptionsCreateListGetUpdateDeleteAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		var c caption
		r := f.do(t, http.MethodPost, "/captions", f.keyA, `{"title":"Launch","caption":"{Hi|Hello} <b>world</b>"}`).want(t, http.StatusCreated)
		r.decode(t, &c)
		if c.ID == 0 || c.UserID == nil || *c.UserID != f.alice.ID || c.Title != "Launch" || c.Caption != "{Hi|Hello} <b>world</b>" || c.Date == nil {
			t.Fatalf("created %s", r.Raw)
		}
		if !strings.Contains(string(r.Raw), "<b>world</b>") {
			t.Fatalf("HTML escaped in %s", r.Raw)
		}
		id := fmt.Sprint(c.ID)

		var got caption
		f.do(t, http.MethodGet, "/captions/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &got)
		if got.ID != c.ID || got.Title != c.Title || got.Caption != c.Caption || *got.Date != *c.Date || *got.UserID != *c.UserID {
			t.Fatalf("get %+v, want %+v", got, c)
		}

		f.do(t, http.MethodPatch, "/captions/"+id, f.keyA, `{"caption":"Bye"}`).want(t, http.StatusOK).decode(t, &got)
		if got.Title != "Launch" || got.Caption != "Bye" {
			t.Fatalf("after PATCH: %+v", got)
		}
		f.do(t, http.MethodPut, "/captions/"+id, f.keyA, `{"title":"Retired"}`).want(t, http.StatusOK).decode(t, &got)
		if got.Title != "Retired" || got.Caption != "Bye" {
			t.Fatalf("after PUT: %+v", got)
		}

		f.do(t, http.MethodDelete, "/captions/"+id, f.keyA, "").want(t, http.StatusOK)
		f.do(t, http.MethodGet, "/captions/"+id, f.keyA, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodDelete, "/captions/"+id, f.keyA, "").want(t, http.StatusNotFound)
	})
}

func TestCaptionsListPagesAndSearches(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		for _, title := range []string{"Summer sale", "Winter sale", "Launch day"} {
			f.do(t, http.MethodPost, "/captions", f.keyA, `{"title":"`+title+`","caption":"text of `+title+`"}`).want(t, http.StatusCreated)
		}
		var cs []caption
		r := f.do(t, http.MethodGet, "/captions?per_page=2", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &cs)
		if len(cs) != 2 || cs[0].Title != "Launch day" || r.Meta["total"] != 3 || r.Meta["total_pages"] != 2 || r.Meta["per_page"] != 2 || r.Meta["page"] != 1 {
			t.Fatalf("page 1: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/captions?per_page=2&page=2", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &cs)
		if len(cs) != 1 || cs[0].Title != "Summer sale" {
			t.Fatalf("page 2: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/captions?search=SALE", f.keyA, "").want(t, http.StatusOK)
		r.decode(t, &cs)
		if len(cs) != 2 || r.Meta["total"] != 2 {
			t.Fatalf("search: %s", r.Raw)
		}
		r = f.do(t, http.MethodGet, "/captions?page=9", f.keyA, "").want(t, http.StatusOK)
		if string(r.Data) != "[]" || r.Meta["total"] != 3 {
			t.Fatalf("past the last page: %s", r.Raw)
		}
	})
}

func TestAnotherUsersCaptionIsNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		var c caption
		f.do(t, http.MethodPost, "/captions", f.keyA, `{"title":"Mine","caption":"alice only"}`).want(t, http.StatusCreated).decode(t, &c)
		id := fmt.Sprint(c.ID)
		f.do(t, http.MethodGet, "/captions/"+id, f.keyB, "").want(t, http.StatusNotFound)
		f.do(t, http.MethodPatch, "/captions/"+id, f.keyB, `{"title":"Stolen"}`).want(t, http.StatusNotFound)
		f.do(t, http.MethodDelete, "/captions/"+id, f.keyB, "").want(t, http.StatusNotFound)
		r := f.do(t, http.MethodGet, "/captions", f.keyB, "").want(t, http.StatusOK)
		if string(r.Data) != "[]" || r.Meta["total"] != 0 {
			t.Fatalf("bob lists %s", r.Raw)
		}
		var got caption
		f.do(t, http.MethodGet, "/captions/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &got)
		if got.Title != "Mine" {
			t.Fatalf("bob's attempts changed alice's caption: %+v", got)
		}
	})
}

func TestCaptionsBadInputIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, testkit.Open(t, testkit.SQLite))
	var c caption
	f.do(t, http.MethodPost, "/captions", f.keyA, `{"title":"Keep","caption":"as is"}`).want(t, http.StatusCreated).decode(t, &c)
	id := fmt.Sprint(c.ID)
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"create without title", http.MethodPost, "/captions", `{"caption":"x"}`, 0, "title"},
		{"create with blank caption", http.MethodPost, "/captions", `{"title":"x","caption":"  "}`, 0, "caption"},
		{"title too long", http.MethodPost, "/captions", `{"title":"` + strings.Repeat("t", 256) + `","caption":"x"}`, 0, "title"},
		{"caption too long", http.MethodPost, "/captions", `{"title":"x","caption":"` + strings.Repeat("c", 2201) + `"}`, 0, "caption"},
		{"broken spintax", http.MethodPost, "/captions", `{"title":"x","caption":"{a|b"}`, 0, "caption"},
		{"wrong type", http.MethodPost, "/captions", `{"title":["x"],"caption":"x"}`, 0, "title"},
		{"unknown field", http.MethodPatch, "/captions/" + id, `{"titel":"x"}`, 0, "titel"},
		{"empty update", http.MethodPatch, "/captions/" + id, `{}`, 0, "body"},
		{"blank title update", http.MethodPut, "/captions/" + id, `{"title":""}`, 0, "title"},
		{"malformed JSON", http.MethodPatch, "/captions/" + id, `{"title":`, http.StatusBadRequest, ""},
		{"not an object", http.MethodPost, "/captions", `["x"]`, http.StatusBadRequest, ""},
		{"non-numeric id", http.MethodGet, "/captions/abc", ``, http.StatusNotFound, ""},
		{"unknown id", http.MethodGet, "/captions/999999", ``, http.StatusNotFound, ""},
		{"per_page over 100", http.MethodGet, "/captions?per_page=101", ``, 0, "per_page"},
		{"page zero", http.MethodGet, "/captions?page=0", ``, 0, "page"},
		{"wrong method", http.MethodPost, "/captions/" + id, `{}`, http.StatusMethodNotAllowed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, f.keyA, tc.body)
			if tc.field != "" {
				r.wantField(t, tc.field)
				return
			}
			r.want(t, tc.status)
		})
	}
	var got caption
	r := f.do(t, http.MethodGet, "/captions", f.keyA, "").want(t, http.StatusOK)
	var all []caption
	r.decode(t, &all)
	f.do(t, http.MethodGet, "/captions/"+id, f.keyA, "").want(t, http.StatusOK).decode(t, &got)
	if len(all) != 1 || got.Title != "Keep" || got.Caption != "as is" {
		t.Fatalf("refused requests changed captions: %s", r.Raw)
	}
}
