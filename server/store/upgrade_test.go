package store_test

import (
	"strconv"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// TestMigrateFillsUsernameKeysOfAnOlderDatabase migrates a database written
// before accounts had a username key, holding two names that differ only in
// case: both accounts survive, the older one owns the key, and from then on
// the database refuses a third spelling.
func TestMigrateFillsUsernameKeysOfAnOlderDatabase(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
		ws := st.Client.Workspace.Create().SetName("old").SaveX(ctx)
		create := func(p account.Platform, name string) *ent.Account {
			return st.Client.Account.Create().SetWorkspaceID(ws.ID).SetPlatform(p).SetUsername(name).SaveX(ctx)
		}
		// The older schema: no key column, so no case-insensitive index.
		if _, err := st.DB.ExecContext(ctx, "DROP INDEX account_workspace_id_platform_username_key"); err != nil {
			t.Fatal(err)
		}
		older := create(account.PlatformInstagram, "Ada")
		newer := create(account.PlatformInstagram, "ADA")
		elsewhere := create(account.PlatformX, "ada")
		bob := create(account.PlatformInstagram, "Bob")
		if _, err := st.DB.ExecContext(ctx, "ALTER TABLE accounts DROP COLUMN username_key"); err != nil {
			t.Fatal(err)
		}

		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("migrate the older database: %v", err)
		}
		for _, c := range []struct {
			a    *ent.Account
			want string
		}{
			{older, "ada"},
			{newer, "ada#DUPLICATE-" + strconv.Itoa(newer.ID)},
			{elsewhere, "ada"},
			{bob, "bob"},
		} {
			got := st.Client.Account.GetX(ctx, c.a.ID)
			if got.UsernameKey != c.want || got.Username != c.a.Username {
				t.Errorf("account %q: key %q, want %q", got.Username, got.UsernameKey, c.want)
			}
		}
		if _, err := st.Client.Account.Create().SetWorkspaceID(ws.ID).SetPlatform(account.PlatformInstagram).
			SetUsername("aDa").Save(ctx); !ent.IsConstraintError(err) {
			t.Fatalf("a third spelling after the upgrade: %v, want a constraint error", err)
		}
		// Migrating again changes nothing.
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		if got := st.Client.Account.GetX(ctx, newer.ID); got.UsernameKey != "ada#DUPLICATE-"+strconv.Itoa(newer.ID) {
			t.Fatalf("key after a second migration %q", got.UsernameKey)
		}
	})
}

// TestMigrateGivesOlderRowsObjectIDs migrates a database written before
// posts had ObjectIds: each old post gets a distinct 24-hex id, and a
// second migration keeps them.
func TestMigrateGivesOlderRowsObjectIDs(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
		ws := st.Client.Workspace.Create().SetName("old").SaveX(ctx)
		a := st.Client.Post.Create().SetWorkspaceID(ws.ID).SaveX(ctx)
		b := st.Client.Post.Create().SetWorkspaceID(ws.ID).SaveX(ctx)
		if _, err := st.DB.ExecContext(ctx, "DROP INDEX posts_object_id_key"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.ExecContext(ctx, "ALTER TABLE posts DROP COLUMN object_id"); err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("migrate the older database: %v", err)
		}
		ga, gb := st.Client.Post.GetX(ctx, a.ID), st.Client.Post.GetX(ctx, b.ID)
		if !schema.IsObjectID(ga.ObjectID) || !schema.IsObjectID(gb.ObjectID) || ga.ObjectID == gb.ObjectID {
			t.Fatalf("object ids %q and %q, want two distinct ObjectIds", ga.ObjectID, gb.ObjectID)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		if got := st.Client.Post.GetX(ctx, a.ID); got.ObjectID != ga.ObjectID {
			t.Fatalf("object id after a second migration %q, want %q", got.ObjectID, ga.ObjectID)
		}
	})
}

// TestMigrateFillsTaskMetricsOfAnOlderDatabase migrates a database written
// before tasks had metric columns: a posted spam's columns take the
// counters of its result, other tasks' stay 0, and a second migration
// keeps them.
func TestMigrateFillsTaskMetricsOfAnOlderDatabase(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
		ws := st.Client.Workspace.Create().SetName("old").SaveX(ctx)
		spam := st.Client.Task.Create().SetWorkspaceID(ws.ID).SetKind(task.KindX_POST).SetStatus(task.StatusCOMPLETED).
			SetResult(map[string]any{"tweetId": "1", "metrics": map[string]any{"views": 120, "likes": 7, "replies": 3, "retweets": 2}}).SaveX(ctx)
		bare := st.Client.Task.Create().SetWorkspaceID(ws.ID).SetKind(task.KindX_POST).SaveX(ctx)
		other := st.Client.Task.Create().SetWorkspaceID(ws.ID).SetKind(task.KindLIKE).SetStatus(task.StatusCOMPLETED).
			SetResult(map[string]any{"metrics": map[string]any{"views": 5}}).SaveX(ctx)
		if _, err := st.DB.ExecContext(ctx, "DROP INDEX task_workspace_id_kind_metrics"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"metric_views", "metric_likes", "metric_replies", "metric_reposts"} {
			if _, err := st.DB.ExecContext(ctx, "ALTER TABLE tasks DROP COLUMN "+c); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := st.Migrate(ctx); err != nil {
				t.Fatalf("migrate the older database: %v", err)
			}
			for _, c := range []struct {
				t    *ent.Task
				want [4]int64
			}{{spam, [4]int64{120, 7, 3, 2}}, {bare, [4]int64{}}, {other, [4]int64{}}} {
				got := st.Client.Task.GetX(ctx, c.t.ID)
				if m := [4]int64{got.MetricViews, got.MetricLikes, got.MetricReplies, got.MetricReposts}; m != c.want {
					t.Errorf("%s task %d: metrics %v, want %v", got.Kind, got.ID, m, c.want)
				}
			}
		}
	})
}
