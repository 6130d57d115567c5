package highlevel_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	entpost "github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/queueitem"
	"github.com/switchboardhq/switchboard/server/queues"
)

// queueBaseIn is accountsIn plus labels and two published posts of tn in
// its Evergreen category: the oldest without media, the newest written
// through the posts route with two images.
func queueBaseIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := accountsIn(t, tn, other)
	for k, v := range labelsIn(t, tn, other) {
		vars[k] = v
	}
	ctx := tn.ctx(t)
	c := tn.srv.App.Store.Client
	cat := c.Category.Query().Where(category.ObjectID(vars["evergreenId"])).OnlyX(ctx)
	fb := c.Account.Query().Where(account.ObjectID(vars["fbId"])).OnlyX(ctx)
	old := c.Post.Create().SetBody("Our oldest tip").SetStatus(entpost.StatusPUBLISHED).
		SetPublishedAt(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)).SetCategoryID(cat.ID).AddAccountIDs(fb.ID).SaveX(ctx)
	vars["oldPostId"] = old.ObjectID
	var created struct {
		Post struct {
			ID string `json:"_id"`
		}
	}
	tn.do(t, http.MethodPost, "/"+tn.LocationID+"/posts", `{"type":"post","summary":"Our newest tip","accountIds":["`+vars["fbId"]+
		`"],"categoryId":"`+vars["evergreenId"]+`","media":[`+
		`{"url":"https://cdn.example.com/tip.jpg","type":"image/jpeg","caption":"The tip","altText":"A tip","id":"m1","originalUrl":"https://cdn.example.com/tip-original.jpg"},`+
		`{"url":"https://cdn.example.com/chart.png","type":"image/png"}]}`).want(t, 201).decode(t, &created)
	vars["newPostId"] = created.Post.ID
	c.Post.Update().Where(entpost.ObjectID(created.Post.ID)).SetStatus(entpost.StatusPUBLISHED).
		SetPublishedAt(time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)).ExecX(ctx)
	// A calendar's range: the next two weeks (times are normalised).
	now := time.Now().UTC()
	vars["startDate"], vars["endDate"] = now.Format(time.RFC3339), now.AddDate(0, 0, 14).Format(time.RFC3339)
	return vars
}

// queueIn is queueBaseIn plus a draft queue of Evergreen (its two posts
// as items, the newest on top) and a queue of the other tenant.
func queueIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueBaseIn(t, tn, other)
	slots := []queues.TimeSlot{{DayOfWeek: 1, Time: "09:00"}, {DayOfWeek: 4, Time: "17:30"}}
	q, err := tn.srv.App.Queues.Create(tn.ctx(t), queues.CreateInput{CategoryID: vars["evergreenId"], UserID: vars["userId"], TimeSlots: slots})
	if err != nil {
		t.Fatal(err)
	}
	vars["queueId"] = q.ObjectID
	items, _, err := tn.srv.App.Queues.Items(tn.ctx(t), q.ObjectID, queues.ItemsQuery{Limit: 10})
	if err != nil || len(items) != 2 {
		t.Fatalf("items %v: %v", items, err)
	}
	vars["newItemId"], vars["oldItemId"] = items[0].ItemID, items[1].ItemID
	fq, err := tn.srv.App.Queues.Create(other.ctx(t), queues.CreateInput{CategoryID: vars["foreignCategoryId"], UserID: vars["otherUserId"], TimeSlots: slots})
	if err != nil {
		t.Fatal(err)
	}
	fitem, err := tn.srv.App.Queues.CreateItem(other.ctx(t), fq.ObjectID, queues.NewItem{Direct: true, Payload: []byte(`{"summary":"theirs"}`)})
	if err != nil {
		t.Fatal(err)
	}
	vars["foreignQueueId"], vars["foreignItemId"] = fq.ObjectID, fitem.ItemID
	return vars
}

// sessionIn is queueIn with an edit session open.
func sessionIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueIn(t, tn, other)
	s, _, err := tn.srv.App.Queues.StartEdit(tn.ctx(t), vars["queueId"])
	if err != nil {
		t.Fatal(err)
	}
	vars["sessionId"] = s
	return vars
}

