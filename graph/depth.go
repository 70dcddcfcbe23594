package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Introspection has its own bounds: its nesting is set by the type system
// (the playground's standard query reaches about 13 levels), and one
// operation needs only a few introspection roots.
const (
	introspectionDepth = 24
	introspectionRoots = 4
)

// ShapeLimit refuses operations nested deeper than MaxDepth fields, or
// expanding to more than MaxFields fields once fragments are spread, or
// with too many or too deep introspection fields. Everything is measured
// in one pass that remembers each fragment's result, so a query of
// fragments that spread each other twice (a kilobyte that expands to
// millions of fields) costs no more to refuse than to read. It must run
// before the complexity limit, whose own walk does not remember fragments
// and does not count introspection at all.
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
	m := measurer{frags: map[fragKey]shape{}, cap: l.MaxFields + 1}
	s := m.selections(oc.Operation.SelectionSet, false)
	switch {
	case s.depth > l.MaxDepth:
		return gqlerror.Errorf("This query is nested too deeply (the limit is %d levels).", l.MaxDepth)
	case s.fields > l.MaxFields:
		return gqlerror.Errorf("This query asks for too many fields (the limit is %d).", l.MaxFields)
	case s.roots > introspectionRoots || s.introDepth > introspectionDepth:
		return gqlerror.Errorf("This query asks for too much introspection.")
	}
	return nil
}

// shape is what a selection set amounts to. depth counts ordinary fields,
// introDepth fields inside __schema and __type; fields and roots (how many
// __schema and __type fields) saturate at the cap.
type shape struct{ depth, introDepth, fields, roots int }

type fragKey struct {
	name  string
	intro bool
}

type measurer struct {
	frags map[fragKey]shape
	cap   int
}

func (m *measurer) selections(ss ast.SelectionSet, intro bool) shape {
	var out shape
	for _, sel := range ss {
		var s shape
		switch v := sel.(type) {
		case *ast.Field:
			s = m.field(v, intro)
		case *ast.InlineFragment:
			s = m.selections(v.SelectionSet, intro)
		case *ast.FragmentSpread:
			s = m.fragment(v, intro)
		}
		out.depth = max(out.depth, s.depth)
		out.introDepth = max(out.introDepth, s.introDepth)
		out.fields = m.add(out.fields, s.fields)
		out.roots = m.add(out.roots, s.roots)
	}
	return out
}

func (m *measurer) field(f *ast.Field, intro bool) shape {
	if f.Name == "__typename" {
		return shape{fields: 1}
	}
	root := !intro && strings.HasPrefix(f.Name, "__")
	s := m.selections(f.SelectionSet, intro || root)
	s.fields = m.add(s.fields, 1)
	switch {
	case root:
		s.introDepth++
		s.roots = m.add(s.roots, 1)
	case intro:
		s.introDepth++
	default:
		s.depth++
	}
	return s
}

// fragment measures a named fragment once per context; validation has
// already refused cycles, so the recursion ends.
func (m *measurer) fragment(f *ast.FragmentSpread, intro bool) shape {
	if f.Definition == nil {
		return shape{}
	}
	k := fragKey{f.Name, intro}
	if s, ok := m.frags[k]; ok {
		return s
	}
	s := m.selections(f.Definition.SelectionSet, intro)
	m.frags[k] = s
	return s
}

func (m *measurer) add(a, b int) int { return min(a+b, m.cap) }
