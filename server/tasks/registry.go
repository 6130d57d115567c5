package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
)

// Stage orders a transition's handlers: lower stages run first. A kind's
// owner keeps its own state first (a post's per-account results, a login's
// verdict); state derived across kinds (statistics) follows and sees it.
type Stage int

const (
	// StageOwner is where the package that owns a kind keeps its state.
	StageOwner Stage = 100
	// StageDerived is for observers of every kind, after the owners.
	StageDerived Stage = 200
)

// HandlerFunc runs inside the transaction of a transition, after the change
// is written, with the changed tasks of one kind as they now are. An error
// rolls the transition back. Follow-up work is enqueued or reported through
// tx; the follow-up's own handlers then run in a later round of the same
// transaction, never nested inside this call.
type HandlerFunc func(ctx context.Context, tx *ent.Tx, changed []*ent.Task) error

// Handler is a named transition handler.
type Handler struct {
	// Name says what the handler keeps in step ("posts.rollup"); errors
	// carry it.
	Name  string
	Stage Stage
	Func  HandlerFunc
}

// definition is a registered kind: how its payload and result are checked
// and what runs when one of its tasks changes state.
type definition struct {
	kind         task.Kind
	checkPayload func(map[string]any) error
	checkResult  func(map[string]any) error
	handlers     []Handler
}

// registry holds the kinds the domain packages registered. Registration
// happens while the app is built; reads are concurrent afterwards.
type registry struct {
	mu        sync.RWMutex
	kinds     map[task.Kind]*definition
	observers []Handler
}

func newRegistry() *registry { return &registry{kinds: map[task.Kind]*definition{}} }

func (r *registry) lookup(k task.Kind) (*definition, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.kinds[k]
	return d, ok
}

// Kind is a registered task kind with payload P and result R. Its methods
// convert between the typed values and a task's stored JSON.
type Kind[P, R any] struct {
	name task.Kind
}

// Name returns the kind's name as stored on tasks.
func (k Kind[P, R]) Name() task.Kind { return k.name }

// Of reports whether t is of this kind.
func (k Kind[P, R]) Of(t *ent.Task) bool { return t.Kind == k.name }

// Input returns in made into a task of this kind carrying p.
func (k Kind[P, R]) Input(p P, in EnqueueInput) (EnqueueInput, error) {
	m, err := toMap(p)
	if err != nil {
		return in, fmt.Errorf("encode %s payload: %w", k.name, err)
	}
	in.Kind, in.Payload = k.name, m
	return in, nil
}

// Payload decodes t's payload.
func (k Kind[P, R]) Payload(t *ent.Task) (P, error) { return Decode[P](t.Payload) }

// Result decodes t's result (the zero R for a task without one).
func (k Kind[P, R]) Result(t *ent.Task) (R, error) { return Decode[R](t.Result) }

// Reported decodes t's payload and result, what a handler of a finished
// task reads; the error names the task and which of the two failed.
func (k Kind[P, R]) Reported(t *ent.Task) (P, R, error) {
	var r R
	p, err := k.Payload(t)
	if err != nil {
		return p, r, fmt.Errorf("decode payload of %s task %d: %w", k.name, t.ID, err)
	}
	if r, err = k.Result(t); err != nil {
		return p, r, fmt.Errorf("decode result of %s task %d: %w", k.name, t.ID, err)
	}
	return p, r, nil
}

// Register adds kind to s's registry with payload type P and result type R
// and the handlers to run on its transitions. The package that owns the
// kind calls it from its constructor. Registering a kind twice, or a name
// the task schema does not know, is a programming error and panics.
func Register[P, R any](s *Service, kind task.Kind, handlers ...Handler) Kind[P, R] {
	if task.KindValidator(kind) != nil {
		panic(fmt.Sprintf("tasks: register %q: not a task kind of the schema", kind))
	}
	d := &definition{
		kind:         kind,
		checkPayload: func(m map[string]any) error { return check[P]("payload", m) },
		checkResult:  func(m map[string]any) error { return check[R]("result", m) },
		handlers:     sortHandlers(handlers),
	}
	s.kinds.mu.Lock()
	defer s.kinds.mu.Unlock()
	if _, dup := s.kinds.kinds[kind]; dup {
		panic(fmt.Sprintf("tasks: kind %q registered twice", kind))
	}
	s.kinds.kinds[kind] = d
	return Kind[P, R]{name: kind}
}

// Observe adds a handler that runs on transitions of every kind, after the
// kind's own handlers of a lower stage.
func (s *Service) Observe(h Handler) {
	s.kinds.mu.Lock()
	defer s.kinds.mu.Unlock()
	s.kinds.observers = sortHandlers(append(s.kinds.observers, h))
}

// Registered returns the registered kinds, sorted by name.
func (s *Service) Registered() []task.Kind {
	s.kinds.mu.RLock()
	defer s.kinds.mu.RUnlock()
	out := make([]task.Kind, 0, len(s.kinds.kinds))
	for k := range s.kinds.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sortHandlers(hs []Handler) []Handler {
	out := slices.Clone(hs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Stage < out[j].Stage })
	return out
}

