package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/latchhq/latch/client"
)

// sensitive are the mutations that check a password or a code. One
// operation may carry at most one of them, so aliases cannot pack a
// thousand guesses into one request; each attempt also counts on its own
// against the throttles.
var sensitive = map[string]bool{
	"signUp":                     true,
	"login":                      true,
	"verifyTwoFactor":            true,
	"reauthenticate":             true,
	"changePassword":             true,
	"confirmTwoFactorEnrollment": true,
}

// OneSensitiveMutation refuses operations with more than one sensitive
// mutation field.
type OneSensitiveMutation struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = OneSensitiveMutation{}

func (OneSensitiveMutation) ExtensionName() string                   { return "OneSensitiveMutation" }
func (OneSensitiveMutation) Validate(graphql.ExecutableSchema) error { return nil }

func (OneSensitiveMutation) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	if countSensitive(oc.Operation.SelectionSet, map[string]bool{}) > 1 {
		return gqlerror.Errorf("Send one sign-in or verification step per request.")
	}
	return nil
}

// countSensitive counts the sensitive root fields, however deep inline
// fragments nest them. A named fragment is counted once: spread twice, its
// fields merge into one.
func countSensitive(ss ast.SelectionSet, seen map[string]bool) int {
	n := 0
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			if sensitive[s.Name] {
				n++
			}
		case *ast.InlineFragment:
			n += countSensitive(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				n += countSensitive(s.Definition.SelectionSet, seen)
			}
		}
	}
	return n
}

// Limiter is a per-address attempt limit (throttle.PerIP).
type Limiter interface {
	Allow(ip string) error
}

// PerIP is field middleware counting each sensitive mutation, aliases one
// by one, against the caller's address.
func PerIP(l Limiter) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc != nil && fc.Object == "Mutation" && sensitive[fc.Field.Name] {
			if err := l.Allow(client.From(ctx).IP); err != nil {
				return nil, err
			}
		}
		return next(ctx)
	}
}
