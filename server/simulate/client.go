package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client speaks the worker face of the GraphQL API.
type client struct {
	url  string // .../query
	key  string
	http *http.Client
}

// gqlError is one GraphQL error.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// Error is a GraphQL error answer.
type Error struct {
	Op      string
	Message string
	Code    string // extensions.code, when given
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s: %s", e.Op, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Op, e.Message, e.Code)
}

// fatal reports whether retrying cannot help: the key is wrong or may not
// do this, or the request itself is wrong.
func (e *Error) fatal() bool {
	switch e.Code {
	case "UNAUTHENTICATED", "FORBIDDEN", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED":
		return true
	}
	return false
}

// do runs one operation and decodes its data into out.
func (c *client) do(ctx context.Context, op, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s: read response: %w", op, err)
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, truncate(string(raw)))
	}
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		return &Error{Op: op, Message: r.Errors[0].Message, Code: code}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", op, resp.StatusCode)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("%s: decode data: %w", op, err)
	}
	return nil
}

func truncate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// lease is a claimed task.
type lease struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	Task      struct {
		ID       string         `json:"id"`
		Kind     string         `json:"kind"`
		Payload  map[string]any `json:"payload"`
		Attempts int            `json:"attempts"`
	} `json:"task"`
}

const claimQuery = `mutation Claim($kinds: [TaskKind!], $limit: Int!, $worker: String) {
  claimTasks(input: {kinds: $kinds, limit: $limit, worker: $worker}) {
    leases { token expiresAt task { id kind payload attempts } }
  }
}`

func (c *client) claim(ctx context.Context, kinds []string, limit int, worker string) ([]lease, error) {
	var out struct {
		ClaimTasks struct {
			Leases []lease `json:"leases"`
		} `json:"claimTasks"`
	}
	vars := map[string]any{"limit": limit, "worker": worker}
	if len(kinds) > 0 {
		vars["kinds"] = kinds
	}
	if err := c.do(ctx, "claimTasks", claimQuery, vars, &out); err != nil {
		return nil, err
	}
	return out.ClaimTasks.Leases, nil
}

// taskPayload is what every report returns.
type taskPayload struct {
	Task struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"task"`
}

func (c *client) start(ctx context.Context, id, token string) error {
	var out struct{ StartTask taskPayload }
	return c.do(ctx, "startTask", `mutation Start($id: ID!, $token: String!) {
  startTask(input: {id: $id, token: $token}) { task { id status } }
}`, map[string]any{"id": id, "token": token}, &out)
}

func (c *client) heartbeat(ctx context.Context, id, token string) error {
	var out struct{ HeartbeatTask taskPayload }
	return c.do(ctx, "heartbeatTask", `mutation Heartbeat($id: ID!, $token: String!) {
  heartbeatTask(input: {id: $id, token: $token}) { task { id status } }
}`, map[string]any{"id": id, "token": token}, &out)
}

func (c *client) complete(ctx context.Context, id, token string, result map[string]any) error {
	var out struct{ CompleteTask taskPayload }
	return c.do(ctx, "completeTask", `mutation Complete($id: ID!, $token: String!, $result: Map) {
  completeTask(input: {id: $id, token: $token, result: $result}) { task { id status } }
}`, map[string]any{"id": id, "token": token, "result": result}, &out)
}

func (c *client) fail(ctx context.Context, id, token, reason string, retryable bool) (status string, err error) {
	var out struct{ FailTask taskPayload }
	err = c.do(ctx, "failTask", `mutation Fail($id: ID!, $token: String!, $error: String!, $retryable: Boolean!) {
  failTask(input: {id: $id, token: $token, error: $error, retryable: $retryable}) { task { id status } }
}`, map[string]any{"id": id, "token": token, "error": reason, "retryable": retryable}, &out)
	return out.FailTask.Task.Status, err
}
