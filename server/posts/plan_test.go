package posts_test

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// TestPlanAppliesEachPlatformsRules plans posts for accounts of several
// platforms: a rule a platform cannot publish is a RuleError (an invalid
// input), a bad field a plain invalid input, and a draft skips the rules.
func TestPlanAppliesEachPlatformsRules(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, _, ctxB, accB := setup(t, st)
		mk := func(p account.Platform) string {
			return st.Client.Account.Create().SetPlatform(p).SetUsername(string(p) + ".acme").SaveX(ctx).ObjectID
		}
		ig, yt, pin, fb := mk(account.PlatformInstagram), mk(account.PlatformYoutube), mk(account.PlatformPinterest), mk(account.PlatformFacebook)
		// Accounts as the OAuth connect flow attaches them (server/challenges).
		connected := func(p account.Platform, name string, ext map[string]string) string {
			return st.Client.Account.Create().SetPlatform(p).SetUsername(name).SetExternalIds(ext).SaveX(ctx).ObjectID
		}
		fbGroup := connected(account.PlatformFacebook, "group.acme", map[string]string{accounts.ExternalAccountType: "group"})
		const pinOAuthID = "0123456789abcdef01234567"
		pinOAuth := connected(account.PlatformPinterest, "pins.oauth", map[string]string{accounts.ExternalOAuthID: pinOAuthID})
		foreign := st.Client.Account.GetX(ctxB, accB).ObjectID
		at := time.Now().Add(time.Hour)
		video := posts.Media{URL: "https://cdn.example.com/v.mp4", Type: "video/mp4"}
		image := posts.Media{URL: "https://cdn.example.com/i.jpg", Type: "image/jpeg", AltText: strings.Repeat("a", 600)}
		base := func(accs ...string) posts.PlanInput {
			return posts.PlanInput{Status: post.StatusSCHEDULED, ScheduledAt: &at, AccountIDs: accs, Format: posts.FormatPost, Body: "hi"}
		}
		with := func(in posts.PlanInput, f func(*posts.PlanInput)) posts.PlanInput { f(&in); return in }
		for _, tc := range []struct {
			name string
			in   posts.PlanInput
			rule bool // a RuleError; otherwise, with invalid, a plain invalid input
			bad  bool
		}{
			{name: "facebook text post", in: base(fb)},
			{name: "draft skips the rules", in: with(base(ig, pin), func(in *posts.PlanInput) { in.Status = post.StatusDRAFT; in.Format = posts.FormatReel })},
			{name: "reel of two videos", in: with(base(fb), func(in *posts.PlanInput) {
				in.Format, in.Media = posts.FormatReel, []posts.Media{video, video}
			}), rule: true},
			{name: "reel on a facebook page", in: with(base(fb), func(in *posts.PlanInput) {
				in.Format, in.Media = posts.FormatReel, []posts.Media{video}
			})},
			{name: "reel in a facebook group", in: with(base(fbGroup), func(in *posts.PlanInput) {
				in.Format, in.Media = posts.FormatReel, []posts.Media{video}
			}), rule: true},
			{name: "instagram without media", in: base(ig), rule: true},
			{name: "instagram story caption", in: with(base(ig), func(in *posts.PlanInput) {
				in.Media, in.Details.InstagramFormat = []posts.Media{video}, posts.FormatStory
			}), rule: true},
			{name: "31 hashtags", in: with(base(ig), func(in *posts.PlanInput) {
				in.Media, in.Body = []posts.Media{image}, strings.Repeat("#a ", 31)
			}), rule: true},
			{name: "youtube without type", in: with(base(yt), func(in *posts.PlanInput) { in.Media = []posts.Media{video} }), rule: true},
			{name: "youtube short", in: with(base(yt), func(in *posts.PlanInput) {
				in.Media, in.Details.YouTubeType = []posts.Media{video}, "short"
			})},
			{name: "pinterest without board", in: with(base(pin), func(in *posts.PlanInput) { in.Media = []posts.Media{image} }), rule: true},
			{name: "pinterest with board", in: with(base(pin), func(in *posts.PlanInput) {
				in.Media, in.Details.PinterestBoards = []posts.Media{image}, map[string]string{pin: "b1"}
			})},
			{name: "pinterest board keyed by the oauthId", in: with(base(pinOAuth), func(in *posts.PlanInput) {
				in.Media, in.Details.PinterestBoards = []posts.Media{image}, map[string]string{pinOAuthID: "b1"}
			})},
			{name: "scheduled without date", in: with(base(fb), func(in *posts.PlanInput) { in.ScheduledAt = nil }), rule: true},
			{name: "in review without approver", in: with(base(fb), func(in *posts.PlanInput) { in.Status = post.StatusIN_REVIEW }), rule: true},
			{name: "another workspace's account", in: base(foreign), bad: true},
			{name: "http media", in: with(base(fb), func(in *posts.PlanInput) {
				in.Media = []posts.Media{{URL: "http://cdn.example.com/i.jpg", Type: "image/jpeg"}}
			}), bad: true},
			{name: "no accounts", in: base(), bad: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p, err := svc.Plan(ctx, tc.in)
				var re *posts.RuleError
				switch {
				case tc.rule && !errors.As(err, &re):
					t.Fatalf("got %v, want a rule error", err)
				case tc.bad && (!errors.Is(err, errs.ErrInvalid) || errors.As(err, &re)):
					t.Fatalf("got %v, want an invalid input that is no rule", err)
				case !tc.rule && !tc.bad && err != nil:
					t.Fatalf("plan: %v", err)
				case err == nil && p.Status != tc.in.Status:
					t.Fatalf("status %s, want %s", p.Status, tc.in.Status)
				}
			})
		}
	})
}

