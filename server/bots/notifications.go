package bots

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/notification"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// FetchPayload asks a worker for a bot's X notifications.
type FetchPayload struct {
	BotID    string `json:"botId"`
	Username string `json:"username"`
	Proxy    string `json:"proxy"`
}

// Validate requires the bot.
func (p FetchPayload) Validate() error {
	if p.BotID == "" {
		return tasks.FieldError{Field: "botId", Message: "is required"}
	}
	return nil
}

// Reported is one notification as a worker reports it.
type Reported struct {
	Type             string    `json:"type"`
	FromUser         string    `json:"fromUser"`
	FromUserID       string    `json:"fromUserId"`
	FromUserName     string    `json:"fromUserName"`
	FromUserAvatar   string    `json:"fromUserAvatar"`
	TweetID          string    `json:"tweetId"`
	ReplyTweetID     string    `json:"replyTweetId"`
	MentionTweetID   string    `json:"mentionTweetId"`
	NotificationText string    `json:"notificationText"`
	NotificationAt   time.Time `json:"notificationAt"`
}

// FetchResult is what a worker reports of an X_FETCH_NOTIFICATIONS task.
type FetchResult struct {
	Notifications []Reported `json:"notifications"`
}

// MaxReportedNotifications bounds one report.
const MaxReportedNotifications = 1000

// Validate requires each notification's type and time and bounds the rest.
func (r FetchResult) Validate() error {
	if len(r.Notifications) > MaxReportedNotifications {
		return tasks.FieldError{Field: "notifications", Message: fmt.Sprintf("must hold at most %d", MaxReportedNotifications)}
	}
	for i, n := range r.Notifications {
		f := fmt.Sprintf("notifications[%d].", i)
		switch {
		case strings.TrimSpace(n.Type) == "" || len(n.Type) > 100:
			return tasks.FieldError{Field: f + "type", Message: "must be 1 to 100 characters"}
		case n.NotificationAt.IsZero():
			return tasks.FieldError{Field: f + "notificationAt", Message: "is required"}
		case len(n.NotificationText) > maxReported || len(n.FromUserAvatar) > maxReported:
			return tasks.FieldError{Field: f + "notificationText", Message: "is too long"}
		}
		for name, v := range map[string]string{"fromUser": n.FromUser, "fromUserId": n.FromUserID, "fromUserName": n.FromUserName,
			"tweetId": n.TweetID, "replyTweetId": n.ReplyTweetID, "mentionTweetId": n.MentionTweetID} {
			if len(v) > 100 {
				return tasks.FieldError{Field: f + name, Message: "must be at most 100 characters"}
			}
		}
	}
	return nil
}

// Fetch is the X_FETCH_NOTIFICATIONS kind.
type Fetch = tasks.Kind[FetchPayload, FetchResult]

