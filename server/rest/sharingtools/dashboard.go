package sharingtools

import (
	"net/http"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/viewer"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// recentPosts is how many posts the dashboard shows.
const recentPosts = 5

// dashboard is "GET /dashboard": the caller's profile, their counts (as
// GET /statistics), wallet balance, newest posts and the key in use — one
// call for a client's home screen, from the same services as the
// separate routes.
func (h *handlers) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := h.Client.User.Get(ctx, viewer.FromContext(ctx).UserID)
	if err != nil {
		return err
	}
	user, err := h.userWithSubscription(ctx, u)
	if err != nil {
		return err
	}
	stats, err := h.Statistics.Summary(ctx)
	if err != nil {
		return err
	}
	balance, err := h.Wallet.Balance(ctx)
	if err != nil {
		return err
	}
	ps, err := h.Client.Post.Query().
		Order(ent.Desc(post.FieldCreatedAt), ent.Desc(post.FieldID)).
		Limit(recentPosts).
		All(ctx)
	if err != nil {
		return err
	}
	recent, err := h.postsJSON(ctx, ps)
	if err != nil {
		return err
	}
	key, err := h.currentKey(ctx)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Dashboard retrieved.", map[string]any{
		"user": user,
		"accounts": map[string]int{
			"total": stats.Accounts.Total, "active": stats.Accounts.Active, "login_required": stats.Accounts.LoginRequired,
		},
		"posts": map[string]int{
			"total": stats.Posts.Total, "saved": stats.Posts.Saved, "scheduled": stats.Posts.Scheduled,
			"published": stats.Posts.Published, "failed": stats.Posts.Failed,
		},
		"captions":     stats.Captions,
		"wallet":       map[string]any{"balance": float64(balance) / 100, "currency": wallet.Currency},
		"recent_posts": recent,
		"api_key":      key,
	})
	return nil
}
