package likepion

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Limits of the routes' input.
const (
	// defaultLimit is how many tasks GET /links claims without ?limit=.
	defaultLimit = 1
	// maxLinkPost bounds the URL a worker reports.
	maxLinkPost = 2000
	// maxErrorMessage bounds a failure reason; a longer one is cut.
	maxErrorMessage = 2000
)

// postKinds are the task kinds Likepion's worker executes.
var postKinds = []task.Kind{task.KindPOST_PUBLISH}

// worker returns the calling worker key's lease identity (requireWorker
// has made sure there is one).
func worker(ctx context.Context) string { return viewer.FromContext(ctx).WorkerIdentity() }

// claim is "1. Lấy danh sách task": it leases up to ?limit= (default 1,
// at most 100) pending post tasks to the calling key.
func (h *handlers) claim(w http.ResponseWriter, r *http.Request) error {
	limit := defaultLimit
	if q := r.URL.Query(); q.Has("limit") {
		n, err := strconv.Atoi(strings.TrimSpace(q.Get("limit")))
		if err != nil || n < 1 || n > tasks.MaxClaim {
			return apiErr(http.StatusBadRequest, msgBadLimit)
		}
		limit = n
	}
	ctx := r.Context()
	// Every claimed task is held by the caller: its credentials go along,
	// opened inside the claim, which they roll back when they cannot be.
	var creds map[int]accounts.Credentials
	leases, err := h.Tasks.ClaimHandingOver(ctx, worker(ctx), postKinds, limit, func(ctx context.Context, tx *ent.Tx, leases []tasks.Lease) error {
		var ids []int
		for _, l := range leases {
			if l.Task.AccountID != nil {
				ids = append(ids, *l.Task.AccountID)
			}
		}
		var err error
		creds, err = h.Accounts.RevealForTx(ctx, tx, ids...)
		return err
	})
	if err != nil {
		return err
	}
	ts := make([]*ent.Task, len(leases))
	for i, l := range leases {
		ts[i] = l.Task
	}
	out, err := h.links(ctx, ts, creds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out})
	return nil
}

// getLink is "2. Lấy chi tiết task": one task, read only.
func (h *handlers) getLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := h.findTask(ctx, r)
	if err != nil {
		return err
	}
	// Only the holder of this very task gets its account's credentials
	// here; RevealFor checks the lease again in the domain.
	var creds map[int]accounts.Credentials
	if holds(t, worker(ctx), h.Now()) && t.AccountID != nil {
		if creds, err = h.Accounts.RevealFor(ctx, *t.AccountID); err != nil {
			return err
		}
	}
	out, err := h.links(ctx, []*ent.Task{t}, creds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out[0]})
	return nil
}

// start is "3. Báo đang xử lý"; repeating it changes nothing.
func (h *handlers) start(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ref, err := taskRef(r)
	if err != nil {
		return err
	}
	if _, err := h.Tasks.Start(ctx, ref, tasks.ByOwner(worker(ctx))); err != nil {
		return taskErr(err)
	}
	writeJSON(w, http.StatusOK, okResponse{Success: true})
	return nil
}

// complete is "4. Báo hoàn thành". The task must have been started; the
// link_post becomes the task's result.
func (h *handlers) complete(w http.ResponseWriter, r *http.Request) error {
	var body completeBody
	if err := readJSON(w, r, &body); err != nil && !errors.Is(err, errEmptyBody) {
		return err
	}
	link := strings.TrimSpace(body.LinkPost)
	if link == "" {
		return apiErr(http.StatusBadRequest, msgLinkPostRequired)
	}
	if !isHTTPURL(link) || len(link) > maxLinkPost {
		return apiErr(http.StatusBadRequest, msgLinkPostInvalid)
	}
	ctx := r.Context()
	ref, err := taskRef(r)
	if err != nil {
		return err
	}
	if _, err := h.Tasks.Complete(ctx, ref, tasks.ByOwner(worker(ctx)).Started(), map[string]any{"link_post": link}); err != nil {
		return taskErr(err)
	}
	writeJSON(w, http.StatusOK, okResponse{Success: true})
	return nil
}

// fail is "5. Báo thất bại". The failure is retryable: the task goes back
// to the queue (after the backoff) while it has attempts left, and fails
// for good after the last.
func (h *handlers) fail(w http.ResponseWriter, r *http.Request) error {
	var body failBody
	if err := readJSON(w, r, &body); err != nil && !errors.Is(err, errEmptyBody) {
		return err
	}
	reason := strings.TrimSpace(body.ErrorMessage)
	if reason == "" {
		return apiErr(http.StatusBadRequest, msgErrorRequired)
	}
	reason = truncate(reason, maxErrorMessage)
	ctx := r.Context()
	ref, err := taskRef(r)
	if err != nil {
		return err
	}
	if _, err := h.Tasks.Fail(ctx, ref, tasks.ByOwner(worker(ctx)).Started(), reason, true); err != nil {
		return taskErr(err)
	}
	writeJSON(w, http.StatusOK, okResponse{Success: true})
	return nil
}

// taskRef names the post task of the {id} path parameter (its UUID) for
// the task service, which finds it in the caller's workspace as it locks
// it. A malformed id is "task not found", like another workspace's task
// and a task of another kind.
func taskRef(r *http.Request) (tasks.Ref, error) {
	id, err := linkID(r)
	if err != nil {
		return tasks.Ref{}, err
	}
	return tasks.TaskUUID(id, postKinds...), nil
}