// TestPlanTruncatesAltTextAndRemoveDeletes checks that alt text is cut to
// the strictest target (Pinterest's 500 before Instagram's 1000), that a
// replacement keeps the post's id, and that Remove marks the post DELETED
// and finds nothing of another workspace.
func TestPlanTruncatesAltTextAndRemoveDeletes(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, _, ctxB, _ := setup(t, st)
		pin := st.Client.Account.Create().SetPlatform(account.PlatformPinterest).SetUsername("pins").SaveX(ctx).ObjectID
		var stored []posts.Media
		in := posts.PlanInput{Status: post.StatusDRAFT, AccountIDs: []string{pin}, Format: posts.FormatPost,
			Media: []posts.Media{{URL: "https://cdn.example.com/i.jpg", Type: "image/jpeg", AltText: strings.Repeat("é", 700)}},
			Extra: func(m []posts.Media) (json.RawMessage, error) { stored = m; return json.RawMessage(`{}`), nil }}
		p, err := svc.Plan(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if n := len([]rune(stored[0].AltText)); n != 500 {
			t.Fatalf("alt text of %d characters, want 500", n)
		}
		in.ObjectID, in.Body = p.ObjectID, "replaced"
		if q, err := svc.Plan(ctx, in); err != nil || q.ID != p.ID || q.Body != "replaced" {
			t.Fatalf("replace: %v, %v", q, err)
		}
		if _, err := svc.Remove(ctxB, []string{p.ObjectID}); !errors.Is(err, posts.ErrNoneFound) {
			t.Fatalf("remove from another workspace: %v, want none found", err)
		}
		if n, err := svc.Remove(ctx, []string{p.ObjectID, p.ObjectID}); err != nil || n != 1 {
			t.Fatalf("remove: %d, %v", n, err)
		}
		if got, _ := svc.GetByObjectID(ctx, p.ObjectID); got.Status != post.StatusDELETED {
			t.Fatalf("status %s, want DELETED", got.Status)
		}
	})
}

// TestPlannedPostsContentIsTrimmedToEachPlatformAtFanOut fans out a
// planned post for Facebook, X and Bluesky: each task's body is cut to its
// platform's limit, the post keeps the whole text, and a post made the
// plain way (Sharingtools, GraphQL) reaches its worker whole.
func TestPlannedPostsContentIsTrimmedToEachPlatformAtFanOut(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		svc, ctx, _, _, _ := setup(t, st)
		mk := func(p account.Platform) *ent.Account {
			return st.Client.Account.Create().SetPlatform(p).SetUsername(string(p) + ".trim").SaveX(ctx)
		}
		fb, x, bsky := mk(account.PlatformFacebook), mk(account.PlatformX), mk(account.PlatformBluesky)
		body := strings.Repeat("é", 400)
		at := time.Now().Add(-time.Minute)
		planned, err := svc.Plan(ctx, posts.PlanInput{Status: post.StatusSCHEDULED, ScheduledAt: &at, Format: posts.FormatPost,
			AccountIDs: []string{fb.ObjectID, x.ObjectID, bsky.ObjectID}, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := svc.Create(ctx, posts.CreateInput{Body: &body, AccountIDs: []int{x.ID}, ScheduledAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		bodies := func(p *ent.Post) map[int]int {
			if moved, err := svc.FanOut(ctx, p.ID, p.WorkspaceID); err != nil || !moved {
				t.Fatalf("fan out: %v, %v", moved, err)
			}
			out := map[int]int{}
			for _, tk := range st.Client.Task.Query().Where(task.PostID(p.ID)).AllX(ctx) {
				out[*tk.AccountID] = utf8.RuneCountInString(tk.Payload["body"].(string))
			}
			return out
		}
		if got, want := bodies(planned), map[int]int{fb.ID: 400, x.ID: 280, bsky.ID: 300}; !maps.Equal(got, want) {
			t.Errorf("planned post's bodies by account %v, want %v", got, want)
		}
		if got := st.Client.Post.GetX(ctx, planned.ID).Body; got != body {
			t.Errorf("stored body of %d characters, want the whole 400", utf8.RuneCountInString(got))
		}
		if got, want := bodies(plain), map[int]int{x.ID: 400}; !maps.Equal(got, want) {
			t.Errorf("plain post's bodies by account %v, want %v", got, want)
		}
	})
}

func TestMediaOfReadsThePlannedMediaElseTheAddresses(t *testing.T) {
	img := posts.Media{URL: "https://cdn.example/a.jpg", Type: "image/jpeg", Caption: "c", AltText: "alt"}
	for _, tc := range []struct {
		name    string
		post    ent.Post
		want    []posts.Media
		wantErr bool
	}{
		{name: "planned: typed, a face's own fields ignored", post: ent.Post{
			Media:   []string{img.URL},
			Details: json.RawMessage(`{"type":"post","media":[{"url":"https://cdn.example/a.jpg","type":"image/jpeg","caption":"c","altText":"alt","originalUrl":"x"}]}`),
		}, want: []posts.Media{img}},
		{name: "details without media: the addresses", post: ent.Post{Media: []string{img.URL}, Details: json.RawMessage(`{"type":"post"}`)},
			want: []posts.Media{{URL: img.URL}}},
		{name: "no details: the addresses", post: ent.Post{Media: []string{img.URL}}, want: []posts.Media{{URL: img.URL}}},
		{name: "no media", post: ent.Post{Details: json.RawMessage(`null`)}},
		{name: "details not an object", post: ent.Post{Details: json.RawMessage(`[1]`)}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := posts.MediaOf(&tc.post)
			if (err != nil) != tc.wantErr {
				t.Fatalf("MediaOf: %v, want error %v", err, tc.wantErr)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("MediaOf = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("item %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
