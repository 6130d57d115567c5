package posts

// The post lifecycle, decided here and nowhere else: which posts can still
// change, which count as scheduled, which are due, how users group them,
// and that a scheduled post needs an account. Faces (GraphQL, Sharingtools)
// and the scheduler and statistics ask these functions instead of comparing
// statuses themselves.
//
//	DRAFT ──schedule──▶ SCHEDULED ──due: FanOut──▶ QUEUED ──▶ PUBLISHING ──▶ PUBLISHED | PARTIAL | FAILED | CANCELLED
//	  ▲                    │                                                                     │
//	  └────unschedule──────┴──────────────(FAILED, CANCELLED may be edited and scheduled again)──┘
//
// IN_REVIEW is a draft with a date that waits for approval (HighLevel's
// in_review); it is not due until approved into SCHEDULED. DELETED is a
// post removed from the planner but kept (HighLevel lists it): it never
// changes again and no group shows it.

import (
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
)

// Statuses are every post status, in lifecycle order (ent generates no
// list of them).
var Statuses = []post.Status{
	post.StatusDRAFT, post.StatusSCHEDULED, post.StatusQUEUED, post.StatusPUBLISHING,
	post.StatusPUBLISHED, post.StatusPARTIAL, post.StatusFAILED, post.StatusCANCELLED,
	post.StatusIN_REVIEW, post.StatusDELETED,
}

// Editable reports whether a post in status st may still be edited,
// scheduled or unscheduled: it has no task in a worker's hands. A QUEUED,
// PUBLISHING, PUBLISHED or PARTIAL post is fixed.
func Editable(st post.Status) bool {
	switch st {
	case post.StatusDRAFT, post.StatusSCHEDULED, post.StatusFAILED, post.StatusCANCELLED, post.StatusIN_REVIEW:
		return true
	}
	return false
}

// Deletable reports whether a post in status st may be deleted: not while
// PUBLISHING, when workers hold its tasks. A QUEUED post's tasks are all
// waiting and are cancelled with it.
func Deletable(st post.Status) bool { return st != post.StatusPUBLISHING }

// ReasonDeleted is the error of a task cancelled because its post was
// deleted.
const ReasonDeleted = "post deleted"

// GoneWithPost reports whether t is a publication task that went with its
// deleted post: Delete cancels a post's waiting tasks with ReasonDeleted,
// and the foreign key clears their post. Worker protocols answer such a
// task as not found, as for a task that never existed, though it stays in
// the task list for the record. A task made without a post, or cancelled
// for another reason, is not gone.
func GoneWithPost(t *ent.Task) bool {
	return t.Kind == task.KindPOST_PUBLISH && t.PostID == nil &&
		t.Status == task.StatusCANCELLED && t.Error == ReasonDeleted
}

// Deleted reports whether a post in status st has been deleted from the
// planner (kept, shown only where a face lists deleted posts).
func Deleted(st post.Status) bool { return st == post.StatusDELETED }

// Unschedulable reports whether a post in status st goes back to DRAFT
// when unscheduled; a DRAFT is already there.
func Unschedulable(st post.Status) bool {
	return Editable(st) && st != post.StatusDRAFT
}

// unschedulable is Unschedulable as a query.
func unschedulable() predicate.Post {
	return post.StatusIn(post.StatusSCHEDULED, post.StatusFAILED, post.StatusCANCELLED, post.StatusIN_REVIEW)
}

// IsScheduled reports whether a post counts as scheduled: waiting for its
// time or being published, or finished (or failed) after it was given a
// schedule time. A draft never is.
func IsScheduled(st post.Status, scheduledAt *time.Time) bool {
	switch GroupOf(st) {
	case GroupScheduled:
		return true
	case GroupSaved, GroupDeleted:
		return false
	}
	return scheduledAt != nil
}

// Scheduled is IsScheduled as a query.
func Scheduled() predicate.Post {
	return post.Or(
		post.StatusIn(StatusesOf(GroupScheduled)...),
		post.And(post.ScheduledAtNotNil(), post.StatusNotIn(append(StatusesOf(GroupSaved), StatusesOf(GroupDeleted)...)...)),
	)
}

// Waiting reports whether a post in status st waits for its schedule
// time: the only posts FanOut takes, and the ones whose time can be kept
// when they are edited.
func Waiting(st post.Status) bool { return st == post.StatusSCHEDULED }

// waiting is Waiting as a query.
func waiting() predicate.Post { return post.StatusEQ(post.StatusSCHEDULED) }

// Due selects the posts whose time has come at now: waiting, for now or
// earlier. FanOut moves each on.
func Due(now time.Time) predicate.Post {
	return post.And(waiting(), post.ScheduledAtLTE(now))
}

// beforePublication are the statuses of a post that has no tasks of its
// current run: its tasks, if any, belong to an earlier run (or, for a
// DELETED post, were cancelled with it) and do not roll up into it.
var beforePublication = []post.Status{post.StatusDRAFT, post.StatusSCHEDULED, post.StatusIN_REVIEW, post.StatusDELETED}

// InPublication reports whether a post in status st has been fanned out
// into tasks whose transitions roll up into it.
func InPublication(st post.Status) bool { return !slices.Contains(beforePublication, st) }

// NeedAccounts refuses to schedule a post with n target accounts when n is
// 0: a due post without accounts could only fail.
func NeedAccounts(n int) error {
	if n == 0 {
		return errs.Invalid("accountIDs", "a scheduled post needs at least one account")
	}
	return nil
}

// Group is how a user reads a post's status; dashboards count posts by it
// and Sharingtools shows it as the post's status.
type Group string

// The post groups.
const (
	GroupSaved     Group = "saved"     // a draft
	GroupScheduled Group = "scheduled" // waiting for its time, or being published
	GroupPublished Group = "published" // out on every account, or on some
	GroupFailed    Group = "failed"    // out on none: failed or cancelled
	// GroupDeleted holds deleted posts; it is not in Groups, so
	// dashboards and counts leave them out.
	GroupDeleted Group = "deleted"
)

// Groups are every group, in the order users read them.
var Groups = []Group{GroupSaved, GroupScheduled, GroupPublished, GroupFailed}

// GroupOf returns the group of a post status.
func GroupOf(st post.Status) Group {
	switch st {
	case post.StatusSCHEDULED, post.StatusQUEUED, post.StatusPUBLISHING:
		return GroupScheduled
	case post.StatusPUBLISHED, post.StatusPARTIAL:
		return GroupPublished
	case post.StatusFAILED, post.StatusCANCELLED:
		return GroupFailed
	case post.StatusDELETED:
		return GroupDeleted
	default: // DRAFT, IN_REVIEW
		return GroupSaved
	}
}

// StatusesOf returns the post statuses of group g, none for an unknown
// group.
func StatusesOf(g Group) []post.Status {
	var out []post.Status
	for _, st := range Statuses {
		if GroupOf(st) == g {
			out = append(out, st)
		}
	}
	return out
}
