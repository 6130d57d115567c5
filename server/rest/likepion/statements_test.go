package likepion_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// statementBudget is how many SQL statements one task may cost on the
// worker path — its share of a claim of ten, its start and its complete,
// with the roll-up into its post, auth, logs and events — counted over
// every statement the server sends.
const statementBudget = 7

// TestWorkerLoopStaysWithinStatementBudget drains 240 post tasks (12
// posts × 20 accounts, every account with credentials to hand over) with
// 8 workers, the way Likepion workers do — GET /links?limit=10, then start
// and complete each — and counts the statements the server ran.
func TestWorkerLoopStaysWithinStatementBudget(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st0 *store.Store) {
		st, count := storetest.Count(st0)
		b := st.Driver.Dialect()
		f := setup(t, st)
		const nAccounts, nPosts, workers = 20, 12, 8
		accIDs := make([]int, nAccounts)
		for i := range accIDs {
			a, err := f.srv.App.Accounts.Create(f.ctxA, accounts.CreateInput{
				Platform: account.PlatformOther, Username: fmt.Sprintf("budget%d", i),
				Credentials: accounts.Credentials{Password: ptr("pw"), Cookie: ptr("sid=1")},
			})
			if err != nil {
				t.Fatalf("create account: %v", err)
			}
			accIDs[i] = a.ID
		}
		// Posts fanned out as the scheduler does, so each task has its
		// results entry in its post to roll up into.
		later := time.Now().Add(time.Hour)
		for range nPosts {
			p, err := f.srv.App.Posts.Create(f.ctxA, posts.CreateInput{Title: ptr(docTitle), Body: ptr(docAbout), Link: ptr(docLink), AccountIDs: accIDs, ScheduledAt: &later})
			if err != nil {
				t.Fatalf("create post: %v", err)
			}
			if moved, err := f.srv.App.Posts.FanOut(t.Context(), p.ID, f.wsA); err != nil || !moved {
				t.Fatalf("fan out post: moved %v, %v", moved, err)
			}
		}
		// The fixture's own account and post have no task; warm up the
		// key's cached lookups with one harmless request first.
		f.do(t, http.MethodGet, "/links/0", f.worker1, "")
		count.Reset()
		var (
			done atomic.Int64
			wg   sync.WaitGroup
			errc = make(chan error, workers)
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := drain(f, &done); err != nil {
					errc <- err
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		if done.Load() != nAccounts*nPosts {
			t.Fatalf("completed %d tasks, want %d", done.Load(), nAccounts*nPosts)
		}
		per := float64(count.Statements()) / float64(done.Load())
		t.Logf("%s: %.2f statements and %.2f commits per task\n%s", b, per, float64(count.Commits())/float64(done.Load()), count)
		if per > statementBudget {
			t.Errorf("%.2f statements per task, budget %d", per, statementBudget)
		}
	})
}

// drain is one worker's loop until no task is left.
func drain(f *fixture, done *atomic.Int64) error {
	call := func(method, path, body string) ([]byte, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, f.srv.URL+base+path, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-API-Key", f.worker1)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return out, err
	}
	for {
		raw, err := call(http.MethodGet, "/links?limit=10", "")
		if err != nil {
			return err
		}
		var links struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &links); err != nil {
			return err
		}
		if len(links.Data) == 0 {
			return nil
		}
		for _, l := range links.Data {
			if _, err := call(http.MethodPost, "/links/"+l.ID+"/start", ""); err != nil {
				return err
			}
			if _, err := call(http.MethodPost, "/links/"+l.ID+"/complete", `{"link_post":"https://example.invalid/p/`+l.ID+`"}`); err != nil {
				return err
			}
			done.Add(1)
		}
	}
}
