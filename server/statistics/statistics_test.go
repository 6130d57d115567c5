package statistics_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/statistics"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestSummaryCountsTheViewersWorkspaceOnly(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
		wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
		ctxA := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Role: viewer.RoleMember})
		ctxB := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID, Role: viewer.RoleMember})
		for i, s := range []account.Status{account.StatusACTIVE, account.StatusACTIVE, account.StatusLOGIN_REQUIRED, account.StatusBANNED} {
			st.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername(string(rune('a'+i)) + "-acct").SetStatus(s).SaveX(ctxA)
		}
		for _, s := range []post.Status{post.StatusDRAFT, post.StatusSCHEDULED, post.StatusPUBLISHING, post.StatusPUBLISHED, post.StatusPARTIAL, post.StatusFAILED} {
			st.Client.Post.Create().SetStatus(s).SaveX(ctxA)
		}
		st.Client.Caption.Create().SetTitle("t").SetCaption("c").SaveX(ctxA)
		st.Client.Account.Create().SetPlatform(account.PlatformInstagram).SetUsername("other").SetStatus(account.StatusACTIVE).SaveX(ctxB)
		st.Client.Post.Create().SetStatus(post.StatusPUBLISHED).SaveX(ctxB)

		svc := statistics.NewService(st.Client, nil)
		got, err := svc.Summary(ctxA)
		if err != nil {
			t.Fatal(err)
		}
		want := statistics.Summary{
			Accounts: statistics.AccountCounts{Total: 4, Active: 2, LoginRequired: 1},
			Posts:    statistics.PostCounts{Total: 6, Saved: 1, Scheduled: 2, Published: 2, Failed: 1},
			Captions: 1,
		}
		if got != want {
			t.Fatalf("summary %+v, want %+v", got, want)
		}
		if got, _ := svc.Summary(ctxB); got.Accounts.Total != 1 || got.Posts.Total != 1 || got.Captions != 0 {
			t.Fatalf("workspace B summary %+v", got)
		}
	})
}