// dedupeKey is what makes two reports one notification of a bot: X's
// notifications have no id of their own, so it is what happened, who did
// it, to which tweet and when.
func dedupeKey(n Reported) string {
	h := sha256.New()
	for _, v := range []string{n.Type, n.FromUserID, n.FromUserName, n.TweetID, n.ReplyTweetID, n.MentionTweetID,
		n.NotificationAt.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fetchChanged stores the notifications a completed fetch reported,
// skipping those its bot already has. One from another bot of the
// workspace is marked isBot.
func (s *Service) fetchChanged(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.Status != task.StatusCOMPLETED || t.AccountID == nil {
			continue
		}
		r, err := s.fetch.Result(t)
		if err != nil {
			return fmt.Errorf("decode notifications of task %d: %w", t.ID, err)
		}
		if len(r.Notifications) == 0 {
			continue
		}
		keys := make([]string, 0, len(r.Notifications))
		for _, n := range r.Notifications {
			if n.FromUserName != "" {
				keys = append(keys, schema.UsernameKey(n.FromUserName))
			}
		}
		bots, err := tx.Account.Query().
			Where(account.PlatformEQ(account.PlatformX), account.UsernameKeyIn(keys...)).
			Select(account.FieldUsernameKey).Strings(ctx)
		if err != nil {
			return fmt.Errorf("find bots among notifiers: %w", err)
		}
		isBot := map[string]bool{}
		for _, k := range bots {
			isBot[k] = true
		}
		seen := map[string]bool{}
		creates := make([]*ent.NotificationCreate, 0, len(r.Notifications))
		for _, n := range r.Notifications {
			key := dedupeKey(n)
			if seen[key] {
				continue
			}
			seen[key] = true
			creates = append(creates, tx.Notification.Create().
				SetAccountID(*t.AccountID).SetType(n.Type).SetFromUser(n.FromUser).SetFromUserID(n.FromUserID).
				SetFromUserName(n.FromUserName).SetFromUserAvatar(n.FromUserAvatar).SetTweetID(n.TweetID).
				SetReplyTweetID(n.ReplyTweetID).SetMentionTweetID(n.MentionTweetID).
				SetNotificationText(n.NotificationText).SetNotificationAt(n.NotificationAt.UTC()).
				SetIsBot(n.FromUserName != "" && isBot[schema.UsernameKey(n.FromUserName)]).
				SetDedupeKey(key))
		}
		if err := tx.Notification.CreateBulk(creates...).
			OnConflictColumns(notification.FieldAccountID, notification.FieldDedupeKey).DoNothing().
			Exec(ctx); err != nil {
			return fmt.Errorf("store notifications of task %d: %w", t.ID, err)
		}
	}
	return nil
}

// NotificationOptions select notifications by when they happened.
type NotificationOptions struct {
	Start, End    *time.Time
	Limit, Offset int
}

// Notifications is a page of notifications and the figures of the whole
// selection.
type Notifications struct {
	Total, Unread int
	Items         []*ent.Notification
}

// Notifications returns the notifications of the workspace's bots
// (removed ones aside) in the range, newest first. Reading them does not
// mark them read.
func (s *Service) Notifications(ctx context.Context, o NotificationOptions) (*Notifications, error) {
	where := []predicate.Notification{notification.HasBotWith(Live())}
	if o.Start != nil {
		where = append(where, notification.NotificationAtGTE(*o.Start))
	}
	if o.End != nil {
		where = append(where, notification.NotificationAtLTE(*o.End))
	}
	out := &Notifications{}
	var err error
	if out.Total, err = s.client.Notification.Query().Where(where...).Count(ctx); err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	if out.Unread, err = s.client.Notification.Query().Where(append(where, notification.Read(false))...).Count(ctx); err != nil {
		return nil, fmt.Errorf("count unread notifications: %w", err)
	}
	if out.Items, err = s.client.Notification.Query().Where(where...).
		Order(ent.Desc(notification.FieldNotificationAt), ent.Desc(notification.FieldID)).
		Limit(min(max(o.Limit, 0), MaxListLimit)).Offset(max(o.Offset, 0)).All(ctx); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// fetchLock is the session lock held by the replica enqueueing fetches.
const fetchLock = "bot notification fetch"

// EnqueueFetches enqueues an X_FETCH_NOTIFICATIONS task for every ACTIVE
// bot of every workspace that has none waiting, and returns how many. While
// another replica does it, it returns 0.
func (s *Service) EnqueueFetches(ctx context.Context, d store.Driver) (int, error) {
	unlock, ok, err := d.TryLockSession(ctx, fetchLock)
	if err != nil || !ok {
		return 0, err
	}
	defer unlock()
	sys := privacy.DecisionContext(ctx, privacy.Allow) // every workspace, by design
	bots, err := s.client.Account.Query().
		Where(Live(), account.StatusEQ(account.StatusACTIVE)).
		Order(account.ByWorkspaceID(), account.ByID()).All(sys)
	if err != nil {
		return 0, fmt.Errorf("find active bots: %w", err)
	}
	byWorkspace := map[int][]tasks.EnqueueInput{}
	var order []int
	for _, a := range bots {
		in, err := s.fetch.Input(FetchPayload{BotID: a.UUID.String(), Username: a.Username, Proxy: a.Proxy},
			tasks.EnqueueInput{AccountID: &a.ID})
		if err != nil {
			return 0, err
		}
		if _, ok := byWorkspace[a.WorkspaceID]; !ok {
			order = append(order, a.WorkspaceID)
		}
		byWorkspace[a.WorkspaceID] = append(byWorkspace[a.WorkspaceID], in)
	}
	n := 0
	for _, ws := range order {
		// Each workspace's tasks are enqueued as a viewer of it, so the
		// privacy layer stamps and checks them as any other; a bot with a
		// fetch still waiting (no worker took the last one) gets no other.
		wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: ws})
		for chunk := range slices.Chunk(byWorkspace[ws], tasks.MaxEnqueue) {
			ts, err := s.tasks.EnqueueUnlessWaiting(wctx, chunk)
			if err != nil {
				return n, fmt.Errorf("enqueue notification fetches of workspace %d: %w", ws, err)
			}
			n += len(ts)
		}
	}
	return n, nil
}

// DefaultFetchEvery is how often bots' notifications are fetched.
const DefaultFetchEvery = 15 * time.Minute

// NewFetcher returns a sweeper running EnqueueFetches every interval
// (default DefaultFetchEvery).
func NewFetcher(svc *Service, d store.Driver, every time.Duration, log zerolog.Logger) *loop.Sweeper {
	if every <= 0 {
		every = DefaultFetchEvery
	}
	return loop.NewSweeper(every, log, func(ctx context.Context) (int, error) { return svc.EnqueueFetches(ctx, d) },
		"enqueue bot notification fetches", "enqueued bot notification fetches", "bots")
}
