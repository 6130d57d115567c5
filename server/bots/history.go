package bots

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/engagement"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// MaxHistories is how many of its latest interactions a bot shows.
const MaxHistories = 20

// interactionKinds are the tasks a bot does to other X users.
var interactionKinds = []task.Kind{
	task.KindFOLLOW, task.KindLIKE, task.KindREACTION, task.KindREPOST, task.KindCOMMENT, task.KindDM,
}

// History is one finished interaction of a bot: the log entry of its
// outcome and the task it ended.
type History struct {
	// ID and At are the log entry's.
	ID uuid.UUID
	At time.Time
	// Task is the interaction (its kind is the interaction's type).
	Task *ent.Task
	// Done tells a completed interaction from a failed one.
	Done bool
	// URL is what the interaction made or acted on; Origin the target it
	// was given.
	URL, Origin string
}

// Extras are what a bot shows besides its own fields.
type Extras struct {
	// TaskCounts is how many campaigns each bot (by row id) is in.
	TaskCounts map[int]int
	// Histories are each bot's latest interactions, newest first.
	Histories map[int][]History
	// Proxies are the pool entries of the bots' proxies, for the bots
	// whose proxy is in the pool.
	Proxies map[int]uuid.UUID
}

// ExtrasOf returns the campaign counts, interaction histories and pool
// proxies of the bots ids (row ids of the workspace).
func (s *Service) ExtrasOf(ctx context.Context, ids ...int) (Extras, error) {
	out := Extras{TaskCounts: map[int]int{}, Histories: map[int][]History{}, Proxies: map[int]uuid.UUID{}}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.proxiesOf(ctx, ids, out.Proxies); err != nil {
		return out, err
	}
	scs, err := s.client.Schedule.Query().
		Where(schedule.KindEQ(schedule.KindBOT_TASK), schedule.HasBotsWith(account.IDIn(ids...))).
		WithBots(func(q *ent.AccountQuery) { q.Where(account.IDIn(ids...)).Select(account.FieldID) }).
		All(ctx)
	if err != nil {
		return out, fmt.Errorf("count campaigns of bots: %w", err)
	}
	for _, sc := range scs {
		for _, b := range sc.Edges.Bots {
			out.TaskCounts[b.ID]++
		}
	}
	// The query reads at most MaxHistories entries a bot on average; a
	// very busy bot of the page may show fewer than MaxHistories.
	logs, err := s.client.LogEntry.Query().
		Where(logentry.AccountIDIn(ids...), logentry.EventIn("task.completed", "task.failed"),
			logentry.HasTaskWith(task.KindIn(interactionKinds...))).
		WithTask().
		Order(ent.Desc(logentry.FieldCreatedAt), ent.Desc(logentry.FieldID)).
		Limit(MaxHistories * len(ids)).All(ctx)
	if err != nil {
		return out, fmt.Errorf("read bot interactions: %w", err)
	}
	for _, l := range logs {
		t := l.Edges.Task
		if l.AccountID == nil || t == nil || len(out.Histories[*l.AccountID]) >= MaxHistories {
			continue
		}
		// Written by the engagement kinds' owner; one that no longer
		// decodes shows no addresses.
		p, _ := tasks.Decode[engagement.Payload](t.Payload)
		r, _ := tasks.Decode[engagement.Result](t.Result)
		origin := p.URL
		if origin == "" {
			origin = p.Target
		}
		out.Histories[*l.AccountID] = append(out.Histories[*l.AccountID], History{
			ID: l.UUID, At: l.CreatedAt, Task: t, Done: l.Event == "task.completed", URL: r.URL, Origin: origin,
		})
	}
	return out, nil
}

// proxiesOf sets the pool entry of each of the bots ids whose proxy is in
// the pool.
func (s *Service) proxiesOf(ctx context.Context, ids []int, out map[int]uuid.UUID) error {
	as, err := s.client.Account.Query().Where(account.IDIn(ids...), account.ProxyNEQ("")).
		Select(account.FieldID, account.FieldProxy).All(ctx)
	if err != nil || len(as) == 0 {
		return err
	}
	addrs := make([]string, len(as))
	for i, a := range as {
		addrs[i] = a.Proxy
	}
	pool, err := s.proxies.IDsOf(ctx, addrs...)
	if err != nil {
		return err
	}
	for _, a := range as {
		if id, ok := pool[a.Proxy]; ok {
			out[a.ID] = id
		}
	}
	return nil
}
