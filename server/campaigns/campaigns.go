// Package campaigns owns bot campaigns (Shillbot's "tasks"): a Schedule of
// kind BOT_TASK that posts content spun from a template at the customers
// of its groups, through its bots, postPerDay times a day. It owns the
// x_post task kind (one post, a "spam"), the categories campaigns are filed
// under, and the sweep that turns due campaigns into posts.
package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/spintax"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Limits of a campaign.
const (
	MaxTitleLen = 255
	// MaxPostPerDay keeps the spacing of posts at a minute or more (a
	// schedule's shortest interval).
	MaxPostPerDay = 1440
	MaxBots       = 1000
	MaxGroups     = 100
	// MaxTags bounds each of a campaign's include and exclude tag lists.
	MaxTags      = 100
	MaxKeywords  = 100
	MaxTemplates = 100
	// MaxTemplateLen bounds one template text, spintax included.
	MaxTemplateLen = 10000
	MaxListLimit   = 1000
	maxSearchLen   = 200
)

// Type is what a campaign aims at (Shillbot's TASK_TYPE).
type Type string

// The campaign types.
const (
	TypeUsers        Type = "USERS"
	TypePosts        Type = "POSTS"
	TypeKeywords     Type = "KEYWORDS"
	TypeUserKeywords Type = "USER_KEYWORDS"
)

func (t Type) valid() bool {
	switch t {
	case TypeUsers, TypePosts, TypeKeywords, TypeUserKeywords:
		return true
	}
	return false
}

// Status is a campaign's state as Shillbot names it (TASK_STATUS). The
// document shows RUNNING only; PAUSED and STOPPED are decision (h) in
// docs/compat.md. They are the schedule's ACTIVE, PAUSED and COMPLETED.
type Status string

// The campaign statuses.
const (
	StatusRunning Status = "RUNNING"
	StatusPaused  Status = "PAUSED"
	StatusStopped Status = "STOPPED"
)

// StatusOf returns the campaign status of schedule status s.
func StatusOf(s schedule.Status) Status {
	switch s {
	case schedule.StatusPAUSED:
		return StatusPaused
	case schedule.StatusCOMPLETED:
		return StatusStopped
	}
	return StatusRunning
}

func (s Status) schedule() (schedule.Status, bool) {
	switch s {
	case StatusRunning:
		return schedule.StatusACTIVE, true
	case StatusPaused:
		return schedule.StatusPAUSED, true
	case StatusStopped:
		return schedule.StatusCOMPLETED, true
	}
	return "", false
}

// Settings are what a campaign keeps in its schedule's settings.
type Settings struct {
	Type                  Type     `json:"type"`
	PostPerDay            int      `json:"postPerDay"`
	IncludeCustomerTagIDs []string `json:"includeCustomerTagIds"`
	ExcludeCustomerTagIDs []string `json:"excludeCustomerTagIds"`
	Keywords              []string `json:"keywords"`
}

// SettingsOf decodes a campaign schedule's settings.
func SettingsOf(s *ent.Schedule) (Settings, error) {
	return tasks.Decode[Settings](s.Settings)
}

// Service manages the campaigns and categories of the viewer's workspace.
type Service struct {
	client  *ent.Client
	driver  store.Driver
	tasks   *tasks.Service
	bus     events.Bus
	post    Post
	metrics MetricsKind
	now     func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes now the service's clock (tests pass a testkit.Clock's).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// NewService returns a campaign service and registers the x_post and
// x_metrics kinds on ts.
func NewService(client *ent.Client, d store.Driver, ts *tasks.Service, bus events.Bus, opts ...Option) *Service {
	s := &Service{client: client, driver: d, tasks: ts, bus: bus, now: time.Now}
	s.post = s.registerPost(ts)
	s.metrics = s.registerMetrics(ts)
	for _, o := range opts {
		o(s)
	}
	return s
}

