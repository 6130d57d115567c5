package app_test

import (
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// The products whose documents the README links.
var openapiProducts = []string{"socialking", "likepion", "sharingtools", "highlevel", "shillbot"}

func TestOpenAPIDocumentsAreServedWithoutCredentialsAndValidate(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		for _, name := range openapiProducts {
			t.Run(name, func(t *testing.T) {
				status, h, body := httpGet(t, srv, "/openapi/"+name+".json", nil)
				if status != http.StatusOK {
					t.Fatalf("status %d, body %s", status, body)
				}
				if ct := h.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				if h.Get("ETag") == "" || h.Get("Cache-Control") == "" {
					t.Errorf("ETag %q, Cache-Control %q: want both", h.Get("ETag"), h.Get("Cache-Control"))
				}
				doc, err := openapi3.NewLoader().LoadFromData(body)
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				if err := doc.Validate(t.Context()); err != nil {
					t.Errorf("validate: %v", err)
				}
				if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
					t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
				}
				if doc.Paths.Len() == 0 {
					t.Error("no paths")
				}

				// A client that has it asks again with its ETag.
				status, _, body = httpGet(t, srv, "/openapi/"+name+".json", http.Header{"If-None-Match": {h.Get("ETag")}})
				if status != http.StatusNotModified || len(body) != 0 {
					t.Errorf("revalidation: status %d with %d bytes, want 304 and none", status, len(body))
				}
			})
		}
		for _, path := range []string{"/openapi/nosuch.json", "/openapi/socialking", "/openapi/"} {
			if status, _, _ := httpGet(t, srv, path, nil); status != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", path, status)
			}
		}
	})
}
