package shillbot

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/bots"
)

// Bots: routes 1-4 and the notifications (route 12).

// botBody is BotCreateDTO (fields from the original page): username and
// password are required.
type botBody struct {
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Mail          string  `json:"mail"`
	Phone         string  `json:"phone"`
	AppAuthSecret string  `json:"appAuthSecret"`
	BlueTick      bool    `json:"blueTick"`
}

// botJSON is the Bot object of routes 1-4. The password is never in it;
// appAuthSecret only echoes the create request's (decision (c)).
type botJSON struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"createdAt"`
	Status       string    `json:"status"`
	ErrorMessage *string   `json:"errorMessage"`
	CreatedBy    string    `json:"createdBy"`
	Follower     *int      `json:"follower"`
	Following    *int      `json:"following"`
	Username     string    `json:"username"`
	Mail         *string   `json:"mail"`
	Phone        *string   `json:"phone"`
	// ProxyID is the pool entry of the bot's proxy; null when it has none
	// or its address is not in the pool.
	ProxyID       *string       `json:"proxyId"`
	BlueTick      bool          `json:"blueTick"`
	AppAuthSecret *string       `json:"appAuthSecret"`
	TaskCount     int           `json:"taskCount"`
	Profile       profileJSON   `json:"profile"`
	Histories     []historyJSON `json:"histories"`
	// DeletedAt is not in the document; it tells removed bots apart in
	// a list with isDeleted=true (decision (d)).
	DeletedAt *time.Time `json:"deletedAt"`
}

// profileJSON is the bot's X profile; it has no identity of its own, so
// its id is the bot's.
type profileJSON struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Bio       *string   `json:"bio"`
	Name      *string   `json:"name"`
	Banner    *string   `json:"banner"`
	Avatar    *string   `json:"avatar"`
	Website   *string   `json:"website"`
}

// historyJSON is a BOT_INTERACTION history entry: the log entry of one of
// the bot's finished interactions (a follow, like, comment, ...).
type historyJSON struct {
	ID             string          `json:"id"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
	Type           string          `json:"type"`
	InteractionBot interactionJSON `json:"interactionBot"`
}

