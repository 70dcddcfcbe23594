package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// fragmentBomb is a query of n fragments, each spreading the next twice:
// about 40 bytes a level, 2^n fields once expanded.
func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString("query { viewer { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on User { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on User { id email }\n", n)
	return b.String()
}

// A small request that expands to billions of fields is refused as it is
// read, not after the server has expanded it; without the guard this test
// does not finish.
func TestFragmentBombRefused(t *testing.T) {
	s := start(t)
	for _, n := range []int{12, 40, 60} {
		r := s.gql(fragmentBomb(n), req{})
		if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "too many fields") {
			t.Fatalf("%d levels: %s", n, r.Raw)
		}
	}
	// A query of ordinary size still runs.
	tok := s.signUp("shape@example.com", req{})
	if d := s.must(fragmentBomb(3), req{Token: tok}); str(d, "viewer", "email") != "shape@example.com" {
		t.Errorf("a small fragment tree: %v", d)
	}
}

// Sensitive mutations cannot hide from the one-per-operation rule in
// nested inline fragments.
func TestSensitiveMutationsInNestedFragments(t *testing.T) {
	s := start(t)
	s.signUp("nest@example.com", req{})
	login := func(i int) string {
		return fmt.Sprintf(`a%d: login(input: {email: "nest@example.com", password: "wrong-%d"}) { auth { token } }`, i, i)
	}
	q := "mutation { " + strings.Repeat("... on Mutation { ", 8) + login(0) + " " + login(1) + strings.Repeat(" }", 8) + " }"
	if r := s.gql(q, req{}); r.Code() != "BAD_USER_INPUT" || r.Data["a0"] != nil {
		t.Fatalf("two logins under eight inline fragments: %s", r.Raw)
	}
}

// The same bomb rooted at __type, and a wall of __schema aliases, are
// refused too: introspection is measured like everything else.
func TestIntrospectionBombsRefused(t *testing.T) {
	s := start(t)
	var b strings.Builder
	b.WriteString(`query { __type(name: "User") { ...F0 } }` + "\n")
	for i := range 40 {
		fmt.Fprintf(&b, "fragment F%d on __Type { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F40 on __Type { name kind }\n")
	if r := s.gql(b.String(), req{}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("a fragment bomb under __type: %s", r.Raw)
	}
	var aliases strings.Builder
	aliases.WriteString("query { ")
	for i := range 50 {
		fmt.Fprintf(&aliases, "s%d: __schema { types { name } } ", i)
	}
	aliases.WriteString("}")
	if r := s.gql(aliases.String(), req{}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("50 aliases of __schema: %s", r.Raw)
	}
}

// The playground's standard introspection query still runs whole.
func TestPlaygroundIntrospectionQueryRuns(t *testing.T) {
	s := start(t)
	q, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	d := s.must(string(q), req{})
	if str(d, "__schema", "queryType", "name") != "Query" || len(get(d, "__schema", "types").([]any)) < 20 {
		t.Fatalf("introspection: %.300v", d)
	}
}