// CreateCategory stores a new category called name; a name the workspace
// already uses is a conflict.
func (s *Service) CreateCategory(ctx context.Context, name string) (*ent.Category, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, errs.Invalid("name", "is required")
	case utf8.RuneCountInString(name) > MaxTitleLen:
		return nil, errs.Invalid("name", "must be at most %d characters", MaxTitleLen)
	}
	c, err := s.client.Category.Create().SetName(name).Save(ctx)
	if err != nil {
		if ent.IsConstraintError(err) {
			return nil, errs.Conflict("a category called %q exists", name)
		}
		return nil, fmt.Errorf("create category: %w", err)
	}
	return c, nil
}

// CreateInput is a new campaign (Shillbot's TaskCreateDTO).
type CreateInput struct {
	Title            string
	CategoryID       uuid.UUID
	PostPerDay       int
	BotIDs           []uuid.UUID
	CustomerGroupIDs []uuid.UUID
	Type             Type
	TemplateContents []string
	// IncludeCustomerTagIDs, when not empty, narrows the campaign's
	// customers to those with at least one of these tags;
	// ExcludeCustomerTagIDs drops those with any of them.
	IncludeCustomerTagIDs []uuid.UUID
	ExcludeCustomerTagIDs []uuid.UUID
	Keywords              []string
}

func (in *CreateInput) check() error {
	in.Title = strings.TrimSpace(in.Title)
	if err := checkTitle(in.Title); err != nil {
		return err
	}
	if in.CategoryID == uuid.Nil {
		return errs.Invalid("categoryId", "is required")
	}
	if err := checkPostPerDay(in.PostPerDay); err != nil {
		return err
	}
	// A new campaign needs bots and groups: none is an empty list, not one
	// left alone.
	bots, groups := in.BotIDs, in.CustomerGroupIDs
	if bots == nil {
		bots = []uuid.UUID{}
	}
	if groups == nil {
		groups = []uuid.UUID{}
	}
	if err := checkLinks(bots, groups, in.IncludeCustomerTagIDs, in.ExcludeCustomerTagIDs); err != nil {
		return err
	}
	if !in.Type.valid() {
		return errs.Invalid("type", "must be USERS, POSTS, KEYWORDS or USER_KEYWORDS")
	}
	if err := checkTemplates(in.TemplateContents); err != nil {
		return err
	}
	var err error
	in.Keywords, err = checkKeywords(in.Keywords)
	return err
}

func checkTitle(title string) error {
	switch {
	case title == "":
		return errs.Invalid("title", "is required")
	case utf8.RuneCountInString(title) > MaxTitleLen:
		return errs.Invalid("title", "must be at most %d characters", MaxTitleLen)
	}
	return nil
}

func checkPostPerDay(n int) error {
	if n < 1 || n > MaxPostPerDay {
		return errs.Invalid("postPerDay", "must be 1 to %d", MaxPostPerDay)
	}
	return nil
}

// checkLinks bounds the lists of linked rows; a nil list is one an update
// leaves alone, so only a non-nil one must hold a bot or a group.
func checkLinks(bots, groups, include, exclude []uuid.UUID) error {
	switch {
	case bots != nil && (len(bots) == 0 || len(bots) > MaxBots):
		return errs.Invalid("botIds", "must hold 1 to %d bots", MaxBots)
	case groups != nil && (len(groups) == 0 || len(groups) > MaxGroups):
		return errs.Invalid("customerGroupIds", "must hold 1 to %d groups", MaxGroups)
	case len(include) > MaxTags:
		return errs.Invalid("includeCustomerTagIds", "must hold at most %d tags", MaxTags)
	case len(exclude) > MaxTags:
		return errs.Invalid("excludeCustomerTagIds", "must hold at most %d tags", MaxTags)
	}
	return nil
}