// definitionOf returns kind's definition, or the invalid-input error a
// caller naming an unregistered kind gets.
func (s *Service) definitionOf(field string, kind task.Kind) (*definition, error) {
	d, ok := s.kinds.lookup(kind)
	if !ok {
		return nil, errs.Invalid(field, "unknown kind %q", kind)
	}
	return d, nil
}

// Decode converts a stored JSON object (a task's payload or result) into T.
// Unknown fields are kept out of T but are no error: workers may report
// more than a kind reads.
func Decode[T any](m map[string]any) (T, error) {
	var v T
	if len(m) == 0 {
		return v, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(b, &v)
}

// validator is implemented by payload and result types with rules beyond
// their JSON shape.
type validator interface{ Validate() error }

// check decodes m into T and validates it; a failure is an invalid-input
// error naming the field at fault ("result.postUrl").
func check[T any](field string, m map[string]any) error {
	if len(m) == 0 {
		var zero T
		if v, ok := any(&zero).(validator); ok {
			if err := v.Validate(); err != nil {
				return fieldError(field, err)
			}
		}
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return errs.Invalid(field, "is not JSON: %v", err)
	}
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errs.Invalid(field+"."+te.Field, "must be %s, not %s", jsonType(te.Type.Kind().String()), te.Value)
		}
		return errs.Invalid(field, "does not match the kind's %s: %v", field, err)
	}
	if val, ok := any(&v).(validator); ok {
		if err := val.Validate(); err != nil {
			return fieldError(field, err)
		}
	}
	return nil
}

// FieldError is what a Validate method returns to name the field at fault.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + " " + e.Message }

// RequireEach is the rule of a Validate method that each of items has a
// value (an id): it returns the FieldError naming the first without one
// ("comments.2.platformId is required"), or nil.
func RequireEach[T any](list string, items []T, name string, value func(T) string) error {
	for i, it := range items {
		if value(it) == "" {
			return FieldError{Field: fmt.Sprintf("%s.%d.%s", list, i, name), Message: "is required"}
		}
	}
	return nil
}

func fieldError(prefix string, err error) error {
	var fe FieldError
	if errors.As(err, &fe) {
		return errs.Invalid(prefix+"."+fe.Field, "%s", fe.Message)
	}
	return errs.Invalid(prefix, "%v", err)
}

// jsonType names a Go reflect kind the way a JSON client thinks of it.
func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean"
	case kind == "slice", kind == "array":
		return "an array"
	case kind == "map", kind == "struct":
		return "an object"
	}
	return kind
}

func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// maxRounds bounds the follow-up rounds of one transaction: handlers that
// keep reporting each other's tasks would otherwise never end.
const maxRounds = 16

type dispatchKey struct{}

// dispatch is the handler queue of one transaction. A transition made by a
// handler (a challenge settling cancels its login task) is queued and its
// handlers run in the next round, after every handler of the current one
// returned: handlers never run nested inside each other.
type dispatch struct {
	pending [][]*ent.Task
}

// changed runs the handlers of ts's kinds and the observers, or queues
// them when a handler of this transaction is already running.
func (s *Service) changed(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	if d, ok := ctx.Value(dispatchKey{}).(*dispatch); ok {
		d.pending = append(d.pending, ts)
		return nil
	}
	d := &dispatch{pending: [][]*ent.Task{ts}}
	ctx = context.WithValue(ctx, dispatchKey{}, d)
	for round := 0; len(d.pending) > 0; round++ {
		if round == maxRounds {
			return fmt.Errorf("task handlers still reporting transitions after %d rounds", maxRounds)
		}
		batch := d.pending[0]
		d.pending = d.pending[1:]
		if err := s.runHandlers(ctx, tx, batch); err != nil {
			return err
		}
	}
	return nil
}

// runHandlers runs, stage by stage, each kind's handlers on its tasks and
// the observers on all of them.
func (s *Service) runHandlers(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	type call struct {
		h  Handler
		ts []*ent.Task
	}
	var calls []call
	byKind := map[task.Kind][]*ent.Task{}
	var kinds []task.Kind
	for _, t := range ts {
		if _, seen := byKind[t.Kind]; !seen {
			kinds = append(kinds, t.Kind)
		}
		byKind[t.Kind] = append(byKind[t.Kind], t)
	}
	s.kinds.mu.RLock()
	for _, k := range kinds {
		if d, ok := s.kinds.kinds[k]; ok {
			for _, h := range d.handlers {
				calls = append(calls, call{h, byKind[k]})
			}
		}
	}
	for _, h := range s.kinds.observers {
		calls = append(calls, call{h, ts})
	}
	s.kinds.mu.RUnlock()
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].h.Stage < calls[j].h.Stage })
	for _, c := range calls {
		if err := c.h.Func(ctx, tx, c.ts); err != nil {
			return fmt.Errorf("%s: %w", c.h.Name, err)
		}
	}
	return nil
}
