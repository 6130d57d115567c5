package tasks

import (
	"strconv"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
)

// Ref names the task a report is about. Protocols name tasks differently —
// GraphQL by node id, Likepion by the task's UUID among post tasks — and
// the report finds and locks the task by that name in one query, so a
// worker's report costs no separate lookup.
type Ref struct {
	id    int
	uuid  uuid.UUID
	kinds []task.Kind
}

// TaskID names a task by its id.
func TaskID(id int) Ref { return Ref{id: id} }

// TaskUUID names a task by its UUID; with kinds, a task of another kind is
// not found.
func TaskUUID(id uuid.UUID, kinds ...task.Kind) Ref { return Ref{uuid: id, kinds: kinds} }

// String names the task in errors.
func (r Ref) String() string {
	if r.id != 0 {
		return "task " + strconv.Itoa(r.id)
	}
	return "task " + r.uuid.String()
}

func (r Ref) where() []predicate.Task {
	if r.id != 0 {
		return []predicate.Task{task.ID(r.id)}
	}
	w := []predicate.Task{task.UUID(r.uuid)}
	if len(r.kinds) > 0 {
		w = append(w, task.KindIn(r.kinds...))
	}
	return w
}
