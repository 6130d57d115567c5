package sharingtools_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/rest/sharingtools"
)

func TestOpenAPIDocumentsEveryMountedRouteAndNoOther(t *testing.T) {
	t.Parallel()
	openapitest.CheckRoutes(t, sharingtools.OpenAPI(), sharingtools.Routes(sharingtools.Deps{}))
}
