package socialking_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/rest/socialking"
)

func TestOpenAPIDocumentsEveryMountedRouteAndNoOther(t *testing.T) {
	t.Parallel()
	openapitest.CheckRoutes(t, socialking.OpenAPI(), socialking.Routes(socialking.Deps{}))
}
