package highlevel

// Statistics: connected accounts' figures over a period against an earlier
// one, from the daily figures workers report (server/statistics).

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/statistics"
)

// statisticsInput is the body of POST /statistics.
type statisticsInput struct {
	ProfileIDs   []string    `json:"profileIds"`
	Platforms    []string    `json:"platforms,omitempty"`
	CurrentRange *rangeInput `json:"currentRange,omitempty"`
	PrevRange    *rangeInput `json:"prevRange,omitempty"`
}

// rangeInput is a period as ISO 8601 dates or date-times.
type rangeInput struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
}

// rangeJSON is a period as shown: whole days, both included.
type rangeJSON struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
}

// figuresJSON is figures as shown; null is unknown (no worker reported
// it). Engagement is likes + comments + shares.
type figuresJSON struct {
	Followers   *int `json:"followers"`
	Followings  *int `json:"followings"`
	Posts       *int `json:"posts"`
	Impressions *int `json:"impressions"`
	Reach       *int `json:"reach"`
	Engagement  *int `json:"engagement"`
	Likes       *int `json:"likes"`
	Comments    *int `json:"comments"`
	Shares      *int `json:"shares"`
	Views       *int `json:"views"`
	Clicks      *int `json:"clicks"`
}

// statisticsResults is the answer's results (the document shows none;
// docs/compat.md).
type statisticsResults struct {
	CurrentRange   rangeJSON        `json:"currentRange"`
	PrevRange      *rangeJSON       `json:"prevRange"`
	Totals         figuresJSON      `json:"totals"`
	PreviousTotals *figuresJSON     `json:"previousTotals"`
	Accounts       []accountFigures `json:"accounts"`
	Series         []dayFiguresJSON `json:"series"`
}

type accountFigures struct {
	ProfileID      string       `json:"profileId"`
	OriginID       string       `json:"originId"`
	Platform       string       `json:"platform"`
	Name           string       `json:"name"`
	Totals         figuresJSON  `json:"totals"`
	PreviousTotals *figuresJSON `json:"previousTotals"`
}

type dayFiguresJSON struct {
	Date   string      `json:"date"`
	Totals figuresJSON `json:"totals"`
}

func toFiguresJSON(f statistics.Figures) figuresJSON {
	out := figuresJSON{Followers: f.Followers, Followings: f.Followings, Posts: f.Posts, Impressions: f.Impressions,
		Reach: f.Reach, Likes: f.Likes, Comments: f.Comments, Shares: f.Shares, Views: f.Views, Clicks: f.Clicks}
	for _, v := range []*int{f.Likes, f.Comments, f.Shares} {
		if v != nil {
			n := *v
			if out.Engagement != nil {
				n += *out.Engagement
			}
			out.Engagement = &n
		}
	}
	return out
}

func toRangeJSON(r statistics.Range) rangeJSON {
	return rangeJSON{StartDate: r.Start.Format(time.DateOnly), EndDate: r.End.Format(time.DateOnly)}
}

// POST /statistics?locationId: 200. The document's five bad requests
// (more than 100 profiles, a bad date, a start after its end, prevRange
// without currentRange, an unknown platform) are 400.
func (h *handlers) statistics(w http.ResponseWriter, r *http.Request) error {
	if _, err := locationFrom(r.Context()); err != nil {
		return err
	}
	var in statisticsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	q := statistics.CompareInput{ProfileIDs: in.ProfileIDs, Platforms: in.Platforms}
	for _, p := range []struct {
		name string
		in   *rangeInput
		dst  **statistics.Range
	}{{"currentRange", in.CurrentRange, &q.Current}, {"prevRange", in.PrevRange, &q.Previous}} {
		if p.in == nil {
			continue
		}
		start, err := parseISO(p.in.StartDate)
		if err != nil {
			return fail(http.StatusBadRequest, p.name+".startDate must be a valid ISO 8601 date string")
		}
		end, err := parseISO(p.in.EndDate)
		if err != nil {
			return fail(http.StatusBadRequest, p.name+".endDate must be a valid ISO 8601 date string")
		}
		*p.dst = &statistics.Range{Start: start, End: end}
	}
	c, err := h.Statistics.Compare(r.Context(), q, time.Now())
	var inv *errs.InvalidError
	if errors.As(err, &inv) {
		return fail(http.StatusBadRequest, statisticsMessage(inv))
	}
	if err != nil {
		return err
	}
	out := statisticsResults{CurrentRange: toRangeJSON(c.Current), Totals: toFiguresJSON(c.Totals),
		Accounts: make([]accountFigures, 0, len(c.Accounts)), Series: make([]dayFiguresJSON, 0, len(c.Series))}
	if c.Previous != nil {
		pr, pt := toRangeJSON(*c.Previous), toFiguresJSON(c.PreviousTotals)
		out.PrevRange, out.PreviousTotals = &pr, &pt
	}
	for _, a := range c.Accounts {
		af := accountFigures{ProfileID: a.Account.ObjectID, OriginID: a.Account.ExternalIds[accounts.ExternalOriginID],
			Platform: string(a.Account.Platform), Name: a.Account.DisplayName, Totals: toFiguresJSON(a.Totals)}
		if af.Name == "" {
			af.Name = a.Account.Username
		}
		if c.Previous != nil {
			pt := toFiguresJSON(a.PreviousTotals)
			af.PreviousTotals = &pt
		}
		out.Accounts = append(out.Accounts, af)
	}
	for _, d := range c.Series {
		out.Series = append(out.Series, dayFiguresJSON{Date: d.Day.Format(time.DateOnly), Totals: toFiguresJSON(d.Figures)})
	}
	return ok(w, http.StatusOK, "Analytics data fetched successfully", out)
}

// statisticsMessage words a refused comparison.
func statisticsMessage(inv *errs.InvalidError) string {
	switch {
	case inv.Field == "profileIds" && strings.HasPrefix(inv.Message, "must contain at most"):
		return "profileIds must contain no more than 100 elements"
	case inv.Field == "prevRange" && strings.Contains(inv.Message, "needs currentRange"):
		return "prevRange can only be provided when currentRange is present"
	}
	return strings.TrimSpace(inv.Field + " " + inv.Message)
}
