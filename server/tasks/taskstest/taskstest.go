// Package taskstest registers task kinds for tests of packages that lease
// tasks without the domain package that owns their kind: each kind with an
// untyped payload and result and no handlers.
package taskstest

import (
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Any is a kind's payload or result when the test does not care.
type Any = map[string]any

// Register registers kinds on ts (every kind of the schema when none are
// named) and returns ts.
func Register(ts *tasks.Service, kinds ...task.Kind) *tasks.Service {
	if len(kinds) == 0 {
		kinds = all
	}
	for _, k := range kinds {
		tasks.Register[Any, Any](ts, k)
	}
	return ts
}

var all = []task.Kind{
	task.KindPOST_PUBLISH, task.KindLOGIN, task.KindCHALLENGE_SUBMIT, task.KindREACTION, task.KindREPOST,
	task.KindFOLLOW, task.KindLIKE, task.KindCOMMENT, task.KindDM, task.KindLEAD_SCRAPE, task.KindBOT_REFRESH,
}
