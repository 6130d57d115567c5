package campaigns

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

// Spam is one spam (an x_post task) as the feed shows it: the task's own
// columns, its payload and result decoded once, its bot, its campaign and
// its customer.
type Spam struct {
	UUID                 uuid.UUID
	Status               task.Status
	Error                string
	CreatedAt, UpdatedAt time.Time
	// FinishedAt is when it was posted or failed; nil while it waits.
	FinishedAt *time.Time
	Payload    PostPayload
	// Result is zero before it is posted.
	Result PostResult
	// Bot and Campaign are nil when the task has none; Customer is nil
	// when the payload names none or it was deleted.
	Bot      *ent.Account
	Campaign *SpamCampaign
	Customer *ent.Customer
}

// Failure splits a failed spam's stored reason into its code (the spam's
// error, e.g. TWEET_NOT_FOUND) and its message (errorMessage). A worker
// reports one text, "CODE: message" or just "CODE"; a reason without a
// code (the server's own: "lease expired", "cancelled") is both the error
// and the message, so a failed spam never shows a null error.
func (sp Spam) Failure() (code, message string) {
	r := strings.TrimSpace(sp.Error)
	if head, rest, _ := strings.Cut(r, ":"); isErrorCode(head) {
		return head, strings.TrimSpace(rest)
	}
	return r, r
}

// isErrorCode reports whether s is an upper-case code such as
// TWEET_NOT_FOUND.
func isErrorCode(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// SpamCampaign is the campaign of a spam as the feed shows it.
type SpamCampaign struct {
	UUID   uuid.UUID
	Title  string
	Type   Type
	Status Status
}

// SpamPage is a page of spams, how many match and the sums of their
// metrics.
type SpamPage struct {
	Items []Spam
	Total int
	Stat  Stat
}

// spamRow is the columns of a spam the page reads. The payload and result
// are scanned from their JSON straight into their types: going through
// the entity's maps would decode each twice more.
type spamRow struct {
	ID         int                     `sql:"id"`
	UUID       uuid.UUID               `sql:"uuid"`
	Status     task.Status             `sql:"status"`
	Error      string                  `sql:"error"`
	CreatedAt  time.Time               `sql:"created_at"`
	UpdatedAt  time.Time               `sql:"updated_at"`
	FinishedAt *time.Time              `sql:"finished_at"`
	AccountID  int                     `sql:"account_id"`
	ScheduleID int                     `sql:"schedule_id"`
	Payload    jsonColumn[PostPayload] `sql:"payload"`
	Result     jsonColumn[PostResult]  `sql:"result"`
}

// jsonColumn scans a JSON column into a T; NULL leaves it zero. SQLite
// hands back text written as text (ent writes bytes), so both are read.
type jsonColumn[T any] struct{ V T }

func (c *jsonColumn[T]) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(v, &c.V)
	case string:
		return json.Unmarshal([]byte(v), &c.V)
	}
	return fmt.Errorf("scan JSON from %T", v)
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
	page := SpamPage{Items: []Spam{}}
	if len(sums) == 1 {
		r := sums[0]
		page.Total, page.Stat = r.Total, Stat{Views: r.Views, Likes: r.Likes, Replies: r.Replies, Reposts: r.Reposts}
	}
	if page.Total == 0 || f.Limit == 0 {
		return page, nil
	}
	var rows []spamRow
	err = q.Order(task.ByCreatedAt(entsql.OrderDesc()), task.ByID(entsql.OrderDesc())).
		Limit(f.Limit).Offset(f.Offset).
		Select(task.FieldID, task.FieldUUID, task.FieldStatus, task.FieldError, task.FieldCreatedAt, task.FieldUpdatedAt,
			task.FieldFinishedAt, task.FieldAccountID, task.FieldScheduleID, task.FieldPayload, task.FieldResult).
		Scan(ctx, &rows)
	if err != nil {
		return SpamPage{}, fmt.Errorf("list spams: %w", err)
	}
	if page.Items, err = s.spams(ctx, rows); err != nil {
		return SpamPage{}, err
	}
	return page, nil
}

// spams joins rows to their bots, campaigns and customers, one query
// each, and decodes each campaign's settings once.
func (s *Service) spams(ctx context.Context, rows []spamRow) ([]Spam, error) {
	var botIDs, campaignIDs []int
	var customerIDs []uuid.UUID
	for _, r := range rows {
		if r.AccountID != 0 {
			botIDs = append(botIDs, r.AccountID)
		}
		if r.ScheduleID != 0 {
			campaignIDs = append(campaignIDs, r.ScheduleID)
		}
		if id, err := uuid.Parse(r.Payload.V.CustomerID); err == nil {
			customerIDs = append(customerIDs, id)
		}
	}
	bots := map[int]*ent.Account{}
	if len(botIDs) > 0 {
		as, err := s.client.Account.Query().Where(account.IDIn(dedupe(botIDs)...)).
			Select(account.FieldUUID, account.FieldUsername, account.FieldStatus, account.FieldCreatedAt).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("spam bots: %w", err)
		}
		for _, a := range as {
			bots[a.ID] = a
		}
	}
	campaigns := map[int]*SpamCampaign{}
	if len(campaignIDs) > 0 {
		scs, err := s.client.Schedule.Query().Where(schedule.IDIn(dedupe(campaignIDs)...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("spam campaigns: %w", err)
		}
		for _, sc := range scs {
			set, _ := SettingsOf(sc) // written by Create; a bad row shows no type
			campaigns[sc.ID] = &SpamCampaign{UUID: sc.UUID, Title: sc.Name, Type: set.Type, Status: StatusOf(sc.Status)}
		}
	}
	customers := map[string]*ent.Customer{}
	if len(customerIDs) > 0 {
		cs, err := s.client.Customer.Query().Where(customer.UUIDIn(dedupe(customerIDs)...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("spam customers: %w", err)
		}
		for _, c := range cs {
			customers[c.UUID.String()] = c
		}
	}
	out := make([]Spam, len(rows))
	for i, r := range rows {
		out[i] = Spam{
			UUID: r.UUID, Status: r.Status, Error: r.Error, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt,
			Payload: r.Payload.V, Result: r.Result.V,
			Bot: bots[r.AccountID], Campaign: campaigns[r.ScheduleID], Customer: customers[r.Payload.V.CustomerID],
		}
	}
	return out, nil
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