func checkTemplates(contents []string) error {
	if len(contents) == 0 || len(contents) > MaxTemplates {
		return errs.Invalid("templateContents", "must hold 1 to %d texts", MaxTemplates)
	}
	for _, c := range contents {
		switch {
		case strings.TrimSpace(c) == "":
			return errs.Invalid("templateContents", "must not hold an empty text")
		case utf8.RuneCountInString(c) > MaxTemplateLen:
			return errs.Invalid("templateContents", "texts must be at most %d characters", MaxTemplateLen)
		}
		if err := spintax.Validate(c); err != nil {
			return errs.Invalid("templateContents", "has invalid spintax: %v", err)
		}
	}
	return nil
}

// checkKeywords returns keywords trimmed, without repeats, never nil.
func checkKeywords(keywords []string) ([]string, error) {
	if len(keywords) > MaxKeywords {
		return nil, errs.Invalid("keywords", "must hold at most %d keywords", MaxKeywords)
	}
	out := make([]string, 0, len(keywords))
	for _, k := range keywords {
		k = strings.TrimSpace(k)
		switch {
		case k == "":
			return nil, errs.Invalid("keywords", "must not hold an empty keyword")
		case utf8.RuneCountInString(k) > MaxTitleLen:
			return nil, errs.Invalid("keywords", "must hold keywords of at most %d characters", MaxTitleLen)
		}
		out = append(out, k)
	}
	return dedupe(out), nil
}

// Create stores a RUNNING campaign, its template and its links to bots and
// groups, in one transaction. Every bot must be an X account of the
// workspace, every group and the category the workspace's; anything else
// is invalid input. Its first post is due at once.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Schedule, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	now := s.now()
	var id int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		cat, err := tx.Category.Query().Where(category.UUID(in.CategoryID)).Only(ctx)
		if ent.IsNotFound(err) {
			return errs.Invalid("categoryId", "category not found")
		}
		if err != nil {
			return fmt.Errorf("look up category: %w", err)
		}
		bots, err := botIDs(ctx, tx, in.BotIDs)
		if err != nil {
			return err
		}
		groups, err := customers.GroupIDs(ctx, tx, "customerGroupIds", in.CustomerGroupIDs)
		if err != nil {
			return err
		}
		include, err := tagUUIDs(ctx, tx, "includeCustomerTagIds", in.IncludeCustomerTagIDs)
		if err != nil {
			return err
		}
		exclude, err := tagUUIDs(ctx, tx, "excludeCustomerTagIds", in.ExcludeCustomerTagIDs)
		if err != nil {
			return err
		}
		tpl, err := tx.Template.Create().SetContents(in.TemplateContents).Save(ctx)
		if err != nil {
			return fmt.Errorf("create template: %w", err)
		}
		settings, err := toMap(Settings{
			Type: in.Type, PostPerDay: in.PostPerDay,
			IncludeCustomerTagIDs: include, ExcludeCustomerTagIDs: exclude, Keywords: in.Keywords,
		})
		if err != nil {
			return err
		}
		sc, err := tx.Schedule.Create().
			SetName(in.Title).
			SetKind(schedule.KindBOT_TASK).
			SetSettings(settings).
			SetStatus(schedule.StatusACTIVE).
			SetIntervalSeconds(interval(in.PostPerDay)).
			SetNextRunAt(now).
			SetCategoryID(cat.ID).
			SetTemplateID(tpl.ID).
			AddBotIDs(bots...).
			AddCustomerGroupIDs(groups...).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("create campaign: %w", errs.FromEnt(err, "campaign"))
		}
		id = sc.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// interval is the spacing of a campaign's posts, in seconds.
func interval(perDay int) int { return 86400 / perDay }

// botIDs returns the row ids of the workspace's X accounts with the given
// UUIDs; any other is invalid input.
func botIDs(ctx context.Context, tx *ent.Tx, ids []uuid.UUID) ([]int, error) {
	ids = dedupe(ids)
	found, err := tx.Account.Query().
		Where(account.UUIDIn(ids...), bots.Live()).
		IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up bots: %w", err)
	}
	if len(found) != len(ids) {
		return nil, errs.Invalid("botIds", "names a bot that does not exist")
	}
	return found, nil
}

