// Package events owns Switchboard's change notifications: the typed topics
// and the small Event that names a changed row, the in-process Hub that fans
// events out to live subscribers (GraphQL subscriptions, SSE) with bounded
// buffers, and the Bus that publishes an event only once its transaction has
// committed — in process on SQLite, through PostgreSQL LISTEN/NOTIFY when
// several replicas share one database.
//
// Subscribers get only the topic and workspace they asked for and must
// reload the row through the privacy layer: an event carries identifiers,
// never data, so nothing leaks across workspaces through the bus.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Topic is the kind of row an event is about. Topics are a closed set so a
// typo fails when the event is published instead of silently reaching no
// subscriber.
type Topic string

// The topics dashboards subscribe to.
const (
	TopicTask      Topic = "task"
	TopicJob       Topic = "job"
	TopicChallenge Topic = "challenge"
	TopicPost      Topic = "post"
	TopicAccount   Topic = "account"
	// TopicTaskDue announces a pending task whose not_before has just
	// passed (no transition announces that). Each replica delivers it to
	// its own hub only, never through the bus.
	TopicTaskDue Topic = "task_due"
)

// Valid reports whether t is one of the topics declared above.
func (t Topic) Valid() bool {
	switch t {
	case TopicTask, TopicJob, TopicChallenge, TopicPost, TopicAccount, TopicTaskDue:
		return true
	}
	return false
}

// The operations an Event reports.
const (
	OpCreated = "created"
	OpUpdated = "updated"
	OpDeleted = "deleted"
)

// Event is deliberately small (it crosses pg_notify): subscribers reload the
// row through the privacy layer.
type Event struct {
	Topic       Topic  `json:"t"`
	WorkspaceID int    `json:"w"`
	ID          int    `json:"id"`
	Op          string `json:"op"` // OpCreated, OpUpdated or OpDeleted
}

// Validate reports why ev cannot be published. A publisher's mistake must
// surface where it is made: an event without a workspace would reach nobody,
// and an unknown topic or operation would be misread by every subscriber.
func (ev Event) Validate() error {
	if !ev.Topic.Valid() {
		return fmt.Errorf("event %q/%d: unknown topic", truncate(string(ev.Topic)), ev.ID)
	}
	switch ev.Op {
	case OpCreated, OpUpdated, OpDeleted:
	default:
		return fmt.Errorf("event %s/%d: unknown op %q", ev.Topic, ev.ID, truncate(ev.Op))
	}
	if ev.WorkspaceID <= 0 {
		return fmt.Errorf("event %s/%d: workspace id %d is not positive", ev.Topic, ev.ID, ev.WorkspaceID)
	}
	if ev.ID <= 0 {
		return fmt.Errorf("event %s/%d: id is not positive", ev.Topic, ev.ID)
	}
	return nil
}

// truncate keeps error messages about garbage input short.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

func validateAll(evs []Event) error {
	var errs []error
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("publish events: %w", err)
	}
	return nil
}

// maxPayload keeps each NOTIFY payload below PostgreSQL's 8000-byte limit
// with room to spare.
const maxPayload = 7900

// encodeBatches packs valid events into as few JSON arrays as fit in
// maxPayload each, so one transaction costs one notification in the common
// case. Validated events are at most ~100 bytes, so every batch holds at
// least one.
func encodeBatches(evs []Event) ([]string, error) {
	var (
		out []string
		buf = []byte{'['}
	)
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %s/%d: %w", ev.Topic, ev.ID, err)
		}
		if len(buf) > 1 && len(buf)+1+len(b)+1 > maxPayload {
			out = append(out, string(append(buf, ']')))
			buf = []byte{'['}
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	if len(buf) > 1 {
		out = append(out, string(append(buf, ']')))
	}
	return out, nil
}

// decodePayload reads a notification payload: a JSON array of events, or a
// single event object (accepted so hand-written NOTIFYs from psql work).
// Invalid events are returned as errors and left out, never delivered.
func decodePayload(payload string) ([]Event, error) {
	var evs []Event
	trimmed := firstNonSpace(payload)
	switch trimmed {
	case '[':
		if err := json.Unmarshal([]byte(payload), &evs); err != nil {
			return nil, fmt.Errorf("decode event payload: %w", err)
		}
	case '{':
		var ev Event
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			return nil, fmt.Errorf("decode event payload: %w", err)
		}
		evs = []Event{ev}
	default:
		return nil, fmt.Errorf("decode event payload: want a JSON array or object")
	}
	valid := evs[:0]
	var errs []error
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		valid = append(valid, ev)
	}
	if err := errors.Join(errs...); err != nil {
		return valid, fmt.Errorf("decode event payload: %w", err)
	}
	return valid, nil
}

func firstNonSpace(s string) byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return s[i]
	}
	return 0
}
