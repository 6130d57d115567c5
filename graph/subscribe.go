package graph

import (
	"context"
	"slices"

	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/events"
)

// follow streams the rows named by events of topic in the viewer's
// workspace. Each event is reloaded through the privacy layer, so a row is
// sent as it is after the commit, and one the viewer cannot see (or that was
// deleted) is skipped. The stream ends when the client unsubscribes, or when
// the hub drops a subscriber too slow to keep up.
func follow[T any](ctx context.Context, hub *events.Hub, topic events.Topic,
	load func(context.Context, int) (T, error), keep func(T) bool) (<-chan T, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	sub := hub.Subscribe(topic, v.WorkspaceID)
	out := make(chan T, 1)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C():
				if !ok {
					return
				}
				if ev.Op == events.OpDeleted {
					continue
				}
				row, err := load(ctx, ev.ID)
				if err != nil || !keep(row) {
					continue
				}
				select {
				case out <- row:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
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