// activeIn is queueIn with the queue active and its first post scheduled
// by a sweep.
func activeIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueIn(t, tn, other)
	vars["activePostId"] = activate(t, tn, vars["queueId"])
	return vars
}

// activate makes tn's queue id active and sweeps until it has its post
// scheduled, whose id it returns.
func activate(t *testing.T, tn *tenant, id string) string {
	t.Helper()
	active := "active"
	if _, err := tn.srv.App.Queues.Update(tn.ctx(t), id, queues.UpdateInput{Status: &active}); err != nil {
		t.Fatal(err)
	}
	// The app's own sweeper may hold the sweep lock (Sweep is then a
	// no-op): sweep until the queue has its post.
	var q *queues.Queue
	for range 100 {
		if _, err := tn.srv.App.Queues.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
		var err error
		if q, err = tn.srv.App.Queues.Get(tn.ctx(t), id); err != nil {
			t.Fatal(err)
		}
		if q.ActivePostID != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if q.ActivePostID == nil {
		t.Fatalf("queue after sweeps %+v: no post scheduled", q)
	}
	return tn.srv.App.Store.Client.Post.GetX(tn.ctx(t), *q.ActivePostID).ObjectID
}

// foreignActiveIn is queueIn with the other tenant's queue active and its
// post scheduled: a real active post of another workspace.
func foreignActiveIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueIn(t, tn, other)
	if _, err := tn.srv.App.Queues.CreateItem(other.ctx(t), vars["foreignQueueId"], queues.NewItem{Direct: true,
		Payload: []byte(`{"summary":"theirs, published","accountIds":["` + vars["foreignAccountId"] + `"]}`), Order: &queues.Position{Top: true}}); err != nil {
		t.Fatal(err)
	}
	vars["foreignActivePostId"] = activate(t, other, vars["foreignQueueId"])
	return vars
}

// erroredIn is queueIn with a third item on top whose account is gone,
// and the queue activated: the sweep marks that item an error item and
// moves it to the bottom, then schedules the next.
func erroredIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueIn(t, tn, other)
	c := tn.srv.App.Store.Client
	gone := c.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("gone.page").SaveX(tn.ctx(t))
	it, err := tn.srv.App.Queues.CreateItem(tn.ctx(t), vars["queueId"], queues.NewItem{Direct: true,
		Payload: []byte(`{"summary":"to a gone page","accountIds":["` + gone.ObjectID + `"]}`), Order: &queues.Position{Top: true}})
	if err != nil {
		t.Fatal(err)
	}
	// A direct item goes to the bottom unless new content is prioritized.
	if _, err := tn.srv.App.Queues.UpdateItem(tn.ctx(t), vars["queueId"], it.ItemID, queues.ItemChange{NewOrder: &queues.Position{Top: true}}); err != nil {
		t.Fatal(err)
	}
	c.Account.DeleteOne(gone).ExecX(tn.ctx(t))
	vars["errorItemId"] = it.ItemID
	vars["activePostId"] = activate(t, tn, vars["queueId"])
	return vars
}

// takenIn is activeIn with the queue's post taken by the scheduler
// (queued for publishing), as when the scheduler fans it out.
func takenIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := activeIn(t, tn, other)
	tn.srv.App.Store.Client.Post.Update().Where(entpost.ObjectID(vars["activePostId"])).SetStatus(entpost.StatusQUEUED).ExecX(tn.ctx(t))
	return vars
}

// prioritizedIn is queueIn with the queue prioritizing new content.
func prioritizedIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueIn(t, tn, other)
	yes := true
	if _, err := tn.srv.App.Queues.Update(tn.ctx(t), vars["queueId"], queues.UpdateInput{PrioritizeNewContent: &yes}); err != nil {
		t.Fatal(err)
	}
	return vars
}

// skippedIn is queueIn with the queue's first slot skipped.
func skippedIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := queueIn(t, tn, other)
	ss, err := tn.srv.App.Queues.Slots(tn.ctx(t), vars["queueId"], "", 0, 1)
	if err != nil || len(ss) != 1 {
		t.Fatalf("slots %v: %v", ss, err)
	}
	if _, err := tn.srv.App.Queues.Update(tn.ctx(t), vars["queueId"], queues.UpdateInput{SkipDateTime: &ss[0].At}); err != nil {
		t.Fatal(err)
	}
	return vars
}

