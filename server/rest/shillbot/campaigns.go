package shillbot

import (
	"math"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/campaigns"
)

// Tasks (campaigns): routes 5 and 6.

// taskBody is TaskCreateDTO: every field is required.
type taskBody struct {
	Title            *string  `json:"title"`
	CategoryID       *string  `json:"categoryId"`
	PostPerDay       *float64 `json:"postPerDay"`
	BotIDs           []string `json:"botIds"`
	CustomerGroupIDs []string `json:"customerGroupIds"`
	Type             *string  `json:"type"`
	TemplateContents []string `json:"templateContents"`
}

func (b taskBody) input() (campaigns.CreateInput, error) {
	if b.Title == nil || b.CategoryID == nil || b.PostPerDay == nil || b.BotIDs == nil ||
		b.CustomerGroupIDs == nil || b.Type == nil || b.TemplateContents == nil {
		return campaigns.CreateInput{}, errValidation
	}
	ppd := *b.PostPerDay
	if ppd != math.Trunc(ppd) || ppd < 1 || ppd > campaigns.MaxPostPerDay {
		return campaigns.CreateInput{}, errValidation
	}
	cat, err := uuid.Parse(*b.CategoryID)
	if err != nil {
		return campaigns.CreateInput{}, errValidation
	}
	bots, err := uuids(b.BotIDs)
	if err != nil {
		return campaigns.CreateInput{}, err
	}
	groups, err := uuids(b.CustomerGroupIDs)
	if err != nil {
		return campaigns.CreateInput{}, err
	}
	return campaigns.CreateInput{
		Title: *b.Title, CategoryID: cat, PostPerDay: int(ppd), BotIDs: bots,
		CustomerGroupIDs: groups, Type: campaigns.Type(*b.Type), TemplateContents: b.TemplateContents,
	}, nil
}

// taskJSON is a campaign as the create route documents it; the list adds
// the fields of taskItemJSON.
type taskJSON struct {
	Type               string   `json:"type"`
	Status             string   `json:"status"`
	Title              string   `json:"title"`
	CategoryID         *string  `json:"categoryId"`
	TemplateID         *string  `json:"templateId"`
	PostPerDay         int      `json:"postPerDay"`
	Posts              []string `json:"posts"`
	Images             []string `json:"images"`
	Keywords           []string `json:"keywords"`
	KeywordAddTagIDs   []string `json:"keywordAddTagIds"`
	KeywordAddGroupIDs []string `json:"keywordAddGroupIds"`
	ID                 string   `json:"id"`
}

type taskItemJSON struct {
	taskJSON
	BotIDs                []string  `json:"botIds"`
	CustomerGroupIDs      []string  `json:"customerGroupIds"`
	IncludeCustomerTagIDs []string  `json:"includeCustomerTagIds"`
	ExcludeCustomerTagIDs []string  `json:"excludeCustomerTagIds"`
	BotsCount             int       `json:"botsCount"`
	CategoryName          *string   `json:"categoryName"`
	TemplateContents      []string  `json:"templateContents"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func renderTask(sc *ent.Schedule) taskJSON {
	set, _ := campaigns.SettingsOf(sc) // written by campaigns; a bad row shows zero values
	out := taskJSON{
		Type: string(set.Type), Status: string(campaigns.StatusOf(sc.Status)), Title: sc.Name,
		PostPerDay: set.PostPerDay,
		Posts:      []string{}, Images: []string{}, Keywords: nonNil(set.Keywords),
		KeywordAddTagIDs: []string{}, KeywordAddGroupIDs: []string{}, ID: sc.UUID.String(),
	}
	if c := sc.Edges.Category; c != nil {
		id := c.UUID.String()
		out.CategoryID = &id
	}
	if tp := sc.Edges.Template; tp != nil {
		id := tp.UUID.String()
		out.TemplateID = &id
	}
	return out
}

func renderTaskItem(sc *ent.Schedule) taskItemJSON {
	set, _ := campaigns.SettingsOf(sc)
	out := taskItemJSON{
		taskJSON:              renderTask(sc),
		BotIDs:                make([]string, len(sc.Edges.Bots)),
		CustomerGroupIDs:      make([]string, len(sc.Edges.CustomerGroups)),
		IncludeCustomerTagIDs: nonNil(set.IncludeCustomerTagIDs),
		ExcludeCustomerTagIDs: nonNil(set.ExcludeCustomerTagIDs),
		BotsCount:             len(sc.Edges.Bots),
		TemplateContents:      []string{},
		CreatedAt:             sc.CreatedAt.UTC(),
		UpdatedAt:             sc.UpdatedAt.UTC(),
	}
	for i, b := range sc.Edges.Bots {
		out.BotIDs[i] = b.UUID.String()
	}
	for i, g := range sc.Edges.CustomerGroups {
		out.CustomerGroupIDs[i] = g.UUID.String()
	}
	if c := sc.Edges.Category; c != nil {
		out.CategoryName = &c.Name
	}
	if tp := sc.Edges.Template; tp != nil {
		out.TemplateContents = nonNil(tp.Contents)
	}
	return out
}

// createTask is POST /v1/tasks.
func (h *handlers) createTask(w http.ResponseWriter, r *http.Request) error {
	var body taskBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	sc, err := h.Campaigns.Create(r.Context(), in)
	if err != nil {
		return err
	}
	writeData(w, r, renderTask(sc))
	return nil
}

// listTasks is GET /v1/tasks; totalRunning sits beside data (decision (g)).
func (h *handlers) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := parsePaging(q, DefaultLimit)
	if err != nil {
		return err
	}
	cats, err := queryUUIDs(q, "categoryIds")
	if err != nil {
		return err
	}
	deleted, err := queryBool(q, "isDeleted", false)
	if err != nil {
		return err
	}
	pg, err := h.Campaigns.List(r.Context(), campaigns.ListOptions{
		Search: q.Get("search"), CategoryIDs: cats, Type: campaigns.Type(q.Get("type")),
		Status: campaigns.Status(q.Get("status")), Deleted: deleted, Limit: p.Limit, Offset: p.Offset,
	})
	if err != nil {
		return err
	}
	out := page[taskItemJSON]{Total: pg.Total, Data: make([]taskItemJSON, len(pg.Items))}
	for i, sc := range pg.Items {
		out.Data[i] = renderTaskItem(sc)
	}
	running := pg.Running
	writeEnvelope(w, r, envelope{Data: out, TotalRunning: &running})
	return nil
}
