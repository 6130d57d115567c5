package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// WorkerLease is a task as a scripted test worker receives it.
type WorkerLease struct {
	ID      string
	Kind    string
	Payload map[string]any
	// Secrets are what the server hands the lease holder only (a login's
	// password, a challenge's code).
	Secrets map[string]any
}

// RunWorker runs a scripted worker of u's workspace, with a new worker key,
// until the test ends: it claims tasks of kinds over the GraphQL worker
// face, starts each and completes it with script's result, or fails it
// (not retryable) when script returns nil. Between claims it sleeps until
// a task of the workspace changes, as a worker following taskAvailable
// would, not on a timer: a busy test binary runs many. Problems are
// reported with t.Errorf.
func (s *Server) RunWorker(t testing.TB, u *ent.User, kinds []string, script func(WorkerLease) map[string]any) {
	key := s.APIKey(t, u, viewer.ScopeWorker)
	sub := s.App.Hub.SubscribeAll([]events.Topic{events.TopicTask, events.TopicTaskDue}, u.WorkspaceID)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer sub.Close()
		for ctx.Err() == nil {
			leases, err := s.workerClaim(ctx, key, kinds)
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("scripted worker: %v", err)
				}
				return
			}
			for _, l := range leases {
				if err := s.workerReport(ctx, key, l, script(l.WorkerLease)); err != nil {
					if ctx.Err() == nil {
						t.Errorf("scripted worker: task %s: %v", l.ID, err)
					}
					return
				}
			}
			if len(leases) == 0 {
				select {
				case <-ctx.Done():
				case <-sub.C():
				case <-time.After(time.Second): // an event lost to a full buffer
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

type workerLease struct {
	WorkerLease
	token string
}

func (s *Server) workerClaim(ctx context.Context, key string, kinds []string) ([]workerLease, error) {
	var out struct {
		ClaimTasks struct {
			Leases []struct {
				Token   string         `json:"token"`
				Secrets map[string]any `json:"secrets"`
				Task    struct {
					ID      string         `json:"id"`
					Kind    string         `json:"kind"`
					Payload map[string]any `json:"payload"`
				} `json:"task"`
			} `json:"leases"`
		} `json:"claimTasks"`
	}
	err := s.workerCall(ctx, key, `mutation($k: [TaskKind!]) { claimTasks(input: {kinds: $k, limit: 10, worker: "scripted"}) {
		leases { token secrets task { id kind payload } } } }`, map[string]any{"k": kinds}, &out)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	ls := make([]workerLease, len(out.ClaimTasks.Leases))
	for i, l := range out.ClaimTasks.Leases {
		ls[i] = workerLease{WorkerLease{l.Task.ID, l.Task.Kind, l.Task.Payload, l.Secrets}, l.Token}
	}
	return ls, nil
}

func (s *Server) workerReport(ctx context.Context, key string, l workerLease, result map[string]any) error {
	lease := map[string]any{"id": l.ID, "token": l.token}
	if err := s.workerCall(ctx, key, `mutation($i: TaskLeaseInput!) { startTask(input: $i) { task { id } } }`,
		map[string]any{"i": lease}, nil); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if result == nil {
		return s.workerCall(ctx, key, `mutation($i: FailTaskInput!) { failTask(input: $i) { task { id } } }`,
			map[string]any{"i": map[string]any{"id": l.ID, "token": l.token, "error": "scripted failure", "retryable": false}}, nil)
	}
	return s.workerCall(ctx, key, `mutation($i: CompleteTaskInput!) { completeTask(input: $i) { task { id } } }`,
		map[string]any{"i": map[string]any{"id": l.ID, "token": l.token, "result": result}}, nil)
}

func (s *Server) workerCall(ctx context.Context, key, query string, vars map[string]any, v any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("decode (status %d): %w", resp.StatusCode, err)
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("graphql: %s", out.Errors[0].Message)
	}
	if v != nil {
		return json.Unmarshal(out.Data, v)
	}
	return nil
}
