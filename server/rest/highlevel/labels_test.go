package highlevel_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// labelsIn creates categories "Evergreen" and "Launch" and tags "promo"
// and "tips" in tn, and a category and a tag in other, and names their
// ObjectIds.
func labelsIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	l := tn.srv.App.Labels
	vars := map[string]string{}
	for _, c := range []struct{ name, label string }{{"evergreen", "Evergreen"}, {"launch", "Launch"}} {
		name, label := c.name, c.label
		c, err := tn.srv.App.Campaigns.CreateCategory(tn.ctx(t), label)
		if err != nil {
			t.Fatal(err)
		}
		vars[name+"Id"] = c.ObjectID
	}
	for _, name := range []string{"promo", "tips"} {
		tg, err := l.CreateTag(tn.ctx(t), name)
		if err != nil {
			t.Fatal(err)
		}
		vars[name+"Id"] = tg.ObjectID
	}
	c, err := tn.srv.App.Campaigns.CreateCategory(other.ctx(t), "Foreign")
	if err != nil {
		t.Fatal(err)
	}
	vars["foreignCategoryId"] = c.ObjectID
	tg, err := l.CreateTag(other.ctx(t), "foreign")
	if err != nil {
		t.Fatal(err)
	}
	vars["foreignTagId"] = tg.ObjectID
	return vars
}

func TestCategoriesAndTags(t *testing.T) {
	t.Parallel()
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, []scenario{
		{name: "categories_list", method: get, path: "/{locationId}/categories", prepare: labelsIn, status: 200},
		{name: "categories_search_page", method: get, path: "/{locationId}/categories?searchText=LAUN&limit=1&skip=0", prepare: labelsIn, status: 200},
		{name: "categories_skip_past_end", method: get, path: "/{locationId}/categories?skip=5", prepare: labelsIn, status: 200},
		{name: "categories_bad_limit", method: get, path: "/{locationId}/categories?limit=ten", prepare: labelsIn, status: 422},
		{name: "categories_bad_skip", method: get, path: "/{locationId}/categories?skip=first", prepare: labelsIn, status: 422},
		{name: "category_get", method: get, path: "/{locationId}/categories/{launchId}", prepare: labelsIn, status: 200},
		{name: "category_get_foreign", method: get, path: "/{locationId}/categories/{foreignCategoryId}", prepare: labelsIn, status: 404},
		{name: "category_get_not_objectid", method: get, path: "/{locationId}/categories/42", prepare: labelsIn, status: 422},
		{name: "tags_list", method: get, path: "/{locationId}/tags", prepare: labelsIn, status: 200},
		{name: "tags_search", method: get, path: "/{locationId}/tags?searchText=ti", prepare: labelsIn, status: 200},
		{name: "tags_bad_skip", method: get, path: "/{locationId}/tags?skip=-", prepare: labelsIn, status: 422},
		{name: "tags_bad_limit", method: get, path: "/{locationId}/tags?limit=all", prepare: labelsIn, status: 422},
		{name: "tags_details", method: post, path: "/{locationId}/tags/details", prepare: labelsIn, status: 201,
			body: `{"tagIds":["{tipsId}","{foreignTagId}","0123456789abcdef01234567","{tipsId}"]}`},
		{name: "tags_details_not_objectid", method: post, path: "/{locationId}/tags/details", prepare: labelsIn, status: 422,
			body: `{"tagIds":["nope"]}`},
		{name: "tags_details_missing", method: post, path: "/{locationId}/tags/details", status: 422, body: `{}`},
		{name: "tags_details_not_array", method: post, path: "/{locationId}/tags/details", status: 422, body: `{"tagIds":"abc"}`},
		{name: "tags_details_malformed", method: post, path: "/{locationId}/tags/details", status: 400, body: `{"tagIds":[`},
	})
}

// TestLabelsMadeWithGraphQLAreListed makes a category and a tag with
// GraphQL (the document has no route that writes them) and reads them
// back here by the objectID GraphQL shows.
func TestLabelsMadeWithGraphQLAreListed(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tn := newTenant(t, srv)
		tok := srv.Login(t, tn.User.Username)
		var made struct {
			CreateTag      struct{ Tag struct{ ObjectID string } }
			CreateCategory struct{ Category struct{ ObjectID string } }
		}
		srv.GraphQL(t, tok, `mutation {
			createTag(input: {name: " launch "}) { tag { objectID } }
			createCategory(input: {name: "Evergreen"}) { category { objectID } }
		}`, nil).Decode(t, &made)
		var tags struct {
			Tags []struct {
				ID  string `json:"_id"`
				Tag string `json:"tag"`
			} `json:"tags"`
		}
		tn.do(t, http.MethodGet, "/"+tn.LocationID+"/tags", "").want(t, http.StatusOK).decode(t, &tags)
		if len(tags.Tags) != 1 || tags.Tags[0].ID != made.CreateTag.Tag.ObjectID || tags.Tags[0].Tag != "launch" {
			t.Fatalf("tags %+v, want the one made (%s, trimmed)", tags.Tags, made.CreateTag.Tag.ObjectID)
		}
		tn.do(t, http.MethodGet, "/"+tn.LocationID+"/categories/"+made.CreateCategory.Category.ObjectID, "").want(t, http.StatusOK)
		// The same name again is a conflict.
		if r := srv.GraphQL(t, tok, `mutation { createTag(input: {name: "launch"}) { tag { id } } }`, nil); r.Code() != "CONFLICT" {
			t.Fatalf("a second tag called launch: %s, want CONFLICT", r.Code())
		}
	})
}
