package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/graph/wstransport"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/live"
)

// feeds are the live streams behind the subscriptions, one per kind of row.
// Each loads a changed row once per workspace and shares it with every
// subscriber there (server/live).
type feeds struct {
	tasks      *live.Feed[*ent.Task]
	available  *live.Feed[*ent.Task] // task transitions and tasks becoming due
	jobs       *live.Feed[*ent.Job]
	challenges *live.Feed[*ent.LoginChallenge]
	posts      *live.Feed[*ent.Post]
	accounts   *live.Feed[*ent.Account]
}

func newFeeds(f *live.Fanout, c *ent.Client) *feeds {
	return &feeds{
		tasks:      live.NewFeed(f, []events.Topic{events.TopicTask}, c.Task.Get),
		available:  live.NewFeed(f, []events.Topic{events.TopicTask, events.TopicTaskDue}, c.Task.Get),
		jobs:       live.NewFeed(f, []events.Topic{events.TopicJob}, c.Job.Get),
		challenges: live.NewFeed(f, []events.Topic{events.TopicChallenge}, c.LoginChallenge.Get),
		posts:      live.NewFeed(f, []events.Topic{events.TopicPost}, c.Post.Get),
		accounts:   live.NewFeed(f, []events.Topic{events.TopicAccount}, c.Account.Get),
	}
}

// follow streams the rows of feed in the viewer's workspace that keep
// accepts, as they are after each commit. filtered says keep is a real
// filter: a row that stops matching is then sent once more, so a dashboard
// can drop it. A subscriber too slow for its stream is ended with a
// SLOW_SUBSCRIBER error (the graphql-transport-ws "error" message).
func follow[T any](ctx context.Context, feed *live.Feed[T], keep func(T) bool, filtered bool) (<-chan T, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return feed.Subscribe(ctx, v.WorkspaceID, live.Options[T]{
		Keep:          keep,
		ReportLeaving: filtered,
		OnEnd:         func(err error) { endWithError(ctx, err) },
	}), nil
}

// endWithError queues err for the client: the WebSocket transports send it
// when the stream's channel closes (ours to every socket sharing the
// stream). Other transports (SSE) have no such slot, so there the stream
// just completes.
func endWithError(ctx context.Context, err error) {
	code := "INTERNAL"
	if errors.Is(err, live.ErrSlow) {
		code = "SLOW_SUBSCRIBER"
	}
	gerr := &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": code}}
	if wstransport.EndWith(ctx, gerr) {
		return
	}
	defer func() { _ = recover() }() // AddSubscriptionError panics outside a WebSocket operation
	transport.AddSubscriptionError(ctx, gerr)
}

// slowError is what a subscriber too slow for its stream is ended with.
func slowError() *gqlerror.Error {
	return &gqlerror.Error{Message: live.ErrSlow.Error(), Extensions: map[string]any{"code": "SLOW_SUBSCRIBER"}}
}

// in reports whether v is allowed by an optional list filter.
func in[T comparable](allowed []T, v T) bool {
	return len(allowed) == 0 || slices.Contains(allowed, v)
}

// is reports whether v matches an optional single-value filter.
func is[T comparable](want *T, v T) bool { return want == nil || *want == v }

// isPtr is like is for nullable fields.
func isPtr[T comparable](want *T, v *T) bool {
	return want == nil || (v != nil && *v == *want)
}

// deref returns *p, or the zero filter (match everything) when p is nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
