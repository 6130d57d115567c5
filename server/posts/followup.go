package posts

import (
	"context"
	"fmt"
	"slices"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// FollowUp is the comment a post asks to have published under itself on
// one account once it is out there (HighLevel's followUpComment): the
// post's first comment, expanded for the account, and where the publish
// task's worker reported the post.
type FollowUp struct {
	WorkspaceID  int
	PostID       int
	PostObjectID string
	AccountID    int
	Platform     account.Platform
	Content      string
	// Link and PlatformPostID are the published post's address and id on
	// the platform, as the worker reported them ("" when not reported).
	Link           string
	PlatformPostID string
}

// FollowUpFunc enqueues a follow-up inside tx, the transaction of the
// publish task's completion. It must not make task transitions of its own
// beyond enqueueing: the registry runs the new task's handlers later.
type FollowUpFunc func(ctx context.Context, tx *ent.Tx, f FollowUp) error

// FollowUpPlatforms are the platforms a follow-up comment is published on;
// elsewhere it is ignored (HighLevel offers it on these four only).
var FollowUpPlatforms = []account.Platform{
	account.PlatformFacebook, account.PlatformInstagram, account.PlatformLinkedin, account.PlatformYoutube,
}

// OnFollowUp makes fn the one that enqueues follow-up comments (the
// comments service's). It is called once while the app is built, before
// any task changes; a Service without one enqueues no follow-ups.
func (s *Service) OnFollowUp(fn FollowUpFunc) { s.followUp = fn }

// followUps hands each completed publication of a post with a follow-up
// comment, on a platform that takes one, to the follow-up function. A
// failed or cancelled publication has none. It runs after the roll-up, in
// the completing transaction, on the posts the roll-up locked (most ask for
// no follow-up, and are not read again).
func (s *Service) followUps(ctx context.Context, tx *ent.Tx, locked []lockedPost) error {
	if s.followUp == nil {
		return nil
	}
	for _, l := range locked {
		if !l.p.FollowUp || l.p.FirstComment == "" {
			continue
		}
		for _, t := range l.ts {
			if t.Status != task.StatusCOMPLETED || t.AccountID == nil || t.WorkspaceID != l.p.WorkspaceID {
				continue
			}
			if err := s.followUpOf(ctx, tx, l.p, t); err != nil {
				return fmt.Errorf("follow-up of task %d: %w", t.ID, err)
			}
		}
	}
	return nil
}

// followUpOf enqueues the follow-up of t, a completed publication of the
// locked post p.
func (s *Service) followUpOf(ctx context.Context, tx *ent.Tx, p *ent.Post, t *ent.Task) error {
	// The transition was authorized against the task; its account is in
	// the task's workspace, whoever reported it.
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	a, err := tx.Account.Query().Where(account.ID(*t.AccountID), account.WorkspaceID(t.WorkspaceID)).
		Select(account.FieldPlatform).Only(sys)
	if ent.IsNotFound(err) {
		return nil // the account went away; nowhere to comment
	}
	if err != nil {
		return fmt.Errorf("read account: %w", err)
	}
	if !slices.Contains(FollowUpPlatforms, a.Platform) {
		return nil
	}
	content, err := Expand(p, a.ID, "first_comment", p.FirstComment)
	if err != nil {
		return err
	}
	r, err := s.publish.Result(t)
	if err != nil {
		return fmt.Errorf("decode result: %w", err)
	}
	// The follow-up is enqueued in the task's workspace, as the workspace.
	wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: t.WorkspaceID})
	return s.followUp(wctx, tx, FollowUp{
		WorkspaceID: t.WorkspaceID, PostID: p.ID, PostObjectID: p.ObjectID,
		AccountID: a.ID, Platform: a.Platform, Content: content,
		Link: r.Link(), PlatformPostID: r.PlatformPostID,
	})
}