// linkID parses the {id} path parameter; a malformed one is "task not
// found".
func linkID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return uuid.Nil, errTaskNotFound
	}
	return id, nil
}

// findTask loads the post task named by the {id} path parameter (its UUID)
// in the caller's workspace. A malformed id, another workspace's task, a
// task of another kind and a task that went with its deleted post are all
// "task not found" — Likepion's answer for a soft-deleted task.
func (h *handlers) findTask(ctx context.Context, r *http.Request) (*ent.Task, error) {
	id, err := linkID(r)
	if err != nil {
		return nil, err
	}
	t, err := h.Client.Task.Query().Where(task.UUID(id), task.KindIn(postKinds...)).Only(ctx)
	if err != nil {
		if err = errs.FromEnt(err, "task"); errors.Is(err, errs.ErrNotFound) {
			return nil, errTaskNotFound
		}
		return nil, fmt.Errorf("find task: %w", err)
	}
	if posts.GoneWithPost(t) {
		return nil, errTaskNotFound
	}
	return t, nil
}

// taskErr gives a task service error Likepion's not-found message.
func taskErr(err error) error {
	if errors.Is(err, errs.ErrNotFound) {
		return errTaskNotFound
	}
	return err
}

// holds reports whether worker holds a live lease on t at now. Credentials
// are revealed only to the holder of a task of the account (DESIGN.md).
func holds(t *ent.Task, worker string, now time.Time) bool {
	return (t.Status == task.StatusASSIGNED || t.Status == task.StatusRUNNING) &&
		t.LeaseOwner == worker && t.LeaseExpiresAt != nil && now.Before(*t.LeaseExpiresAt)
}

// links builds the wire form of ts, loading their accounts and posts in one
// query each, with the credentials of the accounts in creds (the others'
// are "").
func (h *handlers) links(ctx context.Context, ts []*ent.Task, creds map[int]accounts.Credentials) ([]link, error) {
	out := make([]link, 0, len(ts))
	if len(ts) == 0 {
		return out, nil
	}
	var accountIDs, postIDs []int
	for _, t := range ts {
		if t.AccountID != nil {
			accountIDs = append(accountIDs, *t.AccountID)
		}
		if t.PostID != nil {
			postIDs = append(postIDs, *t.PostID)
		}
	}
	accs, err := h.Client.Account.Query().Where(account.IDIn(accountIDs...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	byAccount := make(map[int]*ent.Account, len(accs))
	for _, a := range accs {
		byAccount[a.ID] = a
	}
	posts, err := h.Client.Post.Query().Where(post.IDIn(postIDs...)).
		Select(post.FieldUUID).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load posts: %w", err)
	}
	byPost := make(map[int]*ent.Post, len(posts))
	for _, p := range posts {
		byPost[p.ID] = p
	}
	for _, t := range ts {
		l := link{
			ID:      t.UUID.String(),
			Website: payloadString(t.Payload, "link"),
			Title:   payloadString(t.Payload, "title"),
			About:   payloadString(t.Payload, "body"),
		}
		ns := t.UUID // image ids hang off the post when there is one
		if t.PostID != nil {
			if p := byPost[*t.PostID]; p != nil {
				l.RequestID = p.UUID.String()
				ns = p.UUID
			}
		}
		l.Images = images(ns, payloadStrings(t.Payload, "media"))
		if t.AccountID != nil {
			if a := byAccount[*t.AccountID]; a != nil {
				l.AccountID = a.UUID.String()
				l.Domain = siteName(a)
				l.Email = a.Email
				l.Username = a.Username
				if c, ok := creds[a.ID]; ok {
					l.Password, l.PassMail, l.Twofa = str(c.Password), str(c.MailPassword), str(c.TotpSecret)
					l.AppPassword, l.Cookie = str(c.AppPassword), str(c.Cookie)
				}
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// images gives each media URL a stable id: the same post and URL always
// get the same id (UUIDv5 in the post's namespace).
func images(ns uuid.UUID, urls []string) []image {
	out := make([]image, 0, len(urls))
	for _, u := range urls {
		out = append(out, image{ID: uuid.NewSHA1(ns, []byte(u)).String(), URL: u})
	}
	return out
}

// platformDomains is the site of each platform, for accounts whose
// external_ids carry no site_name.
var platformDomains = map[account.Platform]string{
	account.PlatformInstagram: "instagram.com",
	account.PlatformFacebook:  "facebook.com",
	account.PlatformX:         "x.com",
	account.PlatformTiktok:    "tiktok.com",
	account.PlatformLinkedin:  "linkedin.com",
	account.PlatformThreads:   "threads.net",
	account.PlatformYoutube:   "youtube.com",
	account.PlatformPinterest: "pinterest.com",
	account.PlatformGoogle:    "google.com",
}

// siteName is the domain the account lives on: Likepion's site_name when
// the account came from Likepion, else its platform's domain.
func siteName(a *ent.Account) string {
	if s := a.ExternalIds["site_name"]; s != "" {
		return s
	}
	return platformDomains[a.Platform]
}

func payloadString(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return s
}

// payloadStrings reads a list of strings, skipping anything else.
func payloadStrings(p map[string]any, key string) []string {
	var out []string
	switch v := p[key].(type) {
	case []string:
		out = append(out, v...)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
