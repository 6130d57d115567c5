package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
)

// postJSON is gqlgen's POST transport, except that for the common request
// (Accept absent, */* or application/json) whose operation is valid it
// writes the answer itself: gqlgen's transport passes the response through
// json.Marshal, which compacts, escapes and copies the data document gqlgen
// has just written compactly — about a tenth of a page's CPU. A response
// with no error or extension whose data holds none of the characters
// json.Marshal escapes is written as {"data":...}, the bytes json.Marshal
// would write; any other through json.Marshal, and any other request by
// gqlgen's transport.
//
// A subscription is refused at once with 400, whatever the Accept header:
// gqlgen's transport would hold the request until the first event, which
// may never come, and then answer only that one.
type postJSON struct{ transport.POST }

// errSubscriptionOverPOST names the transports a subscription needs.
const errSubscriptionOverPOST = "subscriptions are not served over a plain POST: use a WebSocket (graphql-transport-ws) or server-sent events (POST with Accept: text/event-stream)"

func (h postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ours := false
	switch r.Header.Get("Accept") {
	case "", "*/*", "application/json":
		ours = true
	}
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.POST.Do(w, r, exec) // reports the read error as gqlgen does
		return
	}
	fallback := func() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.POST.Do(w, r, exec)
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // as gqlgen decodes
	if err := dec.Decode(&params); err != nil {
		fallback()
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	ctx := r.Context()
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		fallback() // statuses and error bodies are gqlgen's
		return
	}
	if rc.Operation != nil && rc.Operation.Operation == ast.Subscription {
		writeError(w, http.StatusBadRequest, errSubscriptionOverPOST)
		return
	}
	if !ours {
		fallback() // gqlgen's content negotiation
		return
	}
	w.Header().Set("Content-Type", "application/json")
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 && resp.Label == "" && len(resp.Path) == 0 &&
		resp.HasNext == nil && len(resp.Data) > 0 && !escaped(resp.Data) {
		_, _ = io.WriteString(w, `{"data":`)
		_, _ = w.Write(resp.Data)
		_, _ = io.WriteString(w, "}")
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}],"data":null}`)
	}
	_, _ = w.Write(b)
}

// escaped reports whether data holds a character json.Marshal escapes in a
// raw message: <, >, & and the line and paragraph separators.
func escaped(data []byte) bool {
	return bytes.ContainsAny(data, "<>&") || bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))
}
