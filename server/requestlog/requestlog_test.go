package requestlog_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/requestlog"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// A long user agent or path must not make a request go unrecorded: they are
// cut to the columns, on a character boundary; LastUse finds the newest
// entry of a key within the viewer's workspace only.
func TestRecordCutsLongFieldsAndLastUseIsPerWorkspace(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
		wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
		ctxA := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID})
		ctxB := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID})
		svc := requestlog.NewService(st.Client)

		ua := strings.Repeat("é", 400) // 800 bytes
		if err := svc.Record(ctxA, requestlog.Entry{UserID: 1, APIKeyID: 7, Method: "GET", Endpoint: "/api/v1/user",
			Status: 200, Duration: 3 * time.Millisecond, IP: "10.0.0.1", UserAgent: ua}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Record(ctxA, requestlog.Entry{UserID: 1, APIKeyID: 7, Method: "POST", Endpoint: "/api/v1/" + strings.Repeat("x", 600),
			Status: 422, IP: "10.0.0.2"}); err != nil {
			t.Fatal(err)
		}
		last, err := svc.LastUse(ctxA, 7)
		if err != nil || last == nil {
			t.Fatalf("last use: %v %v", last, err)
		}
		if last.IP != "10.0.0.2" || len(last.Endpoint) != 500 || last.StatusCode != 422 {
			t.Fatalf("newest entry %+v", last)
		}
		first := st.Client.RequestLog.Query().FirstX(sys)
		if !utf8.ValidString(first.UserAgent) || len(first.UserAgent) > 500 || first.DurationMs != 3 {
			t.Fatalf("user agent cut to %d bytes (valid %v), duration %d", len(first.UserAgent), utf8.ValidString(first.UserAgent), first.DurationMs)
		}
		if other, err := svc.LastUse(ctxB, 7); err != nil || other != nil {
			t.Fatalf("another workspace sees %+v (%v)", other, err)
		}
	})
}
