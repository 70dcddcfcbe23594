package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchhq/latch/apperr"
)

// ErrorPresenter turns every error into the client's view of it: an
// *apperr.Error keeps its code and user-safe message; gqlgen's own parse,
// validation and argument errors become BAD_USER_INPUT; anything else is
// logged once and reaches the client as "internal error".
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var ge *gqlerror.Error
		errors.As(err, &ge)
		out := &gqlerror.Error{}
		if ge != nil {
			out.Path, out.Locations = ge.Path, ge.Locations
		}
		var ae *apperr.Error
		switch {
		case errors.As(err, &ae):
			if ae.Code == apperr.Internal {
				logInternal(ctx, log, err)
			}
			fill(out, ae)
		case ge != nil && ge.Err == nil && isVariablePath(ge.Path):
			// gqlparser's variable coercion names Go kinds ("cannot use map
			// as String") and puts client-chosen object keys in the path.
			name := string(ge.Path[1].(ast.PathName))
			out.Path = ast.Path{ast.PathName("variable"), ast.PathName(name)}
			out.Message = "The variable $" + name + " is missing or has the wrong type."
			out.Extensions = map[string]any{"code": string(apperr.BadUserInput)}
		case ge != nil && ge.Err == nil:
			// Made by gqlgen from the query text: safe to show, except that
			// ValuesOfCorrectType quotes the offending literal after ": ".
			out.Message = ge.Message
			if strings.HasPrefix(ge.Rule, "ValuesOfCorrectType") {
				if before, _, ok := strings.Cut(ge.Message, " value: "); ok {
					out.Message = before + " value."
				}
			}
			out.Extensions = map[string]any{"code": string(apperr.BadUserInput)}
		case ge != nil && len(ge.Path) > 0:
			// An argument of the wrong type: gqlgen wraps the coercion error
			// on the argument's path, and its text names Go types. (Resolver
			// errors never get here without being an *apperr.Error: see
			// FieldErrors.)
			fill(out, apperr.Input(lastField(ge.Path), "This value has the wrong type."))
		default:
			logInternal(ctx, log, err)
			fill(out, apperr.Internalf("unexpected"))
		}
		return out
	}
}

func fill(out *gqlerror.Error, ae *apperr.Error) {
	out.Message = ae.Message
	ext := map[string]any{"code": string(ae.Code)}
	if ae.Field != "" {
		ext["field"] = ae.Field
	}
	if ae.Code == apperr.RateLimited {
		ext["retryAfterSeconds"] = int(math.Ceil(ae.RetryAfter.Seconds()))
	}
	out.Extensions = ext
}

func isVariablePath(p ast.Path) bool {
	if len(p) < 2 {
		return false
	}
	first, ok1 := p[0].(ast.PathName)
	_, ok2 := p[1].(ast.PathName)
	return ok1 && ok2 && first == "variable"
}

func lastField(p ast.Path) string {
	for i := len(p) - 1; i >= 0; i-- {
		if n, ok := p[i].(ast.PathName); ok {
			return string(n)
		}
	}
	return ""
}

func logInternal(ctx context.Context, log *slog.Logger, err error) {
	log.ErrorContext(ctx, "internal error", slog.String("error", err.Error()))
}

// FieldErrors is field middleware that marks every resolver error that is
// not an *apperr.Error as internal, so the presenter never mistakes it for
// bad input and never shows its text.
func FieldErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil && apperr.CodeOf(err) == "" {
		err = &apperr.Error{Code: apperr.Internal, Message: "internal error", Err: err}
	}
	return res, err
}

// Recover turns a panic in a resolver into an internal error, logged with
// its stack.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
		return &apperr.Error{Code: apperr.Internal, Message: "internal error", Err: fmt.Errorf("panic: %v", v)}
	}
}
