package sharingtools

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/server/statistics"
)

// postCountsJSON is the document's post counts.
type postCountsJSON struct {
	Total     int `json:"total"`
	Scheduled int `json:"scheduled"`
	Published int `json:"published"`
	Failed    int `json:"failed"`
}

func postCountsOf(c statistics.PostCounts) postCountsJSON {
	return postCountsJSON{Total: c.Total, Scheduled: c.Scheduled, Published: c.Published, Failed: c.Failed}
}

// statisticsJSON is GET /statistics' answer. growth is left out: it comes
// from the Stats plugin, which Switchboard does not have.
type statisticsJSON struct {
	Accounts struct {
		Total         int `json:"total"`
		Active        int `json:"active"`
		LoginRequired int `json:"login_required"`
		Slave         int `json:"slave"`
	} `json:"accounts"`
	Posts    postCountsJSON `json:"posts"`
	Captions struct {
		Total int `json:"total"`
	} `json:"captions"`
}

// statistics is "GET /statistics": the caller's accounts, posts and
// captions, counted.
func (h *handlers) statistics(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Statistics.Summary(r.Context())
	if err != nil {
		return err
	}
	var out statisticsJSON
	out.Accounts.Total, out.Accounts.Active, out.Accounts.LoginRequired = s.Accounts.Total, s.Accounts.Active, s.Accounts.LoginRequired
	out.Posts = postCountsOf(s.Posts)
	out.Captions.Total = s.Captions
	writeOK(w, http.StatusOK, "Statistics retrieved.", out)
	return nil
}

// figuresJSON is an account's audience figures; null is unknown.
type figuresJSON struct {
	Followers  *int `json:"followers"`
	Followings *int `json:"followings"`
	MediaCount *int `json:"media_count"`
}

// growthDayJSON is one day of an account's growth history.
type growthDayJSON struct {
	Date string `json:"date"`
	figuresJSON
}

// accountStatisticsJSON is GET /statistics/accounts/{id}'s answer.
type accountStatisticsJSON struct {
	Account accountJSON `json:"account"`
	figuresJSON
	Posts   postCountsJSON `json:"posts"`
	Actions struct {
		Completed int `json:"completed"`
		Failed    int `json:"failed"`
	} `json:"actions_30d"`
	Growth struct {
		FollowersGained *int            `json:"followers_gained"`
		History         []growthDayJSON `json:"history"`
	} `json:"growth"`
}

// accountStatistics is "GET /statistics/accounts/{id}": one account's
// figures as workers last reported them, its posts and finished tasks, and
// its growth over the last 30 days.
func (h *handlers) accountStatistics(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := h.Statistics.Account(ctx, id, time.Now())
	if err != nil {
		return err
	}
	out := accountStatisticsJSON{Account: toAccountJSON(ctx, d.Account), figuresJSON: figuresOf(d.Current)}
	out.Posts = postCountsOf(d.Posts)
	out.Actions.Completed, out.Actions.Failed = d.Actions.Completed, d.Actions.Failed
	out.Growth.FollowersGained = d.FollowersGained
	out.Growth.History = make([]growthDayJSON, len(d.History))
	for i, day := range d.History {
		out.Growth.History[i] = growthDayJSON{Date: day.Date.Format(time.DateOnly), figuresJSON: figuresOf(day.Snapshot)}
	}
	writeOK(w, http.StatusOK, "Account statistics retrieved.", out)
	return nil
}

func figuresOf(s statistics.Snapshot) figuresJSON {
	return figuresJSON{Followers: s.Followers, Followings: s.Followings, MediaCount: s.MediaCount}
}