// queueCount is how many queues tn has (deleted ones too).
func queueCount(t *testing.T, tn *tenant) int {
	return tn.srv.App.Store.Client.CategoryQueue.Query().CountX(tn.ctx(t))
}

func wantNoQueue(t *testing.T, tn *tenant, _ *reply) {
	if n := queueCount(t, tn); n != 0 {
		t.Fatalf("%d queues written by a refused request", n)
	}
}

// liveItems is the live items' answer, to compare before and after.
func liveItems(t *testing.T, tn *tenant, queueID string) []byte {
	return tn.do(t, http.MethodPost, "/category/queues/"+queueID+"/items",
		`{"locationId":"`+tn.LocationID+`","limit":100}`).want(t, 201).Raw
}

func TestQueues(t *testing.T) {
	t.Parallel()
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	const q = "/category/queues"
	slots := `"timeSlots":[{"dayOfWeek":1,"time":"09:00"},{"dayOfWeek":4,"time":"17:30"}]`
	runScenarios(t, []scenario{
		// Create, list, get, update.
		{name: "queue_create", method: post, path: q, prepare: queueBaseIn, status: 201,
			body: `{"locationId":"{locationId}","categoryId":"{evergreenId}",` + slots + `,"userId":"{userId}","timezone":"Europe/Berlin"}`},
		{name: "queue_create_day_7", method: post, path: q, prepare: queueBaseIn, status: 422, check: wantNoQueue,
			body: `{"locationId":"{locationId}","categoryId":"{evergreenId}","timeSlots":[{"dayOfWeek":7,"time":"09:00"}],"userId":"{userId}"}`},
		{name: "queue_create_time_25", method: post, path: q, prepare: queueBaseIn, status: 422, check: wantNoQueue,
			body: `{"locationId":"{locationId}","categoryId":"{evergreenId}","timeSlots":[{"dayOfWeek":1,"time":"25:00"}],"userId":"{userId}"}`},
		{name: "queue_create_malformed", method: post, path: q, status: 400, check: wantNoQueue, body: `{"locationId":`},
		{name: "queue_create_foreign_category", method: post, path: q, prepare: queueBaseIn, status: 422, check: wantNoQueue,
			body: `{"locationId":"{locationId}","categoryId":"{foreignCategoryId}",` + slots + `,"userId":"{userId}"}`},
		{name: "queue_create_taken_category", method: post, path: q, prepare: queueIn, status: 400,
			body: `{"locationId":"{locationId}","categoryId":"{evergreenId}",` + slots + `,"userId":"{userId}"}`},
		{name: "queue_create_other_location", method: post, path: q, prepare: queueBaseIn, status: 404, check: wantNoQueue,
			body: `{"locationId":"{otherLocationId}","categoryId":"{evergreenId}",` + slots + `,"userId":"{userId}"}`},
		{name: "queues_list", method: post, path: q + "/list", prepare: queueIn, status: 201,
			body: `{"locationId":"{locationId}","skip":0,"limit":10}`},
		{name: "queue_get", method: get, path: q + "/{queueId}?locationId={locationId}", prepare: queueIn, status: 200},
		{name: "queue_get_foreign", method: get, path: q + "/{foreignQueueId}?locationId={locationId}", prepare: queueIn, status: 404},
		{name: "queue_get_not_objectid", method: get, path: q + "/12?locationId={locationId}", status: 422},
		{name: "queue_update", method: put, path: q + "/{queueId}", prepare: queueIn, status: 200,
			body: `{"locationId":"{locationId}","status":"paused","timeSlots":[{"dayOfWeek":0,"time":"08:15"}],"skipDateTime":"2030-01-06T08:15:00.000Z","prioritizeNewContent":true}`},
		// skipLegacyWatermark is accepted and changes nothing (compat.md).
		{name: "queue_update_skip_legacy_watermark", method: put, path: q + "/{queueId}", prepare: queueIn, status: 200,
			body: `{"locationId":"{locationId}","skipLegacyWatermark":true}`},
		{name: "queue_update_unknown_status", method: put, path: q + "/{queueId}", prepare: queueIn, status: 422,
			body: `{"locationId":"{locationId}","status":"archived"}`,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				var out struct{ Queue struct{ Status string } }
				tn.do(t, get, q+"/"+queueIDOf(t, tn)+"?locationId="+tn.LocationID, "").want(t, 200).decode(t, &out)
				if out.Queue.Status != "draft" {
					t.Fatalf("status %q after a refused update", out.Queue.Status)
				}
			}},
		{name: "queue_update_foreign", method: put, path: q + "/{foreignQueueId}", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}","status":"paused"}`},
		{name: "available_categories", method: get, path: q + "/available-categories?locationId={locationId}", prepare: queueIn, status: 200},
		// Items.
		{name: "queue_items", method: post, path: q + "/{queueId}/items", prepare: queueIn, status: 201,
			body: `{"locationId":"{locationId}","skip":0,"limit":10}`},
		{name: "queue_items_centred", method: post, path: q + "/{queueId}/items", prepare: queueIn, status: 201,
			body: `{"locationId":"{locationId}","skip":5,"limit":1,"itemId":"{oldItemId}"}`},
		{name: "queue_items_errors_only", method: post, path: q + "/{queueId}/items", prepare: queueIn, status: 201,
			body: `{"locationId":"{locationId}","errorFilter":true}`},
		{name: "queue_items_foreign", method: post, path: q + "/{foreignQueueId}/items", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}"}`},
		// Edit sessions.
		{name: "edit_start", method: post, path: q + "/{queueId}/edit/start", prepare: queueIn, status: 201,
			body: `{"locationId":"{locationId}"}`},
		{name: "edit_start_resumes", method: post, path: q + "/{queueId}/edit/start", prepare: sessionIn, status: 201,
			body: `{"locationId":"{locationId}"}`},
		{name: "edit_save_activates", method: post, path: q + "/{queueId}/edit/save", prepare: sessionIn, status: 200,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}"}`},
		{name: "edit_save_keep_in_draft", method: post, path: q + "/{queueId}/edit/save", prepare: sessionIn, status: 200,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","keepInDraft":true}`},
		{name: "edit_save_unknown_session", method: post, path: q + "/{queueId}/edit/save", prepare: queueIn, status: 400,
			body: `{"locationId":"{locationId}","sessionId":"0123456789abcdef01234567"}`},
		{name: "edit_discard", method: post, path: q + "/{queueId}/edit/discard", prepare: sessionIn, status: 200,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}"}`},
		{name: "edit_calendar", method: post, path: q + "/{queueId}/edit/calendar", prepare: sessionIn, status: 201,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","startDate":"{startDate}","endDate":"{endDate}"}`},
		{name: "edit_calendar_end_before_start", method: post, path: q + "/{queueId}/edit/calendar", prepare: sessionIn, status: 422,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","startDate":"2030-01-02T00:00:00Z","endDate":"2030-01-01T00:00:00Z"}`},
		{name: "queue_slots_skipped", method: post, path: q + "/{queueId}/slots", prepare: skippedIn, status: 201,
			body: `{"locationId":"{locationId}","limit":5}`},
		// The scheduled post's slot comes first, with its item (moved to
		// the bottom when it was scheduled).
		{name: "queue_slots_active", method: post, path: q + "/{queueId}/slots", prepare: activeIn, status: 201,
			body: `{"locationId":"{locationId}","limit":3}`},
		// Item edits.
		{name: "item_create_in_session_top", method: post, path: q + "/{queueId}/create/item", prepare: sessionIn, status: 201,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","order":"top","modifiedPostPayload":{"summary":"fresh","accountIds":["{fbId}"],"primaryImage":"https://cdn.example.com/p.jpg"},"variations":[{"content":"fresh, take two"},{"content":"own image","primaryImage":"https://cdn.example.com/own.jpg"}]}`},
		{name: "item_create_direct_bottom", method: post, path: q + "/{queueId}/create/item", prepare: queueIn, status: 201,
			body: `{"locationId":"{locationId}","directToQueue":true,"order":"top","modifiedPostPayload":{"summary":"direct","accountIds":["{fbId}"]}}`},
		{name: "item_create_direct_top", method: post, path: q + "/{queueId}/create/item", prepare: prioritizedIn, status: 201,
			body: `{"locationId":"{locationId}","directToQueue":true,"order":"bottom","modifiedPostPayload":{"summary":"direct","accountIds":["{fbId}"]}}`,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				var out struct {
					Items []struct{ ModifiedPostPayload struct{ Summary string } }
				}
				tn.do(t, post, q+"/"+queueIDOf(t, tn)+"/items", `{"locationId":"`+tn.LocationID+`"}`).want(t, 201).decode(t, &out)
				if len(out.Items) != 3 || out.Items[0].ModifiedPostPayload.Summary != "direct" {
					t.Fatalf("items %+v, want the direct item on top of 3", out.Items)
				}
			}},
		{name: "item_create_no_session", method: post, path: q + "/{queueId}/create/item", prepare: queueIn, status: 400,
			body: `{"locationId":"{locationId}","modifiedPostPayload":{"summary":"lost"}}`},
		{name: "item_create_order_middle", method: post, path: q + "/{queueId}/create/item", prepare: sessionIn, status: 422,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","order":"middle","modifiedPostPayload":{"summary":"x"}}`,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				if n := tn.srv.App.Store.Client.QueueItem.Query().CountX(tn.ctx(t)); n != 4 {
					t.Fatalf("%d items after a refused create, want the 2 live and 2 draft", n)
				}
			}},
		{name: "item_update_variations_top", method: put, path: q + "/{queueId}/items/{oldItemId}", prepare: sessionIn, status: 200,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","newOrder":"top","variations":[{"content":"v1","mentions":[{"id":"1"}],"ogTags":{"title":"t"}}]}`},
		{name: "item_update_number", method: put, path: q + "/{queueId}/items/{newItemId}", prepare: queueIn, status: 200,
			body: `{"locationId":"{locationId}","newOrder":4000,"modifiedPostPayload":{"summary":"edited","accountIds":["{fbId}"]}}`},
		{name: "item_update_order_middle", method: put, path: q + "/{queueId}/items/{newItemId}", prepare: queueIn, status: 422,
			body: `{"locationId":"{locationId}","newOrder":"middle"}`,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				its := tn.srv.App.Store.Client.QueueItem.Query().Order(queueitem.ByPosition()).AllX(tn.ctx(t))
				if len(its) != 2 || its[0].Position != 1024 || len(its[0].Modified) != 0 && string(its[0].Modified) != "null" {
					t.Fatalf("items after a refused update %+v, want the newest still first at 1024, unmodified", its)
				}
			}},
		{name: "item_update_foreign", method: put, path: q + "/{queueId}/items/{foreignItemId}", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}","newOrder":"top"}`},
		{name: "item_delete", method: del, path: q + "/{queueId}/items/{newItemId}?locationId={locationId}&sessionId={sessionId}", prepare: sessionIn, status: 200},
		{name: "item_delete_foreign", method: del, path: q + "/{foreignQueueId}/items/{foreignItemId}?locationId={locationId}", prepare: queueIn, status: 404},
		{name: "item_clone", method: post, path: q + "/{queueId}/items/{newItemId}/clone", prepare: sessionIn, status: 201,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","order":1536}`},
		{name: "item_clone_without_session", method: post, path: q + "/{queueId}/items/{newItemId}/clone", prepare: queueIn, status: 400,
			body: `{"locationId":"{locationId}","order":1536}`},
		{name: "item_reset_error", method: put, path: q + "/{queueId}/items/{errorItemId}/reset", prepare: erroredIn, status: 200,
			body: `{"locationId":"{locationId}"}`},
		{name: "item_update_bottom", method: put, path: q + "/{queueId}/items/{newItemId}", prepare: queueIn, status: 200,
			body: `{"locationId":"{locationId}","newOrder":"bottom"}`},
		{name: "queue_get_error_item", method: get, path: q + "/{queueId}?locationId={locationId}", prepare: erroredIn, status: 200},
		{name: "queue_items_error_item", method: post, path: q + "/{queueId}/items", prepare: erroredIn, status: 201,
			body: `{"locationId":"{locationId}","errorFilter":true}`},
		{name: "available_categories_in_queue", method: get, path: q + "/available-categories?locationId={locationId}&q=ever&limit=1", prepare: activeIn, status: 200},
		// Another workspace's queue is not found by any route.
		{name: "queue_slots_foreign", method: post, path: q + "/{foreignQueueId}/slots", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}","limit":3}`},
		{name: "edit_start_foreign", method: post, path: q + "/{foreignQueueId}/edit/start", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}"}`, check: wantNoSession},
		{name: "edit_save_foreign", method: post, path: q + "/{foreignQueueId}/edit/save", prepare: sessionIn, status: 404,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}"}`},
		{name: "edit_discard_foreign", method: post, path: q + "/{foreignQueueId}/edit/discard", prepare: sessionIn, status: 404,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}"}`},
		{name: "edit_calendar_foreign", method: post, path: q + "/{foreignQueueId}/edit/calendar", prepare: sessionIn, status: 404,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","startDate":"{startDate}","endDate":"{endDate}"}`},
		{name: "item_reset_foreign", method: put, path: q + "/{foreignQueueId}/items/{foreignItemId}/reset", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}"}`},
		{name: "item_clone_foreign", method: post, path: q + "/{foreignQueueId}/items/{foreignItemId}/clone", prepare: sessionIn, status: 404,
			body: `{"locationId":"{locationId}","sessionId":"{sessionId}","order":1536}`},
		{name: "item_create_foreign", method: post, path: q + "/{foreignQueueId}/create/item", prepare: queueIn, status: 404,
			body: `{"locationId":"{locationId}","directToQueue":true,"modifiedPostPayload":{"summary":"x"}}`},
		// Publication.
		{name: "list_calendar", method: post, path: q + "/list/calendar", prepare: activeIn, status: 201,
			body: `{"locationId":"{locationId}","startDate":"{startDate}","endDate":"{endDate}","categoryIds":["{evergreenId}"],"accountIds":["{fbId}"]}`},
		{name: "active_post_delete", method: del, path: q + "/{activePostId}/active-post?locationId={locationId}", prepare: activeIn, status: 200,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				qs, _, err := tn.srv.App.Queues.List(tn.ctx(t), 0, 1)
				if err != nil || len(qs) != 1 || qs[0].ActivePostID == nil {
					t.Fatalf("queue after active-post delete %v: %v", qs, err)
				}
				next := tn.srv.App.Store.Client.Post.GetX(tn.ctx(t), *qs[0].ActivePostID)
				if next.Status != entpost.StatusSCHEDULED || next.Body != "Our oldest tip" {
					t.Fatalf("next post %q %s, want the second item scheduled", next.Body, next.Status)
				}
			}},
		{name: "active_post_delete_publishing", method: del, path: q + "/{activePostId}/active-post?locationId={locationId}", prepare: takenIn, status: 400,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				c := tn.srv.App.Store.Client
				if n := c.Post.Query().Where(entpost.SourceEQ(entpost.SourceQUEUE)).CountX(tn.ctx(t)); n != 1 {
					t.Fatalf("%d queue posts after a refused delete, want the one being published only", n)
				}
				p := c.Post.Query().Where(entpost.SourceEQ(entpost.SourceQUEUE)).OnlyX(tn.ctx(t))
				if p.Status != entpost.StatusQUEUED {
					t.Fatalf("post %s after a refused delete, want QUEUED", p.Status)
				}
				qs, _, err := tn.srv.App.Queues.List(tn.ctx(t), 0, 1)
				if err != nil || len(qs) != 1 || qs[0].ActivePostID == nil || *qs[0].ActivePostID != p.ID {
					t.Fatalf("queue after a refused delete %v: %v, want its post unchanged", qs, err)
				}
			}},
		{name: "active_post_delete_foreign", method: del, path: q + "/{foreignActivePostId}/active-post?locationId={locationId}", prepare: foreignActiveIn, status: 404,
			check: func(t *testing.T, tn *tenant, _ *reply) {
				n := tn.srv.App.Store.Client.Post.Query().Where(entpost.Body("theirs, published"), entpost.StatusEQ(entpost.StatusSCHEDULED)).
					CountX(privacy.DecisionContext(t.Context(), privacy.Allow))
				if n != 1 {
					t.Fatalf("%d scheduled queue posts after a foreign delete, want the other tenant's one untouched", n)
				}
			}},
	})
}