// tagUUIDs checks that every id names a customer tag of the workspace
// and returns them, without repeats, as the strings a campaign's settings
// keep.
func tagUUIDs(ctx context.Context, tx *ent.Tx, field string, ids []uuid.UUID) ([]string, error) {
	ids = dedupe(ids)
	if _, err := customers.TagIDs(ctx, tx, field, ids); err != nil {
		return nil, err
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out, nil
}

// withEdges loads what a campaign shows: its bots' and groups' ids, its
// category and its template.
func withEdges(q *ent.ScheduleQuery) *ent.ScheduleQuery {
	return q.
		WithBots(func(q *ent.AccountQuery) { q.Select(account.FieldUUID).Order(account.ByID()) }).
		WithCustomerGroups(func(q *ent.CustomerGroupQuery) { q.Order(ent.Asc("id")) }).
		WithCategory().
		WithTemplate()
}

// Get returns the workspace's campaign id with its edges; another
// workspace's, or a schedule that is not a campaign, is not found.
func (s *Service) Get(ctx context.Context, id int) (*ent.Schedule, error) {
	sc, err := withEdges(s.client.Schedule.Query().
		Where(schedule.ID(id), schedule.KindEQ(schedule.KindBOT_TASK))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.NotFound("campaign")
	}
	if err != nil {
		return nil, fmt.Errorf("get campaign: %w", err)
	}
	return sc, nil
}

// ListOptions select a page of campaigns, newest first. Zero values do not
// filter.
type ListOptions struct {
	Search      string
	CategoryIDs []uuid.UUID
	Type        Type
	Status      Status
	// Deleted lists deleted campaigns. Campaigns cannot be deleted (the
	// document has no such route; they are STOPPED instead), so it lists
	// none.
	Deleted       bool
	Limit, Offset int
}

// Page is a page of campaigns, how many match, and how many of the
// workspace's campaigns are RUNNING whatever the filters.
type Page struct {
	Items   []*ent.Schedule
	Total   int
	Running int
}

// List returns a page of the workspace's campaigns.
func (s *Service) List(ctx context.Context, o ListOptions) (Page, error) {
	switch {
	case o.Limit < 0 || o.Offset < 0:
		return Page{}, errs.Invalid("limit", "must not be negative")
	case o.Limit > MaxListLimit:
		return Page{}, errs.Invalid("limit", "must be at most %d", MaxListLimit)
	case len(o.Search) > maxSearchLen:
		return Page{}, errs.Invalid("search", "must be at most %d characters", maxSearchLen)
	case o.Type != "" && !o.Type.valid():
		return Page{}, errs.Invalid("type", "must be USERS, POSTS, KEYWORDS or USER_KEYWORDS")
	}
	q := s.client.Schedule.Query().Where(schedule.KindEQ(schedule.KindBOT_TASK))
	running, err := q.Clone().Where(schedule.StatusEQ(schedule.StatusACTIVE)).Count(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("count running campaigns: %w", err)
	}
	if o.Status != "" {
		st, ok := o.Status.schedule()
		if !ok {
			return Page{}, errs.Invalid("status", "must be RUNNING, PAUSED or STOPPED")
		}
		q.Where(schedule.StatusEQ(st))
	}
	if o.Deleted {
		return Page{Items: []*ent.Schedule{}, Running: running}, nil
	}
	if o.Search != "" {
		q.Where(schedule.NameContainsFold(o.Search))
	}
	if o.Type != "" {
		q.Where(func(sel *entsql.Selector) {
			sel.Where(sqljson.ValueEQ(sel.C(schedule.FieldSettings), string(o.Type), sqljson.Path("type")))
		})
	}
	if len(o.CategoryIDs) > 0 {
		q.Where(schedule.HasCategoryWith(category.UUIDIn(o.CategoryIDs...)))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("count campaigns: %w", err)
	}
	items, err := withEdges(q.Order(schedule.ByCreatedAt(entsql.OrderDesc()), schedule.ByID(entsql.OrderDesc())).
		Limit(o.Limit).Offset(o.Offset)).All(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("list campaigns: %w", err)
	}
	return Page{Items: items, Total: total, Running: running}, nil
}

// SetStatus pauses, resumes or stops campaign id. A resumed campaign's next
// post is due at once. STOPPED is final: a stopped campaign cannot be
// resumed or paused (stopping it again changes nothing).
func (s *Service) SetStatus(ctx context.Context, id int, st Status) (*ent.Schedule, error) {
	to, ok := st.schedule()
	if !ok {
		return nil, errs.Invalid("status", "must be RUNNING, PAUSED or STOPPED")
	}
	u := s.client.Schedule.Update().
		Where(schedule.ID(id), schedule.KindEQ(schedule.KindBOT_TASK)).
		SetStatus(to)
	if to != schedule.StatusCOMPLETED {
		u.Where(schedule.StatusNEQ(schedule.StatusCOMPLETED))
	}
	if to == schedule.StatusACTIVE {
		u.SetNextRunAt(s.now())
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("set campaign status: %w", err)
	}
	if n == 0 {
		// Either no such campaign, or a stopped one the update skipped.
		if _, err := s.Get(ctx, id); err != nil {
			return nil, err
		}
		return nil, errs.Invalid("status", "the campaign is STOPPED, which is final")
	}
	return s.Get(ctx, id)
}

// UpdateInput changes a campaign; a nil field is left as it is. An empty
// tag or keyword list clears it; bots, groups and templates cannot be
// emptied.
type UpdateInput struct {
	ID                    int
	Title                 *string
	PostPerDay            *int
	BotIDs                []uuid.UUID
	CustomerGroupIDs      []uuid.UUID
	IncludeCustomerTagIDs []uuid.UUID
	ExcludeCustomerTagIDs []uuid.UUID
	TemplateContents      []string
	Keywords              []string
}

func (in *UpdateInput) check() error {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if err := checkTitle(t); err != nil {
			return err
		}
		in.Title = &t
	}
	if in.PostPerDay != nil {
		if err := checkPostPerDay(*in.PostPerDay); err != nil {
			return err
		}
	}
	if err := checkLinks(in.BotIDs, in.CustomerGroupIDs, in.IncludeCustomerTagIDs, in.ExcludeCustomerTagIDs); err != nil {
		return err
	}
	if in.TemplateContents != nil {
		if err := checkTemplates(in.TemplateContents); err != nil {
			return err
		}
	}
	if in.Keywords != nil {
		k, err := checkKeywords(in.Keywords)
		if err != nil {
			return err
		}
		in.Keywords = k
	}
	return nil
}

