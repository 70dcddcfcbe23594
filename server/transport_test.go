package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// marker is planted in every bad input; it must never come back.
const marker = "zqxMARKER7731"

// internalLeak matches what must never reach a client: Go type and kind
// names, encoding/json's and gqlgen's internals, SQL and driver words.
var internalLeak = regexp.MustCompile(`\b(map|slice|struct|interface|ptr|func|chan|bool|int|int32|int64|uint|float32|float64)\b|map\[|\[\]|\bjson:|encoding/json|reflect|RawParams|Go struct|\*[a-z]+\.[A-Z]|\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE)\b|(?i)sqlite|sql:|\bent:|constraint|goroutine|panic|runtime\.`)

// gqlBody is a JSON GraphQL request.
func gqlBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// chunked hides a reader's length, so the request is sent without a
// Content-Length.
type chunked struct{ io.Reader }

func TestBadInput(t *testing.T) {
	const maxDepth = 4 // the schema is shallow: viewer.sessions.edges.node.id is 5
	s := start(t, func(c *Config) { c.MaxDepth = maxDepth })
	huge := `{"query":"{ viewer { email } }","variables":{"x":"` + strings.Repeat(marker, (1<<20)/len(marker)) + `"}}`
	signUp := `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`
	emailVar := `mutation($e: String!) { signUp(input: {email: $e, password: "` + marker + `-long enough"}) { token } }`

	cases := []struct {
		name   string
		method string // default POST
		ctype  string // default application/json; "-" for none
		path   string // default /graphql
		body   string
		reader io.Reader // instead of body
		status int       // 0: any status below 500
		code   string    // default BAD_USER_INPUT
		field  string    // extensions.field, when the error names one
	}{
		// The HTTP edge.
		{name: "malformed JSON", body: `{"query": "{ viewer { email } }", "variables": {"x": "` + marker, status: 400},
		{name: "trailing garbage after JSON", body: `{"query": "{ viewer { email } }"} ` + marker, status: 400},
		{name: "JSON array (batch)", body: `[{"query":"{ viewer { email } }"},{"query":"` + marker + `"}]`, status: 400},
		{name: "JSON string", body: `"` + marker + `"`, status: 400},
		{name: "empty body", body: ``, status: 400},
		{name: "query is not a string", body: `{"query": {"` + marker + `": true}}`, status: 400},
		{name: "variables is not an object", body: `{"query": "{ viewer { email } }", "variables": "` + marker + `"}`, status: 400},
		{name: "extensions is not an object", body: `{"query": "{ viewer { email } }", "extensions": ["` + marker + `"]}`, status: 400},
		{name: "operationName is not a name", body: `{"query": "{ viewer { email } }", "operationName": "<b>` + marker + `</b>"}`, status: 400},
		{name: "text/plain", ctype: "text/plain", body: gqlBody(`{ viewer { email(x: "`+marker+`") } }`, nil), status: 415},
		{name: "no content type", ctype: "-", body: gqlBody(`{ viewer { email(x: "`+marker+`") } }`, nil), status: 415},
		{name: "form", ctype: "application/x-www-form-urlencoded", body: "query=" + marker, status: 415},
		{name: "multipart", ctype: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + marker + "\r\n--x--\r\n", status: 415},
		{name: "1 MiB body", body: huge, status: 413},
		{name: "1 MiB body without a length", reader: chunked{strings.NewReader(huge)}, status: 413},
		{name: "GET with a query string", method: "GET", path: "/graphql?query=%7Bviewer%7Bemail%7D%7D&x=" + marker, status: 405},
		{name: "PUT", method: "PUT", body: gqlBody(`{ viewer { email } }`, map[string]any{"x": marker}), status: 405},

		// The query text.
		{name: "syntax error", body: gqlBody(`{ viewer { email "`+marker+`" } }`, nil)},
		{name: "unknown field", body: gqlBody(`{ viewer { email nickname(hint: "`+marker+`") } }`, nil)},
		{name: "unknown argument", body: gqlBody(`{ viewer { sessions(filter: "`+marker+`") { totalCount } } }`, nil)},
		{name: "unknown input field", body: gqlBody(`mutation { signUp(input: {email: "a@example.com", password: "long enough 123", referrer: "`+marker+`"}) { token } }`, nil)},
		{name: "unknown operation", body: `{"query": "query A { viewer { email } }", "operationName": "B", "variables": {"x": "` + marker + `"}}`},
		{name: "number for email", body: gqlBody(`mutation { signUp(input: {email: 7731000042, password: "`+marker+`-long enough"}) { token } }`, nil)},
		{name: "string for an Int", body: gqlBody(`{ viewer { sessions(first: "`+marker+`") { totalCount } } }`, nil)},
		{name: "null for a required input", body: gqlBody(`mutation { signUp(input: null) { token } }`, map[string]any{"x": marker})},
		{name: "missing required field", body: gqlBody(`mutation { login(input: {email: "`+marker+`@example.com"}) { auth { token } } }`, nil)},
		{name: "deep query through fragments", body: gqlBody(`{ viewer { ...U } } fragment U on User { sessions(after: "`+marker+`") { ...C } } fragment C on SessionConnection { edges { node { id } } }`, nil)},
		{name: "deep query through aliases and inline fragments", body: gqlBody(`{ v: viewer { ... on User { s: sessions(after: "`+marker+`") { ... on SessionConnection { e: edges { n: node { id } } } } } } }`, nil)},

		// Variables.
		{name: "number for email in variables", body: gqlBody(emailVar, map[string]any{"e": 7731000042}), field: "email"},
		{name: "object for email in variables", body: gqlBody(emailVar, map[string]any{"e": map[string]any{marker: 1}})},
		{name: "list for an input in variables", body: gqlBody(signUp, map[string]any{"i": []any{marker}})},
		{name: "null for a required input in variables", body: gqlBody(signUp, map[string]any{"i": nil, "x": marker})},
		{name: "unknown input field in variables", body: gqlBody(signUp, map[string]any{"i": map[string]any{"email": "a@example.com", "password": "long enough 123", marker: 1}})},
		{name: "missing variable", body: gqlBody(signUp, map[string]any{"x": marker})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, path, ctype := c.method, c.path, c.ctype
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/graphql"
			}
			if ctype == "" {
				ctype = "application/json"
			}
			body := c.reader
			if body == nil {
				body = strings.NewReader(c.body)
			}
			hr, err := http.NewRequest(method, s.URL()+path, body)
			if err != nil {
				t.Fatal(err)
			}
			if ctype != "-" {
				hr.Header.Set("Content-Type", ctype)
			}
			resp, raw := s.rawRequest(hr)

			if resp.StatusCode >= 500 || (c.status != 0 && resp.StatusCode != c.status) {
				t.Errorf("status = %d, want %d", resp.StatusCode, c.status)
			}
			if bytes.Contains(raw, []byte(marker)) || bytes.Contains(raw, []byte("7731000042")) {
				t.Errorf("the response echoes the input: %.300s", raw)
			}
			if m := internalLeak.Find(raw); m != nil {
				t.Errorf("the response shows internals (%q): %.300s", m, raw)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
			}
			if c.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", resp.Header.Get("Allow"))
			}
			var out gqlResponse
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("not JSON: %.300s", raw)
			}
			want := c.code
			if want == "" {
				want = "BAD_USER_INPUT"
			}
			if out.Code() != want {
				t.Fatalf("extensions.code = %q, want %q: %.300s", out.Code(), want, raw)
			}
			if out.Errors[0].Message == "" {
				t.Errorf("no message")
			}
			if c.field != "" && out.Errors[0].Extensions["field"] != c.field {
				t.Errorf("extensions.field = %v, want %q", out.Errors[0].Extensions["field"], c.field)
			}
			for k, v := range out.Data {
				if v != nil {
					t.Errorf("data.%s = %v, want nothing executed", k, v)
				}
			}
		})
	}

	t.Run("the depth limit leaves room for real queries", func(t *testing.T) {
		tok := s.signUp("alice@example.com", req{})
		d := s.must(`{ viewer { sessions { edges { cursor } } } }`, req{Token: tok})
		if get(d, "viewer", "sessions", "edges", 0, "cursor") == nil {
			t.Errorf("a %d-level query failed: %v", maxDepth, d)
		}
	})
	t.Run("bad input is not logged as an internal error", func(t *testing.T) {
		logs := s.Logs.String()
		if strings.Contains(logs, "internal error") || strings.Contains(logs, "panic") {
			t.Errorf("server log: %.500s", logs)
		}
	})
}

