package graph

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/graph/model"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// payload returns p, or nil and err when the service failed, so a failed
// mutation never returns a half-filled payload.
func payload[P any](p *P, err error) (*P, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

func credentialKinds(kinds []accounts.Kind) []model.CredentialKind {
	out := make([]model.CredentialKind, len(kinds))
	for i, k := range kinds {
		out[i] = model.CredentialKind(k)
	}
	return out
}

func leasesPayload(ls []tasks.Lease) *model.ClaimTasksPayload {
	out := &model.ClaimTasksPayload{Leases: make([]*model.TaskLease, len(ls))}
	for i, l := range ls {
		out.Leases[i] = &model.TaskLease{Task: l.Task, Token: l.Token, ExpiresAt: *l.Task.LeaseExpiresAt}
	}
	return out
}

func taskPayload(t *ent.Task, err error) (*model.TaskPayload, error) {
	return payload(&model.TaskPayload{Task: t}, err)
}

// withWorker runs a lease report for worker keys only: a token alone must
// not let a user session act as a worker.
func withWorker(ctx context.Context, report func() (*ent.Task, error)) (*ent.Task, error) {
	if _, err := tasks.Worker(ctx, ""); err != nil {
		return nil, err
	}
	return report()
}

func enqueueInputs(in []*model.NewTaskInput) []tasks.EnqueueInput {
	out := make([]tasks.EnqueueInput, len(in))
	for i, t := range in {
		out[i] = tasks.EnqueueInput{
			Kind:        t.Kind,
			ActionType:  deref(t.ActionType),
			AccountID:   t.AccountID,
			Payload:     t.Payload,
			Priority:    deref(t.Priority),
			NotBefore:   deref(t.NotBefore),
			MaxAttempts: deref(t.MaxAttempts),
		}
	}
	return out
}

// maxListPage bounds the page size of the paged (not connection) lists.
const maxListPage = 100

// listPage checks the page number and size of a paged list (the admin
// lists, the proxy pool); absent, they are 1 and 20.
func listPage(page, perPage *int) (admin.Page, error) {
	p := admin.Page{Page: 1, PerPage: 20}
	if page != nil {
		p.Page = *page
	}
	if perPage != nil {
		p.PerPage = *perPage
	}
	if p.Page < 1 {
		return p, errs.Invalid("page", "must be at least 1")
	}
	if p.PerPage < 1 || p.PerPage > maxListPage {
		return p, errs.Invalid("perPage", "must be from 1 to %d", maxListPage)
	}
	return p, nil
}

// loginPayload presents a login's or a challenge submission's outcome.
func loginPayload(o *challenges.Outcome, err error) (*model.LoginAccountPayload, error) {
	if err != nil {
		return nil, err
	}
	p := &model.LoginAccountPayload{Result: model.LoginResult(o.Result), Account: o.Account, Challenge: o.Challenge}
	if o.Result == challenges.ResultNeedsChallenge {
		secs := int(o.ExpiresIn / time.Second)
		p.ChallengeToken, p.ChallengeType, p.ExpiresIn = &o.Token, &o.ChallengeType, &secs
	}
	return p, nil
}

// subscriptionPayload renders an admin's subscription change.
func subscriptionPayload(got plans.Subscribed, err error) (*model.SubscriptionPayload, error) {
	return payload(&model.SubscriptionPayload{User: got.User, Subscription: &got.Subscription}, err)
}

// cents widens an optional GraphQL Int amount.
func cents(v *int) *int64 {
	if v == nil {
		return nil
	}
	c := int64(*v)
	return &c
}
