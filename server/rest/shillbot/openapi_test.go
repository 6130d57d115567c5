package shillbot_test

import (
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/rest/shillbot"
)

func TestOpenAPIDocumentsEveryMountedRouteAndNoOther(t *testing.T) {
	t.Parallel()
	r := chi.NewRouter()
	shillbot.Mount(r, shillbot.Deps{})
	mounted, err := openapitest.MountedRoutes(r)
	if err != nil {
		t.Fatal(err)
	}
	// The spam feed is its sub-router's "/" route, which chi's Mount
	// answers at the bare prefix: the document's GET /spams.
	for i, route := range mounted {
		if route == "GET /spams/" {
			mounted[i] = "GET /spams"
		}
	}
	openapitest.CheckRouteList(t, shillbot.OpenAPI(), mounted)
}
