package shillbot

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/campaigns"
)

// The spam feed: route 7, GET /spams (no /v1).

// spamJSON is one spam (an x_post task) as the document lists its fields.
// Fields Switchboard has no source for (payments, interactions) are null.
type spamJSON struct {
	ID               string        `json:"id"`
	Error            *string       `json:"error"`
	Status           string        `json:"status"`
	PostState        *string       `json:"postState"`
	PostView         int64         `json:"postView"`
	LikeCount        int64         `json:"likeCount"`
	ReplyCount       int64         `json:"replyCount"`
	RetweetCount     int64         `json:"retweetCount"`
	AppID            string        `json:"appId"`
	BotID            *string       `json:"botId"`
	JobID            *string       `json:"jobId"`
	TaskID           *string       `json:"taskId"`
	Images           []string      `json:"images"`
	Content          string        `json:"content"`
	TweetID          *string       `json:"tweetId"`
	TweetURL         *string       `json:"tweetUrl"`
	CustomerID       *string       `json:"customerId"`
	PostTweetID      *string       `json:"postTweetId"`
	ErrorMessage     *string       `json:"errorMessage"`
	PaymentItemID    *string       `json:"paymentItemId"`
	InteractionJobID *string       `json:"interactionJobId"`
	IsInteraction    bool          `json:"isInteraction"`
	PostTime         *time.Time    `json:"postTime"`
	CreatedAt        time.Time     `json:"createdAt"`
	UpdatedAt        time.Time     `json:"updatedAt"`
	InteractionAt    *time.Time    `json:"interactionAt"`
	Customer         *customerJSON `json:"customer"`
	Task             *spamTaskJSON `json:"task"`
	Bot              *spamBotJSON  `json:"bot"`
}

type customerJSON struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"createdAt"`
}

type spamTaskJSON struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

type spamBotJSON struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Status   string `json:"status"`
}

type spamPageJSON struct {
	Total int            `json:"total"`
	Stat  campaigns.Stat `json:"stat"`
	Data  []spamJSON     `json:"data"`
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// canPost is the postState of a spam still waiting to be posted.
var canPost = "CAN_POST"

func renderSpam(appID string, sp campaigns.Spam) spamJSON {
	p, res := sp.Payload, sp.Result
	st := campaigns.SpamStatusOf(sp.Status)
	out := spamJSON{
		ID: sp.UUID.String(), Status: string(st), AppID: appID,
		Images: nonNil(p.Images), Content: p.Content,
		TweetID: str(res.TweetID), TweetURL: str(res.TweetURL), PostTweetID: str(res.PostTweetID),
		CustomerID: str(p.CustomerID),
		CreatedAt:  sp.CreatedAt.UTC(), UpdatedAt: sp.UpdatedAt.UTC(),
	}
	if st == campaigns.SpamWaiting {
		out.PostState = &canPost
	}
	if st == campaigns.SpamError {
		code, msg := sp.Failure()
		out.Error, out.ErrorMessage = str(code), str(msg)
	}
	if pt := sp.PostTime(); pt != nil {
		utc := pt.UTC()
		out.PostTime = &utc
	}
	if m := res.Metrics; m != nil {
		out.PostView, out.LikeCount, out.ReplyCount, out.RetweetCount = m.Views, m.Likes, m.Replies, m.Retweets
	}
	if c := sp.Customer; c != nil {
		out.Customer = &customerJSON{ID: c.UUID.String(), Username: c.Username, CreatedAt: c.CreatedAt.UTC()}
	}
	if b := sp.Bot; b != nil {
		id := b.UUID.String()
		out.BotID = &id
		out.Bot = &spamBotJSON{ID: id, Username: b.Username, Status: string(bots.StatusOf(b.Status))}
	}
	if c := sp.Campaign; c != nil {
		id := c.UUID.String()
		out.TaskID = &id
		out.Task = &spamTaskJSON{ID: id, Title: c.Title, Type: string(c.Type), Status: string(c.Status)}
	}
	return out
}

// listSpams is GET /spams.
func (h *handlers) listSpams(w http.ResponseWriter, r *http.Request) error {
	app, err := appFrom(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := parsePaging(q, DefaultLimit)
	if err != nil {
		return err
	}
	dr, err := parseDateRange(q, false)
	if err != nil {
		return err
	}
	f := campaigns.SpamFilter{Status: campaigns.SpamStatus(q.Get("status")), Start: dr.Start, End: dr.End, Limit: p.Limit, Offset: p.Offset}
	if f.CampaignIDs, err = queryUUIDs(q, "taskIds"); err != nil {
		return err
	}
	if f.BotIDs, err = queryUUIDs(q, "botIds"); err != nil {
		return err
	}
	if f.GroupIDs, err = queryUUIDs(q, "groupIds"); err != nil {
		return err
	}
	pg, err := h.Campaigns.Spams(r.Context(), f)
	if err != nil {
		return err
	}
	out := spamPageJSON{Total: pg.Total, Stat: pg.Stat, Data: make([]spamJSON, len(pg.Items))}
	appID := app.UUID.String()
	for i, sp := range pg.Items {
		out.Data[i] = renderSpam(appID, sp)
	}
	writeData(w, r, out)
	return nil
}
