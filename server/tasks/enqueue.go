package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// maxActionType bounds a task's action type, like a rule's.
const maxActionType = 50

// EnqueueInput is a new task.
type EnqueueInput struct {
	Kind task.Kind
	// ActionType is the cooldown rule's action type the task counts against.
	ActionType string
	// AccountID, when set, must be an account of the viewer's workspace.
	AccountID *int
	// PostID links a post_publish task to its post (set by the scheduler,
	// which has checked the post).
	PostID *int
	// ScheduleID links a task to the schedule it was fanned out from (a
	// campaign's posts), set by the schedule's owner, which has checked it.
	ScheduleID *int
	Payload    map[string]any
	Priority   int
	// NotBefore is the earliest the task may be claimed; zero means now.
	NotBefore time.Time
	// MaxAttempts bounds claims of the task; zero means the schema default.
	MaxAttempts int
}

// Enqueue stores a PENDING task in the viewer's workspace.
func (s *Service) Enqueue(ctx context.Context, in EnqueueInput) (*ent.Task, error) {
	var created *ent.Task
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		t, err := s.enqueue(ctx, tx, in)
		if err != nil {
			return err
		}
		created = t
		return s.record(ctx, tx, events.OpCreated, []*ent.Task{t}, func(t *ent.Task) entry {
			return entry{logentry.LevelINFO, "task.enqueued", "enqueued " + string(t.Kind), nil}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue task: %w", err)
	}
	return created.Unwrap(), nil
}

// enqueue validates in and creates its task in tx, without a log entry or
// event (the caller records them, once for a batch).
func (s *Service) enqueue(ctx context.Context, tx *ent.Tx, in EnqueueInput) (*ent.Task, error) {
	if _, err := workspaceOf(ctx); err != nil {
		return nil, err
	}
	def, err := s.definitionOf("kind", in.Kind)
	if err != nil {
		return nil, err
	}
	if err := def.checkPayload(in.Payload); err != nil {
		return nil, err
	}
	if in.MaxAttempts < 0 {
		return nil, errs.Invalid("maxAttempts", "must be positive")
	}
	if len(in.ActionType) > maxActionType {
		return nil, errs.Invalid("actionType", "must be at most %d characters", maxActionType)
	}
	actionType := in.ActionType
	if actionType == "" {
		actionType = DefaultActionType(in.Kind)
	}
	notBefore := in.NotBefore
	if notBefore.IsZero() {
		notBefore = s.now()
	}
	if in.AccountID != nil {
		ok, err := tx.Account.Query().Where(account.ID(*in.AccountID)).Exist(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up account: %w", err)
		}
		if !ok { // privacy hides other workspaces' accounts
			return nil, errs.Invalid("accountID", "account not found")
		}
	}
	c := tx.Task.Create().
		SetKind(in.Kind).
		SetActionType(actionType).
		SetNillableAccountID(in.AccountID).
		SetNillablePostID(in.PostID).
		SetNillableScheduleID(in.ScheduleID).
		SetPriority(in.Priority).
		SetNotBefore(notBefore.Truncate(time.Microsecond))
	if in.Payload != nil {
		c.SetPayload(in.Payload)
	}
	if in.MaxAttempts > 0 {
		c.SetMaxAttempts(in.MaxAttempts)
	}
	t, err := c.Save(ctx)
	if err != nil {
		return nil, errs.FromEnt(err, "task")
	}
	return t, nil
}
