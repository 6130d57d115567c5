package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/requestid"
)

var (
	errInternal        = errors.New("internal error")
	errUnauthenticated = errs.Unauthenticated("authentication required")
)

// codes maps the domain's error kinds to GraphQL extension codes.
var codes = []struct {
	kind error
	code string
}{
	{errs.ErrUnauthenticated, "UNAUTHENTICATED"},
	{errs.ErrForbidden, "FORBIDDEN"},
	{errs.ErrNotFound, "NOT_FOUND"},
	{errs.ErrInvalid, "BAD_USER_INPUT"},
	{errs.ErrConflict, "CONFLICT"},
	{errs.ErrRateLimited, "RATE_LIMITED"},
	{errs.ErrUnavailable, "UNAVAILABLE"},
	{errs.ErrGone, "GONE"},
}

// presenter turns resolver errors into GraphQL errors with an
// extensions.code. Errors gqlgen made itself (parse, validation, input
// coercion) pass through; an error the domain did not classify is logged
// with the request ID and shown only as "internal error".
func presenter(log zerolog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		return present(ctx, err, log)
	}
}

func present(ctx context.Context, err error, log zerolog.Logger) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		return gqlErr // gqlgen's own: syntax, validation, complexity
	}
	out := graphql.DefaultErrorPresenter(ctx, err)
	cause := err
	if gqlErr != nil && gqlErr.Err != nil {
		cause = gqlErr.Err
	}
	if c, ok := classify(cause); ok {
		out.Message = c.message
		out.Extensions = map[string]any{"code": c.code}
		if c.field != "" {
			out.Extensions["field"] = c.field
		}
		if secs, ok := errs.RetryAfter(cause); ok {
			out.Extensions["retryAfter"] = secs
		}
		return out
	}
	// gqlgen refuses introspection with a bare errors.New; it is the
	// client's request that is refused, not a server fault.
	if cause.Error() == "introspection disabled" {
		out.Message = "introspection is disabled"
		out.Extensions = map[string]any{"code": "FORBIDDEN"}
		return out
	}
	if errors.Is(cause, errInternal) {
		out.Message = errInternal.Error()
		out.Extensions = internalExtensions(ctx)
		return out
	}
	if gqlErr != nil && gqlErr.Extensions != nil && gqlErr.Err == nil {
		return out
	}
	log.Error().Err(cause).Str("request_id", requestID(ctx)).
		Str("path", out.Path.String()).Msg("graphql internal error")
	out.Message = errInternal.Error()
	out.Extensions = internalExtensions(ctx)
	return out
}

// classified is a domain error as a client sees it.
type classified struct{ code, message, field string }

// classify maps an error of a domain kind to its code and public message;
// ok is false for an error the domain did not classify (an internal one).
func classify(err error) (c classified, ok bool) {
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		err = errs.NotFound("object")
	}
	for _, k := range codes {
		if errors.Is(err, k.kind) {
			msg, _ := errs.PublicMessage(err)
			return classified{k.code, msg, errs.Field(err)}, true
		}
	}
	return classified{}, false
}

// internalExtensions give a user the request ID to quote: the log line of
// the failure carries the same.
func internalExtensions(ctx context.Context) map[string]any {
	ext := map[string]any{"code": "INTERNAL"}
	if id := requestID(ctx); id != "" {
		ext["requestId"] = id
	}
	return ext
}

func requestID(ctx context.Context) string { return requestid.FromContext(ctx) }
