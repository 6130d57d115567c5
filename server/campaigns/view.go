package campaigns

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/ent/task"
)

// Campaign is a campaign schedule's settings decoded, as the GraphQL face
// shows them beside the schedule's own fields. Schedule is the row: its
// edges (category, bots, groups, template) are read from it.
type Campaign struct {
	Schedule              *ent.Schedule
	Title                 string
	Type                  Type
	Status                Status
	PostPerDay            int
	IncludeCustomerTagIDs []uuid.UUID
	ExcludeCustomerTagIDs []uuid.UUID
	Keywords              []string
	RunCount              int
}

// CampaignOf returns the campaign schedule sc is, or nil when it is a
// schedule of another kind.
func CampaignOf(sc *ent.Schedule) (*Campaign, error) {
	if sc.Kind != schedule.KindBOT_TASK {
		return nil, nil
	}
	set, err := SettingsOf(sc)
	if err != nil {
		return nil, fmt.Errorf("campaign %d settings: %w", sc.ID, err)
	}
	return &Campaign{
		Schedule: sc, Title: sc.Name, Type: set.Type, Status: StatusOf(sc.Status), PostPerDay: set.PostPerDay,
		IncludeCustomerTagIDs: parseUUIDs(set.IncludeCustomerTagIDs), ExcludeCustomerTagIDs: parseUUIDs(set.ExcludeCustomerTagIDs),
		Keywords: nonNil(set.Keywords), RunCount: sc.RunCount,
	}, nil
}

// Query returns the workspace's campaigns (the privacy rules scope it) in
// status st, or in any status when st is empty, for a face to page.
func (s *Service) Query(st Status) (*ent.ScheduleQuery, error) {
	q := s.client.Schedule.Query().Where(schedule.KindEQ(schedule.KindBOT_TASK))
	if st != "" {
		to, ok := st.schedule()
		if !ok {
			return nil, errInvalidStatus
		}
		q.Where(schedule.StatusEQ(to))
	}
	return q, nil
}

// SpamQuery returns the workspace's spams (x_post tasks) in status st, or
// in any status when st is empty, for a face to page.
func (s *Service) SpamQuery(st SpamStatus) (*ent.TaskQuery, error) {
	q := s.client.Task.Query().Where(task.KindEQ(task.KindX_POST))
	if st != "" {
		sts, ok := spamTaskStatuses[st]
		if !ok {
			return nil, errInvalidSpamStatus
		}
		q.Where(task.StatusIn(sts...))
	}
	return q, nil
}

// SpamOf returns the spam task t is, its payload and result decoded (its
// bot, campaign and customer are not read), or nil when t is a task of
// another kind.
func (s *Service) SpamOf(t *ent.Task) (*Spam, error) {
	if t.Kind != task.KindX_POST {
		return nil, nil
	}
	p, err := s.post.Payload(t)
	if err != nil {
		return nil, fmt.Errorf("spam %d payload: %w", t.ID, err)
	}
	var r PostResult
	if t.Result != nil {
		if r, err = s.post.Result(t); err != nil {
			return nil, fmt.Errorf("spam %d result: %w", t.ID, err)
		}
	}
	return &Spam{
		UUID: t.UUID, Status: t.Status, Error: t.Error, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		FinishedAt: t.FinishedAt, Payload: p, Result: r,
	}, nil
}

// PostTime is when the spam was posted or failed; nil while it waits.
func (sp Spam) PostTime() *time.Time {
	if SpamStatusOf(sp.Status) == SpamWaiting {
		return nil
	}
	return sp.FinishedAt
}

func parseUUIDs(ids []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if u, err := uuid.Parse(id); err == nil {
			out = append(out, u)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
