package highlevel_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/server/rest/highlevel"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
)

func TestOpenAPIDocumentsEveryMountedRouteAndNoOther(t *testing.T) {
	t.Parallel()
	openapitest.CheckRoutes(t, highlevel.OpenAPI(), highlevel.Routes(highlevel.Deps{}))
}
