package campaigns

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/customer"
	"github.com/switchboardhq/switchboard/ent/customergroup"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// SpamStatus is a spam's state as Shillbot shows it (SPAM_STATUS).
type SpamStatus string

// The spam statuses. A spam is an x_post task: WAITING while it waits for
// or is held by a worker, DONE once posted, ERROR when it failed or was
// cancelled (its bot was deleted).
const (
	SpamWaiting SpamStatus = "WAITING"
	SpamDone    SpamStatus = "DONE"
	SpamError   SpamStatus = "ERROR"
)

var spamTaskStatuses = map[SpamStatus][]task.Status{
	SpamWaiting: {task.StatusPENDING, task.StatusASSIGNED, task.StatusRUNNING},
	SpamDone:    {task.StatusCOMPLETED},
	SpamError:   {task.StatusFAILED, task.StatusCANCELLED},
}

// SpamStatusOf returns the spam status of a task status.
func SpamStatusOf(s task.Status) SpamStatus {
	switch s {
	case task.StatusCOMPLETED:
		return SpamDone
	case task.StatusFAILED, task.StatusCANCELLED:
		return SpamError
	}
	return SpamWaiting
}

// SpamFilter selects spams; zero values do not filter.
type SpamFilter struct {
	Status SpamStatus
	// CampaignIDs, BotIDs and GroupIDs are UUIDs of campaigns, bots and
	// customer groups (the spam's customer is in one of the groups).
	CampaignIDs []uuid.UUID
	BotIDs      []uuid.UUID
	GroupIDs    []uuid.UUID
	// Start and End bound the post time: when the spam was posted (or
	// failed), or, before that, when it was queued.
	Start, End    *time.Time
	Limit, Offset int
}

// Stat sums the metrics of a set of spams.
type Stat struct {
	Views   int64 `json:"views"`
	Likes   int64 `json:"likes"`
	Replies int64 `json:"replies"`
	Reposts int64 `json:"reposts"`
}

// SpamPage is a page of spams (x_post tasks with their bot and campaign),
// how many match and the sums of their metrics.
type SpamPage struct {
	Items []*ent.Task
	// Customers are the page's customers by UUID (a deleted one is absent).
	Customers map[string]*ent.Customer
	Total     int
	Stat      Stat
}

