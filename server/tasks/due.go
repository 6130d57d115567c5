package tasks

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/loop"
)

// maxAnnounce bounds the tasks one announcement reads; the rest wait for
// the next tick.
const maxAnnounce = 1000

// DueAnnouncer tells this process's subscribers (taskAvailable) when a
// pending task becomes claimable by the mere passing of time: a retry's
// backoff or a cooldown's deferral ending, a task enqueued for later. No
// transition announces that moment. Every replica runs one and delivers to
// its own hub only, so each subscriber hears of a task once.
type DueAnnouncer struct {
	svc   *Service
	hub   *events.Hub
	every time.Duration
	log   zerolog.Logger
	loop  loop.Loop
	since dueMark // announced up to here; touched by the loop only
}

// dueMark is a position in (not_before, id) order: everything up to and
// including it has been announced.
type dueMark struct {
	at time.Time
	id int
}

// NewDueAnnouncer returns an announcer checking every interval (default
// 1 s, the delay a waiting worker may see beyond a task's not_before).
func NewDueAnnouncer(svc *Service, hub *events.Hub, every time.Duration, log zerolog.Logger) *DueAnnouncer {
	if every <= 0 {
		every = time.Second
	}
	return &DueAnnouncer{svc: svc, hub: hub, every: every, log: log}
}

// Start begins announcing tasks that become due from now on, until Stop or
// until ctx ends. Tasks due already were claimable when their subscribers
// connected; a worker claims once on connecting and then waits.
func (d *DueAnnouncer) Start(ctx context.Context) error {
	d.since = dueMark{at: d.svc.now(), id: maxID}
	d.loop.Start(ctx, d.every, d.tick)
	return nil
}

// Stop stops announcing. It is safe to call twice, or without Start.
func (d *DueAnnouncer) Stop() { d.loop.Stop() }

func (d *DueAnnouncer) tick(ctx context.Context) {
	since, err := d.svc.announceDue(ctx, d.hub, d.since, d.svc.now())
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error().Err(err).Msg("announce due tasks")
		}
		return
	}
	d.since = since
}

// maxID is above every task id: a mark at (t, maxID) covers all of t.
const maxID = int(^uint(0) >> 1)

// announceDue delivers a TopicTaskDue event to hub for each pending task,
// of any workspace, after from in (not_before, id) order and due by to,
// oldest first; it returns how far it got: all of to, or the last task
// announced when there were more than maxAnnounce (tasks enqueued together
// often share a not_before, hence the id in the mark).
func (s *Service) announceDue(ctx context.Context, hub *events.Hub, from dueMark, to time.Time) (dueMark, error) {
	rows, err := s.client.Task.Query().
		Where(
			task.StatusEQ(task.StatusPENDING),
			task.NotBeforeLTE(to),
			// A task claimable when last written (not_before <= updated_at)
			// was announced by that write's transition; only the ones
			// that were waiting are news now.
			predicate.Task(sql.FieldsGT(task.FieldNotBefore, task.FieldUpdatedAt)),
			task.Or(
				task.NotBeforeGT(from.at),
				task.And(task.NotBeforeEQ(from.at), task.IDGT(from.id)),
			),
		).
		Order(task.ByNotBefore(), task.ByID()).
		Select(task.FieldID, task.FieldWorkspaceID, task.FieldNotBefore).
		Limit(maxAnnounce).
		All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return from, fmt.Errorf("find tasks due after %s: %w", from.at.Format(time.RFC3339Nano), err)
	}
	for _, t := range rows {
		hub.Deliver(events.Event{Topic: events.TopicTaskDue, WorkspaceID: t.WorkspaceID, ID: t.ID, Op: events.OpUpdated})
	}
	if len(rows) == maxAnnounce {
		last := rows[len(rows)-1]
		return dueMark{at: last.NotBefore, id: last.ID}, nil
	}
	return dueMark{at: to, id: maxID}, nil
}
