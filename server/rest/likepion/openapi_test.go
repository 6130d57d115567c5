package likepion_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/server/rest/likepion"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
)

func TestOpenAPIDocumentsEveryMountedRouteAndNoOther(t *testing.T) {
	t.Parallel()
	openapitest.CheckRoutes(t, likepion.OpenAPI(), likepion.Routes(likepion.Deps{}))
}