// wantNoSession checks tn's queue has no edit session after a refused start.
func wantNoSession(t *testing.T, tn *tenant, _ *reply) {
	if n := tn.srv.App.Store.Client.QueueItem.Query().Where(queueitem.SessionNEQ("")).CountX(tn.ctx(t)); n != 0 {
		t.Fatalf("%d draft items after a refused start", n)
	}
}

// queueIDOf is tn's only queue.
func queueIDOf(t *testing.T, tn *tenant) string {
	return tn.srv.App.Store.Client.CategoryQueue.Query().OnlyX(tn.ctx(t)).ObjectID
}

// TestQueueSessionLifecycle walks one queue through an edit session: start
// twice is one session, drafts are invisible live, discard leaves the live
// items byte-identical, and save applies the drafts and activates.
func TestQueueSessionLifecycle(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "session_lifecycle_items", method: http.MethodPost,
		path: "/category/queues/{queueId}/items", prepare: queueIn, status: 201, body: `{"locationId":"{locationId}"}`,
		check: func(t *testing.T, tn *tenant, _ *reply) {
			id := queueIDOf(t, tn)
			base := "/category/queues/" + id
			loc := `"locationId":"` + tn.LocationID + `"`
			var s1, s2 struct {
				SessionID string `json:"sessionId"`
				Resumed   bool   `json:"resumed"`
			}
			tn.do(t, http.MethodPost, base+"/edit/start", `{`+loc+`}`).want(t, 201).decode(t, &s1)
			tn.do(t, http.MethodPost, base+"/edit/start", `{`+loc+`}`).want(t, 201).decode(t, &s2)
			if s1.SessionID != s2.SessionID || s1.Resumed || !s2.Resumed {
				t.Fatalf("start twice: %+v then %+v, want one session resumed", s1, s2)
			}
			before := liveItems(t, tn, id)
			sess := `,"sessionId":"` + s1.SessionID + `"`
			tn.do(t, http.MethodPost, base+"/create/item", `{`+loc+sess+`,"order":"top","modifiedPostPayload":{"summary":"draft"}}`).want(t, 201)
			if after := liveItems(t, tn, id); !bytes.Equal(before, after) {
				t.Fatalf("a draft item shows live:\n%s\n%s", before, after)
			}
			tn.do(t, http.MethodPost, base+"/edit/discard", `{`+loc+sess+`}`).want(t, 200)
			if after := liveItems(t, tn, id); !bytes.Equal(before, after) {
				t.Fatalf("discard changed the live items:\n%s\n%s", before, after)
			}
			tn.do(t, http.MethodPost, base+"/edit/save", `{`+loc+sess+`}`).want(t, 400)
			tn.do(t, http.MethodPost, base+"/edit/start", `{`+loc+`}`).want(t, 201).decode(t, &s1)
			sess = `,"sessionId":"` + s1.SessionID + `"`
			tn.do(t, http.MethodPost, base+"/create/item", `{`+loc+sess+`,"order":"top","modifiedPostPayload":{"summary":"saved"}}`).want(t, 201)
			var saved struct{ Queue struct{ Status string } }
			tn.do(t, http.MethodPost, base+"/edit/save", `{`+loc+sess+`}`).want(t, 200).decode(t, &saved)
			if saved.Queue.Status != "active" {
				t.Fatalf("status after save %q, want active", saved.Queue.Status)
			}
			var items struct {
				Items []struct {
					Payload struct{ Summary string } `json:"modifiedPostPayload"`
				}
			}
			tn.do(t, http.MethodPost, base+"/items", `{`+loc+`}`).want(t, 201).decode(t, &items)
			if len(items.Items) != 3 || items.Items[0].Payload.Summary != "saved" {
				t.Fatalf("live items after save %+v, want the saved item on top of 3", items.Items)
			}
		}}})
}
