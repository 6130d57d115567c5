// Package jobs owns user-visible batches of tasks: their progress and their
// cancellation.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/job"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Service manages jobs.
type Service struct {
	client *ent.Client
	bus    events.Bus
	// tasks cancels the waiting tasks of what goes away.
	tasks *tasks.Service
	now   func() time.Time
}

// NewService returns a job service.
func NewService(client *ent.Client, bus events.Bus, ts *tasks.Service) *Service {
	return &Service{client: client, bus: bus, tasks: ts, now: time.Now}
}

// Terminal reports whether a job in status st is finished.
func Terminal(st job.Status) bool {
	switch st {
	case job.StatusSUCCESS, job.StatusPARTIAL, job.StatusFAILED, job.StatusCANCELLED:
		return true
	}
	return false
}

// Cancel stops a job: its tasks that no worker holds yet are cancelled;
// tasks already running finish and are reported as usual. It returns the job
// and the number of tasks cancelled.
func (s *Service) Cancel(ctx context.Context, id int) (*ent.Job, int, error) {
	var (
		out       *ent.Job
		cancelled int
	)
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		j, err := tx.Job.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "job")
		}
		if Terminal(j.Status) {
			return errs.Conflict("job is already %s", j.Status)
		}
		if cancelled, err = s.tasks.CancelWaiting(ctx, tx, "job cancelled",
			[]task.Status{task.StatusPENDING}, task.JobIDEQ(id)); err != nil {
			return err
		}
		now := s.now()
		if out, err = j.Update().
			SetStatus(job.StatusCANCELLED).
			SetFinishedAt(now).
			Save(ctx); err != nil {
			return errs.FromEnt(err, "job")
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicJob, WorkspaceID: j.WorkspaceID, ID: j.ID, Op: events.OpUpdated})
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cancel job %d: %w", id, err)
	}
	return out.Unwrap(), cancelled, nil
}
