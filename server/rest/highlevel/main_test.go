package highlevel_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
