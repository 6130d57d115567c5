package graph

import (
	"context"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/graph/model"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/campaigns"
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

// leaseSecrets asks each domain that hands secrets to lease holders for
// t's; the one owning t's kind answers, the others return nil.
func (r *Resolver) leaseSecrets(ctx context.Context, t *ent.Task) (map[string]any, error) {
	for _, secrets := range []func(context.Context, *ent.Task) (map[string]any, error){r.Challenges.Secrets, r.BotsService.Secrets} {
		if m, err := secrets(ctx, t); err != nil || m != nil {
			return m, err
		}
	}
	return nil, nil
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

// parseReports turns reportTasks' items into the domain's reports. An item
// whose shape is wrong for its outcome (a FAIL without an error, a result
// on anything but COMPLETE) is refused here, by its index, and not sent.
func parseReports(in []*model.TaskReportInput) ([]tasks.Report, map[int]error) {
	reports := make([]tasks.Report, 0, len(in))
	refused := map[int]error{}
	for i, item := range in {
		r := tasks.Report{Ref: tasks.TaskID(item.TaskID), Proof: tasks.ByToken(item.LeaseToken)}
		switch item.Outcome {
		case model.TaskReportOutcomeStart:
			r.Op = tasks.OpStart
		case model.TaskReportOutcomeHeartbeat:
			r.Op = tasks.OpHeartbeat
		case model.TaskReportOutcomeComplete:
			r.Op, r.Result = tasks.OpComplete, item.Result
		case model.TaskReportOutcomeFail:
			r.Op = tasks.OpFail
			if item.Error == nil {
				refused[i] = errs.Invalid("error", "a FAIL report needs an error")
				continue
			}
			r.Reason, r.Retryable = failureReason(item.Error), item.Error.Retryable
		}
		if item.Result != nil && item.Outcome != model.TaskReportOutcomeComplete {
			refused[i] = errs.Invalid("result", "only a COMPLETE report carries a result")
			continue
		}
		if item.Error != nil && item.Outcome != model.TaskReportOutcomeFail {
			refused[i] = errs.Invalid("error", "only a FAIL report carries an error")
			continue
		}
		reports = append(reports, r)
	}
	return reports, refused
}

// failureReason is the task's error as a FAIL report gives it: the code,
// when there is one, leads so that a program can read it back.
func failureReason(f *model.TaskFailureInput) string {
	if c := strings.TrimSpace(deref(f.Code)); c != "" {
		return c + ": " + f.Message
	}
	return f.Message
}

// reportsPayload answers each item of reportTasks in order: refused by
// parseReports, or with the outcome of its report.
func reportsPayload(ctx context.Context, in []*model.TaskReportInput, refused map[int]error, outs []tasks.Outcome) *model.ReportTasksPayload {
	p := &model.ReportTasksPayload{Results: make([]*model.TaskReportResult, len(in))}
	next := 0
	for i, item := range in {
		res := &model.TaskReportResult{TaskID: item.TaskID}
		p.Results[i] = res
		err, ok := refused[i]
		if !ok && next < len(outs) {
			res.Task, err = outs[next].Task, outs[next].Err
			next++
		}
		if err != nil {
			res.Task, res.Error = nil, reportError(ctx, err)
		}
	}
	return p
}

// reportError presents a refused report as a single mutation would have
// been refused. An error the domain did not classify goes to the
// response's errors, where the presenter logs it with the request ID.
func reportError(ctx context.Context, err error) *model.TaskReportError {
	c, ok := classify(err)
	if !ok {
		graphql.AddError(ctx, err)
		return &model.TaskReportError{Code: "INTERNAL", Message: errInternal.Error()}
	}
	e := &model.TaskReportError{Code: c.code, Message: c.message}
	if c.field != "" {
		e.Field = &c.field
	}
	return e
}

func (r *mutationResolver) setCampaignStatus(ctx context.Context, id int, st campaigns.Status) (*model.CampaignPayload, error) {
	sc, err := r.CampaignsService.SetStatus(ctx, id, st)
	return payload(&model.CampaignPayload{Schedule: sc}, err)
}

// spamModel shows sp as GET /spams does: a failed spam's reason split into
// its code and message, nothing posted before it is DONE.
func spamModel(sp *campaigns.Spam) *model.Spam {
	p, res := sp.Payload, sp.Result
	out := &model.Spam{
		Status: campaigns.SpamStatusOf(sp.Status), Content: p.Content, Images: p.Images,
		CustomerName: nonEmpty(p.CustomerName), TweetID: nonEmpty(res.TweetID), PostTweetID: nonEmpty(res.PostTweetID),
		TweetURL: nonEmpty(res.TweetURL), PostTime: sp.PostTime(),
	}
	if out.Images == nil {
		out.Images = []string{}
	}
	if id, err := uuid.Parse(p.CustomerID); err == nil {
		out.CustomerID = &id
	}
	if out.Status == campaigns.SpamError {
		code, msg := sp.Failure()
		out.Error, out.ErrorMessage = nonEmpty(code), nonEmpty(msg)
	}
	if m := res.Metrics; m != nil {
		out.Views, out.Likes, out.Replies, out.Reposts = &m.Views, &m.Likes, &m.Replies, &m.Retweets
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