func TestPageSizeAndCursor(t *testing.T) {
	s := start(t)
	tok := s.signUp("alice@example.com", req{})
	cases := []struct {
		name, args, field string
	}{
		{"more than the cap", `first: 101`, "first"},
		{"negative", `first: -1`, "first"},
		{"garbage cursor", `after: "` + marker + `"`, "after"},
		{"empty cursor", `after: ""`, "after"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.gql(`{ viewer { sessions(`+c.args+`) { totalCount } } }`, req{Token: tok})
			if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != c.field {
				t.Fatalf("got %s, want BAD_USER_INPUT on %q", r.Raw, c.field)
			}
			if bytes.Contains(r.Raw, []byte(marker)) {
				t.Errorf("the response echoes the cursor: %s", r.Raw)
			}
		})
	}
	t.Run("the cap itself and a real cursor work", func(t *testing.T) {
		s.login("alice@example.com", req{})
		d := s.must(`{ viewer { sessions(first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }`, req{Token: tok})
		end := str(d, "viewer", "sessions", "pageInfo", "endCursor")
		if get(d, "viewer", "sessions", "pageInfo", "hasNextPage") != true || end == "" {
			t.Fatalf("first page = %v", d)
		}
		d = s.must(`query($a: String) { viewer { sessions(first: 100, after: $a) { edges { node { id } } pageInfo { hasNextPage } } } }`,
			req{Token: tok, Vars: map[string]any{"a": end}})
		edges, _ := get(d, "viewer", "sessions", "edges").([]any)
		if len(edges) != 1 || get(d, "viewer", "sessions", "pageInfo", "hasNextPage") != false {
			t.Errorf("second page = %v, want the one remaining session", d)
		}
	})
}

