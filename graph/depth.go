package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ShapeLimit refuses operations nested deeper than MaxDepth fields or
// expanding to more than MaxFields fields once fragments are spread. Both
// are measured in one pass that remembers each fragment's result, so a
// query built of fragments that spread each other twice (a kilobyte that
// expands to millions of fields) costs no more to refuse than to read.
// It must run before the complexity limit, whose own walk does not
// remember fragments. Introspection is exempt: its shape is fixed by the
// schema, and the playground needs it.
type ShapeLimit struct {
	MaxDepth  int
	MaxFields int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = ShapeLimit{}

func (ShapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (ShapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l ShapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := measurer{frags: map[string]shape{}, cap: l.MaxFields + 1}
	s := m.selections(oc.Operation.SelectionSet)
	if s.depth > l.MaxDepth {
		return gqlerror.Errorf("This query is nested too deeply (the limit is %d levels).", l.MaxDepth)
	}
	if s.fields > l.MaxFields {
		return gqlerror.Errorf("This query asks for too many fields (the limit is %d).", l.MaxFields)
	}
	return nil
}

// shape is what a selection set amounts to: its deepest nesting and how
// many fields it expands to (saturating at the cap).
type shape struct{ depth, fields int }

type measurer struct {
	frags map[string]shape
	cap   int
}

func (m *measurer) selections(ss ast.SelectionSet) shape {
	var out shape
	for _, sel := range ss {
		var s shape
		switch v := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(v.Name, "__") {
				continue
			}
			s = m.selections(v.SelectionSet)
			s.depth++
			s.fields = m.add(s.fields, 1)
		case *ast.InlineFragment:
			s = m.selections(v.SelectionSet)
		case *ast.FragmentSpread:
			s = m.fragment(v)
		}
		out.depth = max(out.depth, s.depth)
		out.fields = m.add(out.fields, s.fields)
	}
	return out
}

// fragment measures a named fragment once; validation has already refused
// cycles, so the recursion ends.
func (m *measurer) fragment(f *ast.FragmentSpread) shape {
	if f.Definition == nil {
		return shape{}
	}
	if s, ok := m.frags[f.Name]; ok {
		return s
	}
	s := m.selections(f.Definition.SelectionSet)
	m.frags[f.Name] = s
	return s
}

func (m *measurer) add(a, b int) int { return min(a+b, m.cap) }