// interactionJSON is the interaction: the task, its kind as type, DONE or
// ERROR as state.
type interactionJSON struct {
	ID            string     `json:"id"`
	URL           *string    `json:"url"`
	Type          string     `json:"type"`
	State         string     `json:"state"`
	Error         *string    `json:"error"`
	Origin        *string    `json:"origin"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	InteractionAt *time.Time `json:"interactionAt"`
}

func renderHistories(hs []bots.History) []historyJSON {
	out := make([]historyJSON, len(hs))
	for i, h := range hs {
		state := "ERROR"
		if h.Done {
			state = "DONE"
		}
		var at *time.Time
		if h.Task.FinishedAt != nil {
			t := h.Task.FinishedAt.UTC()
			at = &t
		}
		out[i] = historyJSON{
			ID: h.ID.String(), CreatedAt: h.At.UTC(), UpdatedAt: h.At.UTC(), Type: "BOT_INTERACTION",
			InteractionBot: interactionJSON{
				ID: h.Task.UUID.String(), URL: str(h.URL), Type: string(h.Task.Kind), State: state,
				Error: str(h.Task.Error), Origin: str(h.Origin), CreatedAt: h.Task.CreatedAt.UTC(),
				UpdatedAt: h.Task.UpdatedAt.UTC(), InteractionAt: at,
			},
		}
	}
	return out
}

func renderBot(a *ent.Account, x bots.Extras) botJSON {
	profileAt := a.CreatedAt
	if a.ProfileUpdatedAt != nil {
		profileAt = *a.ProfileUpdatedAt
	}
	out := botJSON{
		ID: a.UUID.String(), CreatedAt: a.CreatedAt.UTC(), Status: string(bots.StatusOf(a.Status)),
		ErrorMessage: str(a.ErrorCode), CreatedBy: string(a.CreatedBy),
		Follower: a.FollowerCount, Following: a.FollowingCount, Username: a.Username,
		Mail: str(a.Email), Phone: str(a.Phone), BlueTick: a.BlueTick, TaskCount: x.TaskCounts[a.ID],
		Profile: profileJSON{
			ID: a.UUID.String(), CreatedAt: a.CreatedAt.UTC(), UpdatedAt: profileAt.UTC(),
			Bio: str(a.ProfileBio), Name: str(a.ProfileName), Banner: str(a.ProfileBanner),
			Avatar: str(a.ProfileAvatar), Website: str(a.ProfileWebsite),
		},
		Histories: renderHistories(x.Histories[a.ID]),
	}
	if id, ok := x.Proxies[a.ID]; ok {
		p := id.String()
		out.ProxyID = &p
	}
	if a.DeletedAt != nil {
		t := a.DeletedAt.UTC()
		out.DeletedAt = &t
	}
	return out
}

// createBot is POST /v1/bots. The bot starts LOGGING (decision (e)).
func (h *handlers) createBot(w http.ResponseWriter, r *http.Request) error {
	var body botBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Username == nil || body.Password == nil {
		return errValidation
	}
	a, err := h.Bots.Create(r.Context(), bots.CreateInput{
		Username: *body.Username, Password: *body.Password, Mail: body.Mail, Phone: body.Phone,
		AppAuthSecret: body.AppAuthSecret, BlueTick: body.BlueTick,
	})
	if err != nil {
		return err
	}
	// A restored bot (a removed bot's username) keeps its campaigns,
	// history and proxy.
	x, err := h.Bots.ExtrasOf(r.Context(), a.ID)
	if err != nil {
		return err
	}
	out := renderBot(a, x)
	out.AppAuthSecret = str(body.AppAuthSecret) // the caller's own value, echoed once
	writeData(w, r, out)
	return nil
}

// botPage is route 2's data: the page, the app's ACTIVE bots and the bots
// whose profile is being read.
type botPage struct {
	Total             int       `json:"total"`
	Data              []botJSON `json:"data"`
	Active            int       `json:"active"`
	IsProfileUpdating []string  `json:"isProfileUpdating"`
}

// listBots is GET /v1/bots.
func (h *handlers) listBots(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := parsePaging(q, DefaultLimit)
	if err != nil {
		return err
	}
	deleted, err := queryBool(q, "isDeleted", false)
	if err != nil {
		return err
	}
	o := bots.ListOptions{Search: q.Get("search"), Deleted: deleted, Limit: p.Limit, Offset: p.Offset}
	if s := q.Get("botState"); s != "" {
		st := bots.Status(s)
		if !st.Valid() {
			return errValidation
		}
		o.State = &st
	}
	pg, err := h.Bots.List(r.Context(), o)
	if err != nil {
		return err
	}
	out := botPage{Total: pg.Total, Data: make([]botJSON, len(pg.Items)), Active: pg.Active,
		IsProfileUpdating: make([]string, len(pg.ProfileUpdating))}
	for i, a := range pg.Items {
		out.Data[i] = renderBot(a, pg.Extras)
	}
	for i, id := range pg.ProfileUpdating {
		out.IsProfileUpdating[i] = id.String()
	}
	writeData(w, r, out)
	return nil
}

// deleteBot is DELETE /v1/bots/{botId}: a soft delete (decision (d)).
func (h *handlers) deleteBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "botId")
	if err != nil {
		return err
	}
	a, err := h.Bots.Delete(r.Context(), id)
	if err != nil {
		return err
	}
	return h.writeBot(w, r, a)
}

// refreshBody is the refresh route's body: the bot's new status, LOGGING
// when absent (decision (a)).
type refreshBody struct {
	Status *string `json:"status"`
}

// refreshBot is PUT, PATCH or POST /v1/bots/{botId}/refresh.
func (h *handlers) refreshBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "botId")
	if err != nil {
		return err
	}
	var body refreshBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	var st *bots.Status
	if body.Status != nil {
		s := bots.Status(*body.Status)
		if !s.Valid() {
			return errValidation
		}
		st = &s
	}
	a, err := h.Bots.Refresh(r.Context(), id, st)
	if err != nil {
		return err
	}
	return h.writeBot(w, r, a)
}

func (h *handlers) writeBot(w http.ResponseWriter, r *http.Request, a *ent.Account) error {
	x, err := h.Bots.ExtrasOf(r.Context(), a.ID)
	if err != nil {
		return err
	}
	writeData(w, r, renderBot(a, x))
	return nil
}

// notificationJSON is one notification of route 12. Ids a notification
// has no use for are null.
type notificationJSON struct {
	ID               string    `json:"id"`
	Type             string    `json:"type"`
	FromUser         *string   `json:"fromUser"`
	FromUserID       *string   `json:"fromUserId"`
	FromUserName     *string   `json:"fromUserName"`
	FromUserAvatar   *string   `json:"fromUserAvatar"`
	TweetID          *string   `json:"tweetId"`
	ReplyTweetID     *string   `json:"replyTweetId"`
	MentionTweetID   *string   `json:"mentionTweetId"`
	NotificationText string    `json:"notificationText"`
	Read             bool      `json:"read"`
	IsBot            bool      `json:"isBot"`
	NotificationAt   time.Time `json:"notificationAt"`
}

type notificationPage struct {
	Total  int                `json:"total"`
	UnRead int                `json:"unRead"`
	Data   []notificationJSON `json:"data"`
}

// listNotifications is GET /v1/bots/notification; the dates are required
// and the limit defaults to 30.
func (h *handlers) listNotifications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := parsePaging(q, DefaultNotificationLimit)
	if err != nil {
		return err
	}
	dr, err := parseDateRange(q, true)
	if err != nil {
		return err
	}
	pg, err := h.Bots.Notifications(r.Context(), bots.NotificationOptions{
		Start: dr.Start, End: dr.End, Limit: p.Limit, Offset: p.Offset,
	})
	if err != nil {
		return err
	}
	out := notificationPage{Total: pg.Total, UnRead: pg.Unread, Data: make([]notificationJSON, len(pg.Items))}
	for i, n := range pg.Items {
		out.Data[i] = notificationJSON{
			ID: n.UUID.String(), Type: n.Type, FromUser: str(n.FromUser), FromUserID: str(n.FromUserID),
			FromUserName: str(n.FromUserName), FromUserAvatar: str(n.FromUserAvatar), TweetID: str(n.TweetID),
			ReplyTweetID: str(n.ReplyTweetID), MentionTweetID: str(n.MentionTweetID),
			NotificationText: n.NotificationText, Read: n.Read, IsBot: n.IsBot, NotificationAt: n.NotificationAt.UTC(),
		}
	}
	writeData(w, r, out)
	return nil
}