// Update changes campaign id under the rules of Create, in one transaction:
// the bots, groups and tags it names must be the workspace's, and a new
// postPerDay respaces its posts. Another workspace's campaign, or a
// schedule that is not a campaign, is not found.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.Schedule, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q := tx.Schedule.Query().Where(schedule.ID(in.ID), schedule.KindEQ(schedule.KindBOT_TASK))
		sc, err := store.LockRows(s.driver, q, store.LockWait).Only(ctx)
		if ent.IsNotFound(err) {
			return errs.NotFound("campaign")
		}
		if err != nil {
			return fmt.Errorf("lock campaign: %w", err)
		}
		set, err := SettingsOf(sc)
		if err != nil {
			return fmt.Errorf("campaign settings: %w", err)
		}
		u := tx.Schedule.UpdateOneID(sc.ID)
		if in.Title != nil {
			u.SetName(*in.Title)
		}
		if in.PostPerDay != nil {
			set.PostPerDay = *in.PostPerDay
			u.SetIntervalSeconds(interval(*in.PostPerDay))
		}
		if in.BotIDs != nil {
			ids, err := botIDs(ctx, tx, in.BotIDs)
			if err != nil {
				return err
			}
			u.ClearBots().AddBotIDs(ids...)
		}
		if in.CustomerGroupIDs != nil {
			ids, err := customers.GroupIDs(ctx, tx, "customerGroupIds", in.CustomerGroupIDs)
			if err != nil {
				return err
			}
			u.ClearCustomerGroups().AddCustomerGroupIDs(ids...)
		}
		if in.IncludeCustomerTagIDs != nil {
			if set.IncludeCustomerTagIDs, err = tagUUIDs(ctx, tx, "includeCustomerTagIds", in.IncludeCustomerTagIDs); err != nil {
				return err
			}
		}
		if in.ExcludeCustomerTagIDs != nil {
			if set.ExcludeCustomerTagIDs, err = tagUUIDs(ctx, tx, "excludeCustomerTagIds", in.ExcludeCustomerTagIDs); err != nil {
				return err
			}
		}
		if in.Keywords != nil {
			set.Keywords = in.Keywords
		}
		if in.TemplateContents != nil {
			if err := s.setTemplate(ctx, tx, sc, u, in.TemplateContents); err != nil {
				return err
			}
		}
		settings, err := toMap(set)
		if err != nil {
			return err
		}
		if err := u.SetSettings(settings).Exec(ctx); err != nil {
			return fmt.Errorf("update campaign: %w", errs.FromEnt(err, "campaign"))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, in.ID)
}