// Spams returns a page of the workspace's spams, newest first, with the
// count and the metric sums of every spam the filter selects, computed by
// the database in one query over the metric columns.
func (s *Service) Spams(ctx context.Context, f SpamFilter) (SpamPage, error) {
	switch {
	case f.Limit < 0 || f.Offset < 0:
		return SpamPage{}, errs.Invalid("limit", "must not be negative")
	case f.Limit > MaxListLimit:
		return SpamPage{}, errs.Invalid("limit", "must be at most %d", MaxListLimit)
	case f.Start != nil && f.End != nil && f.Start.After(*f.End):
		return SpamPage{}, errs.Invalid("startDate", "must not be after endDate")
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.WorkspaceID == 0 {
		return SpamPage{}, errs.Unauthenticated("no workspace")
	}
	q := s.client.Task.Query().Where(task.KindEQ(task.KindX_POST))
	if f.Status != "" {
		sts, ok := spamTaskStatuses[f.Status]
		if !ok {
			return SpamPage{}, errs.Invalid("status", "must be WAITING, DONE or ERROR")
		}
		q.Where(task.StatusIn(sts...))
	}
	if len(f.CampaignIDs) > 0 {
		q.Where(task.HasScheduleWith(schedule.UUIDIn(f.CampaignIDs...)))
	}
	if len(f.BotIDs) > 0 {
		q.Where(task.HasAccountWith(account.UUIDIn(f.BotIDs...)))
	}
	if len(f.GroupIDs) > 0 {
		q.Where(s.inGroups(v.WorkspaceID, f.GroupIDs))
	}
	if f.Start != nil {
		q.Where(task.Or(
			task.FinishedAtGTE(*f.Start),
			task.And(task.FinishedAtIsNil(), task.CreatedAtGTE(*f.Start))))
	}
	if f.End != nil {
		q.Where(task.Or(
			task.FinishedAtLTE(*f.End),
			task.And(task.FinishedAtIsNil(), task.CreatedAtLTE(*f.End))))
	}
	var sums []struct {
		Total   int   `sql:"total"`
		Views   int64 `sql:"views"`
		Likes   int64 `sql:"likes"`
		Replies int64 `sql:"replies"`
		Reposts int64 `sql:"reposts"`
	}
	err := q.Clone().Aggregate(
		func(sel *entsql.Selector) string { return entsql.As(entsql.Count("*"), "total") },
		sum(task.FieldMetricViews, "views"), sum(task.FieldMetricLikes, "likes"),
		sum(task.FieldMetricReplies, "replies"), sum(task.FieldMetricReposts, "reposts"),
	).Scan(ctx, &sums)
	if err != nil {
		return SpamPage{}, fmt.Errorf("count spams: %w", err)
	}
	page := SpamPage{Items: []*ent.Task{}, Customers: map[string]*ent.Customer{}}
	if len(sums) == 1 {
		r := sums[0]
		page.Total, page.Stat = r.Total, Stat{Views: r.Views, Likes: r.Likes, Replies: r.Replies, Reposts: r.Reposts}
	}
	if page.Total == 0 || f.Limit == 0 {
		return page, nil
	}
	page.Items, err = q.
		WithAccount(func(q *ent.AccountQuery) {
			q.Select(account.FieldUUID, account.FieldUsername, account.FieldStatus, account.FieldCreatedAt)
		}).
		WithSchedule().
		Order(task.ByCreatedAt(entsql.OrderDesc()), task.ByID(entsql.OrderDesc())).
		Limit(f.Limit).Offset(f.Offset).All(ctx)
	if err != nil {
		return SpamPage{}, fmt.Errorf("list spams: %w", err)
	}
	var ids []uuid.UUID
	for _, t := range page.Items {
		if p, err := s.post.Payload(t); err == nil {
			if id, err := uuid.Parse(p.CustomerID); err == nil {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > 0 {
		cs, err := s.client.Customer.Query().Where(customer.UUIDIn(dedupe(ids)...)).All(ctx)
		if err != nil {
			return SpamPage{}, fmt.Errorf("spam customers: %w", err)
		}
		for _, c := range cs {
			page.Customers[c.UUID.String()] = c
		}
	}
	return page, nil
}

// sum is the aggregate of a metric column of the spams, as name.
func sum(column, name string) func(*entsql.Selector) string {
	return func(sel *entsql.Selector) string {
		return "COALESCE(SUM(" + sel.C(column) + "), 0) AS " + name
	}
}

// inGroups keeps the spams whose customer is in one of the workspace's
// groups; the customer is named by UUID in the task's payload.
func (s *Service) inGroups(ws int, groups []uuid.UUID) func(*entsql.Selector) {
	return func(sel *entsql.Selector) {
		sel.Where(entsql.P(func(b *entsql.Builder) {
			b.WriteString(s.driver.JSONText(sel.C(task.FieldPayload), []string{"'customerId'"}))
			b.WriteString(fmt.Sprintf(" IN (SELECT CAST(c.%s AS TEXT) FROM %s c JOIN %s gc ON gc.%s = c.id JOIN %s g ON g.id = gc.%s WHERE g.%s = ",
				customer.FieldUUID, customer.Table, customergroup.CustomersTable, customergroup.CustomersPrimaryKey[1],
				customergroup.Table, customergroup.CustomersPrimaryKey[0], customergroup.FieldWorkspaceID))
			b.Arg(ws)
			b.WriteString(" AND g." + customergroup.FieldUUID + " IN (")
			args := make([]any, len(groups))
			for i, g := range groups {
				args[i] = g
			}
			b.Args(args...)
			b.WriteString("))")
		}))
	}
}