// securityHeaders are the headers every API and health response carries.
var wantSecurityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "no-referrer",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	"Cache-Control":           "no-store",
}

func TestResponseHeaders(t *testing.T) {
	s := start(t)
	tok := s.signUp("alice@example.com", req{})
	post := func(body string) *http.Request {
		hr, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", strings.NewReader(body))
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+tok)
		return hr
	}
	getReq := func(path string) *http.Request {
		hr, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		return hr
	}
	cases := []struct {
		name   string
		req    *http.Request
		status int
		body   string // a substring of the answer
	}{
		{"viewer query", post(gqlBody(`{ viewer { email } }`, nil)), 200, `"alice@example.com"`},
		{"sign-up with its token", post(gqlBody(signUpQuery, map[string]any{"e": "bob@example.com", "p": testPassword})), 200, `"token":"lt_`},
		{"GraphQL error", post(gqlBody(`{ nope }`, nil)), 422, "BAD_USER_INPUT"},
		{"wrong method", getReq("/graphql"), 405, "BAD_USER_INPUT"},
		{"healthz", getReq("/healthz"), 200, "ok"},
		{"readyz", getReq("/readyz"), 200, "ready"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, raw := s.rawRequest(c.req)
			if resp.StatusCode != c.status || !strings.Contains(string(raw), c.body) {
				t.Errorf("got %d %.200s, want %d with %q", resp.StatusCode, raw, c.status, c.body)
			}
			for k, v := range wantSecurityHeaders {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestPlayground(t *testing.T) {
	const introspect = `{ __schema { queryType { name } } }`
	t.Run("served by default", func(t *testing.T) {
		s := start(t)
		hr, _ := http.NewRequest(http.MethodGet, s.URL()+"/", nil)
		resp, raw := s.rawRequest(hr)
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode != 200 || mt != "text/html" {
			t.Fatalf("GET / = %d %q, want 200 text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(strings.ToLower(string(raw)), "<html") || !strings.Contains(string(raw), "/graphql") {
			t.Errorf("the page is not a playground for /graphql: %.200s", raw)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("playground CSP = %q, want frame-ancestors 'none'", csp)
		}
		d := s.must(introspect, req{})
		if str(d, "__schema", "queryType", "name") != "Query" {
			t.Errorf("introspection = %v", d)
		}
		hr, _ = http.NewRequest(http.MethodGet, s.URL()+"/nope", nil)
		if resp, _ := s.rawRequest(hr); resp.StatusCode != 404 {
			t.Errorf("GET /nope = %d, want 404 (the playground is only at /)", resp.StatusCode)
		}
	})
	t.Run("off", func(t *testing.T) {
		s := start(t, func(c *Config) { c.Playground = false })
		hr, _ := http.NewRequest(http.MethodGet, s.URL()+"/", nil)
		resp, raw := s.rawRequest(hr)
		if resp.StatusCode != 404 || strings.Contains(strings.ToLower(string(raw)), "<html") {
			t.Errorf("GET / = %d %.100s, want 404", resp.StatusCode, raw)
		}
		if r := s.gql(introspect, req{}); r.Code() == "" || r.Data["__schema"] != nil {
			t.Errorf("introspection with the playground off: %s", r.Raw)
		}
		if d := s.must(`{ viewer { email } }`, req{}); d["viewer"] != nil {
			t.Errorf("the API does not work: %v", d)
		}
	})
}