// setTemplate replaces the texts of campaign sc's template (its own, made
// by Create), or gives it one.
func (s *Service) setTemplate(ctx context.Context, tx *ent.Tx, sc *ent.Schedule, u *ent.ScheduleUpdateOne, contents []string) error {
	if sc.TemplateID != nil {
		if err := tx.Template.UpdateOneID(*sc.TemplateID).SetContents(contents).Exec(ctx); err != nil {
			return fmt.Errorf("update template: %w", err)
		}
		return nil
	}
	tpl, err := tx.Template.Create().SetContents(contents).Save(ctx)
	if err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	u.SetTemplateID(tpl.ID)
	return nil
}

func dedupe[T comparable](in []T) []T {
	seen := make(map[T]bool, len(in))
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

var (
	errNotObject         = errors.New("not a JSON object")
	errInvalidStatus     = errs.Invalid("status", "must be RUNNING, PAUSED or STOPPED")
	errInvalidSpamStatus = errs.Invalid("status", "must be WAITING, DONE or ERROR")
)

// toMap converts v to the JSON object a schedule's settings hold.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	if m == nil {
		return nil, errNotObject
	}
	return m, nil
}

// RenameCategory gives category id a new name; a name the workspace
// already uses is a conflict.
func (s *Service) RenameCategory(ctx context.Context, id int, name string) (*ent.Category, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, errs.Invalid("name", "is required")
	case utf8.RuneCountInString(name) > MaxTitleLen:
		return nil, errs.Invalid("name", "must be at most %d characters", MaxTitleLen)
	}
	c, err := s.client.Category.UpdateOneID(id).SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("rename category: %w", errs.FromEnt(err, "category"))
	}
	return c, nil
}

// DeleteCategory removes category id. One campaigns are filed under is a
// conflict: a campaign's category is required.
func (s *Service) DeleteCategory(ctx context.Context, id int) error {
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		used, err := tx.Schedule.Query().
			Where(schedule.KindEQ(schedule.KindBOT_TASK), schedule.CategoryID(id)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("find campaigns of category: %w", err)
		}
		if used {
			return errs.Conflict("campaigns are filed under this category")
		}
		if err := tx.Category.DeleteOneID(id).Exec(ctx); err != nil {
			return fmt.Errorf("delete category: %w", errs.FromEnt(err, "category"))
		}
		return nil
	})
}
