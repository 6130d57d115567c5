package schedules_test

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/schedule"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/schedules"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestPauseResumeAndForeignAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
		wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
		ctxA := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID})
		ctxB := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID})
		accB := st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("b").SaveX(ctxB)
		svc := schedules.NewService(st.Client)

		if _, err := svc.Create(ctxA, schedules.CreateInput{Kind: schedule.KindREACTIONS, AccountID: &accB.ID, IntervalSeconds: 600}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("schedule on B's account from A: %v, want invalid", err)
		}
		if _, err := svc.Create(ctxA, schedules.CreateInput{Kind: schedule.KindREACTIONS, IntervalSeconds: 30}); errs.Field(err) != "intervalSeconds" {
			t.Fatalf("interval 30: %v", err)
		}
		sc, err := svc.Create(ctxA, schedules.CreateInput{Kind: schedule.KindREACTIONS, IntervalSeconds: 600})
		if err != nil {
			t.Fatal(err)
		}
		if sc, err = svc.Pause(ctxA, sc.ID); err != nil || sc.Status != schedule.StatusPAUSED {
			t.Fatalf("pause: %v %v", err, sc)
		}
		if _, err := svc.Pause(ctxB, sc.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("pause from B: %v, want not found", err)
		}
		if sc, err = svc.Resume(ctxA, sc.ID); err != nil || sc.Status != schedule.StatusACTIVE || sc.NextRunAt == nil {
			t.Fatalf("resume: %v %v", err, sc)
		}
		if err := svc.Delete(ctxB, sc.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("delete from B: %v, want not found", err)
		}
		if err := svc.Delete(ctxA, sc.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCampaignsAreRefusedByTheGenericMutations: a BOT_TASK schedule is a
// campaign, whose settings only the campaign service checks and which is
// stopped, never deleted; the generic create, update and delete refuse it
// and leave it as it was, while pausing stays generic.
func TestCampaignsAreRefusedByTheGenericMutations(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		ws := st.Client.Workspace.Create().SetName("a").SaveX(sys)
		ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID})
		svc := schedules.NewService(st.Client)
		settings := map[string]any{"title": "Launch", "postPerDay": 24}
		campaign := st.Client.Schedule.Create().SetKind(schedule.KindBOT_TASK).SetIntervalSeconds(3600).SetSettings(settings).SaveX(ctx)

		if _, err := svc.Create(ctx, schedules.CreateInput{Kind: schedule.KindBOT_TASK, IntervalSeconds: 600}); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "kind" {
			t.Errorf("create a campaign: %v, want invalid kind", err)
		}
		if _, err := svc.Update(ctx, schedules.UpdateInput{ID: campaign.ID, Settings: map[string]any{"postPerDay": 0}}); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("update a campaign: %v, want invalid", err)
		}
		if err := svc.Delete(ctx, campaign.ID); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("delete a campaign: %v, want invalid", err)
		}
		got := st.Client.Schedule.GetX(ctx, campaign.ID)
		if got.Settings["postPerDay"] != float64(24) && got.Settings["postPerDay"] != 24 {
			t.Errorf("campaign settings now %v", got.Settings)
		}
		if st.Client.Schedule.Query().CountX(ctx) != 1 {
			t.Error("a campaign was created")
		}
		if sc, err := svc.Pause(ctx, campaign.ID); err != nil || sc.Status != schedule.StatusPAUSED {
			t.Errorf("pause a campaign: %v %v", err, sc)
		}
	})
}
