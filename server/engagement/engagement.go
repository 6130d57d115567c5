// Package engagement owns the task kinds of engagement automation that
// workers carry out on one account — reactions, reposts, follows, likes,
// comments, direct messages, lead scraping and bot refreshes — until a
// product package (Shillbot, HighLevel, Sharingtools automation) takes a
// kind over with payload and result types of its own. Their tasks are made
// through the API (createTasks) and jobs, so the payload is what the caller
// gave and the result what the worker reports; what a kind reads of them is
// typed here.
package engagement

import (
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Payload is what an engagement task names. Every field is optional:
// callers address their targets in the platform's own terms; fields a kind
// does not read are carried to the worker unchanged.
type Payload struct {
	Target   string   `json:"target,omitempty"`   // a profile, post or URL
	URL      string   `json:"url,omitempty"`      // the target's address
	Text     string   `json:"text,omitempty"`     // a comment's or message's text
	Reaction string   `json:"reaction,omitempty"` // LIKE, LOVE, ...
	Keywords []string `json:"keywords,omitempty"` // lead scraping
	Limit    int      `json:"limit,omitempty"`    // lead scraping
}

// Result is what a worker reports of an engagement task.
type Result struct {
	URL   string `json:"url,omitempty"`   // what the action made (a comment)
	Count int    `json:"count,omitempty"` // leads found, items refreshed
}

// Kinds are the kinds this package owns.
var Kinds = []task.Kind{
	task.KindREACTION, task.KindREPOST, task.KindFOLLOW, task.KindLIKE,
	task.KindCOMMENT, task.KindDM, task.KindLEAD_SCRAPE, task.KindBOT_REFRESH,
}

// Register registers the engagement kinds on ts. They have no transition
// handler: nothing else of Switchboard's state follows from them (account
// statistics observe every kind).
func Register(ts *tasks.Service) {
	for _, k := range Kinds {
		tasks.Register[Payload, Result](ts, k)
	}
}
