package events

import (
	"slices"
	"strings"
	"testing"
)

func TestEventValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		ev   Event
		ok   bool
	}{
		{"valid", Event{TopicChallenge, 1, 2, OpCreated}, true},
		{"every op", Event{TopicAccount, 1, 2, OpDeleted}, true},
		{"unknown topic", Event{"tasks", 1, 2, OpUpdated}, false},
		{"empty topic", Event{"", 1, 2, OpUpdated}, false},
		{"huge topic", Event{Topic(strings.Repeat("x", 10000)), 1, 2, OpUpdated}, false},
		{"unknown op", Event{TopicTask, 1, 2, "claimed"}, false},
		{"no workspace", Event{TopicTask, 0, 2, OpUpdated}, false},
		{"negative id", Event{TopicTask, 1, -2, OpUpdated}, false},
	} {
		err := c.ev.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("%s: error message is %d bytes long", c.name, len(err.Error()))
		}
	}
}

func TestEncodeBatchesStayUnderNotifyLimit(t *testing.T) {
	t.Parallel()
	var evs []Event
	for i := range 2000 {
		evs = append(evs, Event{TopicChallenge, 1 << 40, 1<<62 + i, OpCreated})
	}
	payloads, err := encodeBatches(evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) < 2 {
		t.Fatalf("2000 events fit in %d payload(s); the test no longer exercises splitting", len(payloads))
	}
	var got []Event
	for _, p := range payloads {
		if len(p) >= 8000 {
			t.Errorf("payload of %d bytes, PostgreSQL's limit is 8000", len(p))
		}
		dec, err := decodePayload(p)
		if err != nil {
			t.Fatalf("decode own payload: %v", err)
		}
		got = append(got, dec...)
	}
	if !slices.Equal(got, evs) {
		t.Errorf("round trip lost or reordered events: %d in, %d out", len(evs), len(got))
	}

	if p, err := encodeBatches(nil); err != nil || len(p) != 0 {
		t.Errorf("encodeBatches(nil) = %q, %v; want nothing", p, err)
	}
}

func TestDecodePayload(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		payload string
		want    []Event
		wantErr bool
	}{
		{"array", `[{"t":"task","w":1,"id":2,"op":"updated"}]`, []Event{{TopicTask, 1, 2, OpUpdated}}, false},
		{"object from psql", ` {"t":"job","w":3,"id":4,"op":"created"}`, []Event{{TopicJob, 3, 4, OpCreated}}, false},
		{"invalid events left out", `[{"t":"task","w":1,"id":2,"op":"updated"},{"t":"x","w":1,"id":3,"op":"updated"},{"t":"post","w":0,"id":4,"op":"deleted"}]`,
			[]Event{{TopicTask, 1, 2, OpUpdated}}, true},
		{"not json", `hello`, nil, true},
		{"empty", ``, nil, true},
		{"broken json", `[{"t":`, nil, true},
		{"wrong types", `[{"t":1,"w":"x"}]`, nil, true},
	} {
		got, err := decodePayload(c.payload)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", c.name, err, c.wantErr)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
