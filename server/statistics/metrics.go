package statistics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/accountstat"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Figures are an account's figures of one day, or summed over days; nil
// is unknown. Followers, Followings and MediaCount are the audience at the
// end of the day; the others happened during it.
type Figures struct {
	Followers   *int `json:"followers,omitempty"`
	Followings  *int `json:"followings,omitempty"`
	MediaCount  *int `json:"mediaCount,omitempty"`
	Impressions *int `json:"impressions,omitempty"`
	Reach       *int `json:"reach,omitempty"`
	Likes       *int `json:"likes,omitempty"`
	Comments    *int `json:"comments,omitempty"`
	Shares      *int `json:"shares,omitempty"`
	Views       *int `json:"views,omitempty"`
	Clicks      *int `json:"clicks,omitempty"`
	Posts       *int `json:"posts,omitempty"`
}

// MetricsPayload asks a worker for an account's daily figures from From to
// To (YYYY-MM-DD, both included).
type MetricsPayload struct {
	Platform string `json:"platform"`
	OriginID string `json:"originId,omitempty"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// MetricsResult is the figures a worker read, one entry per day.
type MetricsResult struct {
	Days []DayFigures `json:"days"`
}

// DayFigures is one day of a MetricsResult.
type DayFigures struct {
	Date string `json:"date"`
	Figures
}

// Validate requires a date (YYYY-MM-DD) per day and figures of at least 0.
func (r MetricsResult) Validate() error {
	for i, d := range r.Days {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			return tasks.FieldError{Field: fmt.Sprintf("days.%d.date", i), Message: "must be a date (YYYY-MM-DD)"}
		}
		for name, v := range d.Figures.named() {
			if v != nil && *v < 0 {
				return tasks.FieldError{Field: fmt.Sprintf("days.%d.%s", i, name), Message: "must be at least 0"}
			}
		}
	}
	return nil
}

func (f *Figures) named() map[string]*int {
	return map[string]*int{
		"followers": f.Followers, "followings": f.Followings, "mediaCount": f.MediaCount,
		"impressions": f.Impressions, "reach": f.Reach, "likes": f.Likes, "comments": f.Comments,
		"shares": f.Shares, "views": f.Views, "clicks": f.Clicks, "posts": f.Posts,
	}
}

// registerMetrics registers ACCOUNT_METRICS on ts: a completed task's days
// become the account's daily figures.
func (s *Service) registerMetrics(ts *tasks.Service) {
	s.metrics = tasks.Register[MetricsPayload, MetricsResult](ts, task.KindACCOUNT_METRICS, tasks.Handler{
		Name: "statistics.metrics", Stage: tasks.StageOwner,
		Func: func(ctx context.Context, tx *ent.Tx, changed []*ent.Task) error {
			for _, t := range changed {
				if t.Status != task.StatusCOMPLETED || t.AccountID == nil {
					continue
				}
				r, err := s.metrics.Result(t)
				if err != nil {
					return err
				}
				for _, d := range r.Days {
					day, _ := time.Parse(time.DateOnly, d.Date) // checked on report
					if err := upsertDay(ctx, tx, t.WorkspaceID, *t.AccountID, day, d.Figures); err != nil {
						return fmt.Errorf("record metrics of task %d: %w", t.ID, err)
					}
				}
			}
			return nil
		},
	})
}

// upsertDay stores f as the figures of account id on day (UTC), keeping
// the figures of that day f leaves unknown.
func upsertDay(ctx context.Context, tx *ent.Tx, workspaceID, id int, day time.Time, f Figures) error {
	day = day.UTC().Truncate(24 * time.Hour)
	row, err := tx.AccountStat.Query().Where(accountstat.AccountID(id), accountstat.Day(day)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		err = tx.AccountStat.Create().SetWorkspaceID(workspaceID).SetAccountID(id).SetDay(day).
			SetNillableFollowers(f.Followers).SetNillableFollowings(f.Followings).SetNillableMediaCount(f.MediaCount).
			SetNillableImpressions(f.Impressions).SetNillableReach(f.Reach).SetNillableLikes(f.Likes).
			SetNillableComments(f.Comments).SetNillableShares(f.Shares).SetNillableViews(f.Views).
			SetNillableClicks(f.Clicks).SetNillablePosts(f.Posts).
			Exec(ctx)
	case err == nil:
		err = row.Update().
			SetNillableFollowers(f.Followers).SetNillableFollowings(f.Followings).SetNillableMediaCount(f.MediaCount).
			SetNillableImpressions(f.Impressions).SetNillableReach(f.Reach).SetNillableLikes(f.Likes).
			SetNillableComments(f.Comments).SetNillableShares(f.Shares).SetNillableViews(f.Views).
			SetNillableClicks(f.Clicks).SetNillablePosts(f.Posts).
			Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("save figures of account %d: %w", id, err)
	}
	return nil
}

// MaxProfiles bounds the accounts of one comparison.
const MaxProfiles = 100

// Range is a span of whole days, Start and End included (UTC).
type Range struct{ Start, End time.Time }

// Days returns the days of r, oldest first.
func (r Range) Days() []time.Time {
	var out []time.Time
	for d := r.Start; !d.After(r.End); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// Analytics platforms. LinkedIn counts pages only and TikTok business
// accounts only: the platforms give figures for no others.
var analyticsPlatforms = []string{"facebook", "instagram", "linkedin", "google", "tiktok", "youtube", "pinterest", "threads", "bluesky"}

// CompareInput selects the accounts and periods of a comparison.
type CompareInput struct {
	// ProfileIDs name accounts of the viewer's workspace by their 24-hex
	// id or by the platform's id of what they connect.
	ProfileIDs []string
	Platforms  []string
	// Current defaults to the 7 days before today; Previous then to the 7
	// days before those. Previous needs Current.
	Current, Previous *Range
}

// Comparison is the figures of some accounts over a period, and over an
// earlier one to compare with.
type Comparison struct {
	Current  Range
	Previous *Range
	Accounts []AccountFigures
	// Totals sums the accounts; Series sums them per day of Current.
	Totals, PreviousTotals Figures
	Series                 []DayTotal
}

// AccountFigures is one account's totals.
type AccountFigures struct {
	Account                *ent.Account
	Totals, PreviousTotals Figures
}

// DayTotal is the accounts' figures on one day.
type DayTotal struct {
	Day time.Time
	Figures
}

func (in *CompareInput) validate(now time.Time) error {
	if len(in.ProfileIDs) == 0 {
		return errs.Invalid("profileIds", "is required")
	}
	if len(in.ProfileIDs) > MaxProfiles {
		return errs.Invalid("profileIds", "must contain at most %d accounts", MaxProfiles)
	}
	for _, p := range in.Platforms {
		if !slices.Contains(analyticsPlatforms, p) {
			return errs.Invalid("platforms", "must be among %s; %q is not", strings.Join(analyticsPlatforms, ", "), p)
		}
	}
	if in.Previous != nil && in.Current == nil {
		return errs.Invalid("prevRange", "needs currentRange")
	}
	for name, r := range map[string]*Range{"currentRange": in.Current, "prevRange": in.Previous} {
		if r == nil {
			continue
		}
		r.Start, r.End = r.Start.UTC().Truncate(24*time.Hour), r.End.UTC().Truncate(24*time.Hour)
		if r.Start.After(r.End) {
			return errs.Invalid(name, "startDate must not be after endDate")
		}
		if r.End.Sub(r.Start) > 366*24*time.Hour {
			return errs.Invalid(name, "must span at most 366 days")
		}
	}
	if in.Current == nil {
		today := now.UTC().Truncate(24 * time.Hour)
		in.Current = &Range{Start: today.AddDate(0, 0, -7), End: today.AddDate(0, 0, -1)}
		in.Previous = &Range{Start: today.AddDate(0, 0, -14), End: today.AddDate(0, 0, -8)}
	}
	return nil
}

// Compare sums the daily figures workers reported for the accounts in
// names over the current period and the previous one. Audience figures
// (followers, followings, media count) are the last known value of each
// account in the period; the others are sums. Accounts with days missing
// get an ACCOUNT_METRICS task, unless one is waiting or finished within
// MetricsRefresh: their figures show on a later call.
func (s *Service) Compare(ctx context.Context, in CompareInput, now time.Time) (Comparison, error) {
	var out Comparison
	if err := in.validate(now); err != nil {
		return out, err
	}
	out.Current, out.Previous = *in.Current, in.Previous
	accs, err := s.profiles(ctx, in)
	if err != nil {
		return out, err
	}
	ids := make([]int, len(accs))
	for i, a := range accs {
		ids[i] = a.ID
	}
	from, to := out.Current.Start, out.Current.End
	if p := out.Previous; p != nil {
		from, to = minTime(from, p.Start), maxTime(to, p.End)
	}
	rows, err := s.client.AccountStat.Query().
		Where(accountstat.AccountIDIn(ids...), accountstat.DayGTE(from), accountstat.DayLTE(to)).
		Order(ent.Asc(accountstat.FieldDay)).All(ctx)
	if err != nil {
		return out, fmt.Errorf("read figures: %w", err)
	}
	byAccount := map[int][]*ent.AccountStat{}
	for _, r := range rows {
		byAccount[r.AccountID] = append(byAccount[r.AccountID], r)
	}
	series := map[time.Time]*Figures{}
	for _, d := range out.Current.Days() {
		series[d] = &Figures{}
		out.Series = append(out.Series, DayTotal{Day: d})
	}
	var stale []*ent.Account
	for _, a := range accs {
		af := AccountFigures{Account: a, Totals: sumOver(byAccount[a.ID], out.Current)}
		add(&out.Totals, af.Totals)
		if out.Previous != nil {
			af.PreviousTotals = sumOver(byAccount[a.ID], *out.Previous)
			add(&out.PreviousTotals, af.PreviousTotals)
		}
		for _, r := range byAccount[a.ID] {
			if f, ok := series[r.Day.UTC()]; ok {
				add(f, figuresOf(r))
			}
		}
		out.Accounts = append(out.Accounts, af)
		if len(byAccount[a.ID]) < len(out.Current.Days()) {
			stale = append(stale, a)
		}
	}
	for i := range out.Series {
		out.Series[i].Figures = *series[out.Series[i].Day]
	}
	if err := s.requestMetrics(ctx, stale, from, to, now); err != nil {
		return out, err
	}
	return out, nil
}

// profiles finds the accounts in names of the given platforms that
// have analytics.
func (s *Service) profiles(ctx context.Context, in CompareInput) ([]*ent.Account, error) {
	all, err := s.client.Account.Query().Order(account.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	var out []*ent.Account
	for _, a := range all {
		if !slices.Contains(in.ProfileIDs, a.ObjectID) && !slices.Contains(in.ProfileIDs, a.ExternalIds[accounts.ExternalOriginID]) {
			continue
		}
		if len(in.Platforms) > 0 && !slices.Contains(in.Platforms, string(a.Platform)) {
			continue
		}
		typ := a.ExternalIds[accounts.ExternalAccountType]
		if a.Platform == account.PlatformLinkedin && typ != "page" || a.Platform == account.PlatformTiktok && typ != "business" {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// MetricsRefresh is how long after an account's last ACCOUNT_METRICS task
// finished a comparison asks for its figures again.
const MetricsRefresh = time.Hour

// requestMetrics enqueues an ACCOUNT_METRICS task for each account that
// has none waiting and none finished in the last MetricsRefresh;
// concurrent comparisons enqueue one between them
// (tasks.EnqueueUnlessRecent).
func (s *Service) requestMetrics(ctx context.Context, accs []*ent.Account, from, to, now time.Time) error {
	if len(accs) == 0 || s.tasks == nil {
		return nil
	}
	ins := make([]tasks.EnqueueInput, len(accs))
	for i, a := range accs {
		id := a.ID
		in, err := s.metrics.Input(MetricsPayload{Platform: string(a.Platform), OriginID: a.ExternalIds[accounts.ExternalOriginID],
			From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}, tasks.EnqueueInput{AccountID: &id})
		if err != nil {
			return err
		}
		ins[i] = in
	}
	_, err := s.tasks.EnqueueUnlessRecent(ctx, ins, now.Add(-MetricsRefresh))
	return err
}

func figuresOf(r *ent.AccountStat) Figures {
	return Figures{Followers: r.Followers, Followings: r.Followings, MediaCount: r.MediaCount,
		Impressions: r.Impressions, Reach: r.Reach, Likes: r.Likes, Comments: r.Comments,
		Shares: r.Shares, Views: r.Views, Clicks: r.Clicks, Posts: r.Posts}
}

// sumOver totals an account's days (oldest first) within r: flows summed,
// the audience as last known.
func sumOver(rows []*ent.AccountStat, r Range) Figures {
	var out Figures
	for _, row := range rows {
		d := row.Day.UTC()
		if d.Before(r.Start) || d.After(r.End) {
			continue
		}
		f := figuresOf(row)
		followers, followings, media := f.Followers, f.Followings, f.MediaCount
		f.Followers, f.Followings, f.MediaCount = nil, nil, nil
		add(&out, f)
		out.Followers = cmp.Or(followers, out.Followers)
		out.Followings = cmp.Or(followings, out.Followings)
		out.MediaCount = cmp.Or(media, out.MediaCount)
	}
	return out
}

// add sums f into dst, figure by figure; unknown stays unknown only when
// both are.
func add(dst *Figures, f Figures) {
	plus(&dst.Followers, f.Followers)
	plus(&dst.Followings, f.Followings)
	plus(&dst.MediaCount, f.MediaCount)
	plus(&dst.Impressions, f.Impressions)
	plus(&dst.Reach, f.Reach)
	plus(&dst.Likes, f.Likes)
	plus(&dst.Comments, f.Comments)
	plus(&dst.Shares, f.Shares)
	plus(&dst.Views, f.Views)
	plus(&dst.Clicks, f.Clicks)
	plus(&dst.Posts, f.Posts)
}

func plus(dst **int, v *int) {
	if v == nil {
		return
	}
	n := *v
	if *dst != nil {
		n += **dst
	}
	*dst = &n
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
