package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/session"
)

// End-to-end tests of "Active sessions": the list, where it gets IP and
// browser from, revocation, recent authentication, password change, expiry,
// paging and the session events on the bus.

const (
	uaFirefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaChromeMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaSafariIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	uaDesktopApp     = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)" // Wails on WebKitGTK

	sessNewPassword = "a different horse, battery and staple"

	sessFields              = `id current ip userAgent browser os createdAt lastSeenAt authenticatedAt expiresAt methods`
	sessPageQuery           = `query($first: Int, $after: String) { viewer { sessions(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ` + sessFields + ` } } } } }`
	sessSignUpQuery         = `mutation($e: String!, $p: String!) { signUp(input: {email: $e, password: $p}) { token user { id } session { ` + sessFields + ` } } }`
	sessLoginQuery          = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { auth { token user { id } session { ` + sessFields + ` } } } }`
	sessRevokeQuery         = `mutation($id: ID!) { revokeSession(id: $id) { id current } }`
	sessRevokeOthersQuery   = `mutation { revokeOtherSessions }`
	sessReauthQuery         = `mutation($p: String!) { reauthenticate(input: {password: $p}) { id current authenticatedAt } }`
	sessChangePasswordQuery = `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) { id current authenticatedAt } }`
	sessLogoutQuery         = `mutation { logout }`
)

// sessClient is one signed-in client: its token and the session it got.
type sessClient struct {
	Token   string
	UserID  string
	Session map[string]any
}

func (c sessClient) ID() string { return str(c.Session, "id") }

// sessSignUp signs up email with the test password from r's client.
func (s *testServer) sessSignUp(email string, r req) sessClient {
	s.t.Helper()
	r.Vars = map[string]any{"e": email, "p": testPassword}
	d := s.must(sessSignUpQuery, r)
	return sessClient{Token: str(d, "signUp", "token"), UserID: str(d, "signUp", "user", "id"), Session: get(d, "signUp", "session").(map[string]any)}
}

// sessLogin logs in with pw from r's client.
func (s *testServer) sessLogin(email, pw string, r req) sessClient {
	s.t.Helper()
	r.Vars = map[string]any{"e": email, "p": pw}
	d := s.must(sessLoginQuery, r)
	a := get(d, "login", "auth")
	return sessClient{Token: str(a, "token"), UserID: str(a, "user", "id"), Session: get(a, "session").(map[string]any)}
}

// sessList is the viewer's first page of up to 100 sessions.
func (s *testServer) sessList(tok string) (nodes []map[string]any, total int) {
	s.t.Helper()
	d := s.must(sessPageQuery, req{Token: tok, Vars: map[string]any{"first": 100}})
	conn := get(d, "viewer", "sessions")
	if conn == nil {
		s.t.Fatal("viewer is null: the token is signed out")
	}
	for _, e := range get(conn, "edges").([]any) {
		nodes = append(nodes, get(e, "node").(map[string]any))
	}
	return nodes, int(get(conn, "totalCount").(float64))
}

func sessIDs(nodes []map[string]any) []string {
	var ids []string
	for _, n := range nodes {
		ids = append(ids, str(n, "id"))
	}
	return ids
}

// sessAlive reports whether tok still gets a viewer.
func (s *testServer) sessAlive(tok string) bool {
	s.t.Helper()
	return get(s.must(`{ viewer { id } }`, req{Token: tok}), "viewer") != nil
}

func (s *testServer) sessRevoke(tok, id string) *gqlResponse {
	s.t.Helper()
	return s.gql(sessRevokeQuery, req{Token: tok, Vars: map[string]any{"id": id}})
}

func sessErrField(r *gqlResponse) string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

func sessErrMessage(r *gqlResponse) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Message
}

// sessWantCode fails unless r is exactly one error with code (and field, if
// given).
func sessWantCode(t *testing.T, what string, r *gqlResponse, code string, field ...string) {
	t.Helper()
	if r.Code() != code || len(r.Errors) != 1 {
		t.Fatalf("%s: got %s; want one %s error", what, r.Raw, code)
	}
	if len(field) > 0 && sessErrField(r) != field[0] {
		t.Errorf("%s: error field %q; want %q", what, sessErrField(r), field[0])
	}
}

func sessTime(t *testing.T, n map[string]any, name string) time.Time {
	t.Helper()
	v, ok := n[name].(string)
	if !ok {
		t.Fatalf("%s is %v; want an RFC 3339 time", name, n[name])
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("%s = %q: %v", name, v, err)
	}
	return at
}

func sessTrustProxies(cidrs ...string) serverOption {
	return func(c *Config) {
		for _, p := range cidrs {
			c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix(p))
		}
	}
}

func sessTimes(idle, lifetime time.Duration) serverOption {
	return func(c *Config) { c.IdleTimeout, c.SessionLifetime = idle, lifetime }
}

func TestActiveSessionsList(t *testing.T) {
	s := start(t)
	const email = "sessions@example.com"
	app := s.sessSignUp(email, req{UserAgent: uaDesktopApp})
	logins := []struct {
		ua, browser, os string
		at              time.Time
		c               sessClient
	}{
		{ua: uaFirefoxWindows, browser: "Firefox 133", os: "Windows 10"},
		{ua: uaChromeMac, browser: "Chrome 131", os: "macOS"},
		{ua: uaSafariIPhone, browser: "Safari 18", os: "iOS"},
	}
	for i := range logins {
		s.Clock.Advance(time.Minute)
		logins[i].at = s.Clock.Now()
		logins[i].c = s.sessLogin(email, testPassword, req{UserAgent: logins[i].ua})
	}

	// The sign-up session plus three logins: four, newest login first.
	nodes, total := s.sessList(logins[1].c.Token)
	if total != 4 || len(nodes) != 4 {
		t.Fatalf("totalCount %d, %d listed; want the sign-up session and 3 logins", total, len(nodes))
	}
	want := []struct {
		id, ua, browser, os string
		at                  time.Time
	}{
		{logins[2].c.ID(), logins[2].ua, logins[2].browser, logins[2].os, logins[2].at},
		{logins[1].c.ID(), logins[1].ua, logins[1].browser, logins[1].os, logins[1].at},
		{logins[0].c.ID(), logins[0].ua, logins[0].browser, logins[0].os, logins[0].at},
		{app.ID(), uaDesktopApp, "Unknown", "Linux", logins[0].at.Add(-time.Minute)},
	}
	idle := s.Config.IdleTimeout
	for i, n := range nodes {
		w := want[i]
		for _, f := range strings.Fields(sessFields) {
			if v, ok := n[f]; !ok || v == nil {
				t.Errorf("session %d: field %s missing", i, f)
			}
		}
		if str(n, "id") != w.id {
			t.Errorf("position %d: session %s; want %s (newest login first)", i, str(n, "id"), w.id)
		}
		if str(n, "browser") != w.browser || str(n, "os") != w.os || str(n, "userAgent") != w.ua || str(n, "ip") != "127.0.0.1" {
			t.Errorf("position %d: %s / %s / %q from %s; want %s / %s / %q from 127.0.0.1", i, str(n, "browser"), str(n, "os"), str(n, "userAgent"), str(n, "ip"), w.browser, w.os, w.ua)
		}
		if got := get(n, "current"); got != (i == 1) {
			t.Errorf("position %d: current = %v; only the requesting (Chrome) session is current", i, got)
		}
		created := sessTime(t, n, "createdAt")
		if !created.Equal(w.at) {
			t.Errorf("position %d: createdAt %s; want %s", i, created, w.at)
		}
		lastSeen, authed, expires := sessTime(t, n, "lastSeenAt"), sessTime(t, n, "authenticatedAt"), sessTime(t, n, "expiresAt")
		if i != 1 && !lastSeen.Equal(created) {
			t.Errorf("position %d: lastSeenAt %s; want the login time", i, lastSeen)
		}
		if !authed.Equal(created) {
			t.Errorf("position %d: authenticatedAt %s; want the login time", i, authed)
		}
		if !expires.Equal(lastSeen.Add(idle)) { // idle timeout comes before the lifetime
			t.Errorf("position %d: expiresAt %s; want lastSeenAt + idle timeout = %s", i, expires, lastSeen.Add(idle))
		}
		if m, _ := n["methods"].([]any); len(m) != 1 || m[0] != "PASSWORD" {
			t.Errorf("position %d: methods %v; want [PASSWORD]", i, n["methods"])
		}
	}

	t.Run("each client sees itself as current", func(t *testing.T) {
		for _, c := range []sessClient{app, logins[0].c, logins[1].c, logins[2].c} {
			nodes, _ := s.sessList(c.Token)
			var cur []string
			for _, n := range nodes {
				if get(n, "current") == true {
					cur = append(cur, str(n, "id"))
				}
			}
			if len(cur) != 1 || cur[0] != c.ID() {
				t.Errorf("current sessions %v; want exactly [%s]", cur, c.ID())
			}
		}
	})

	t.Run("lastSeenAt and expiresAt follow use", func(t *testing.T) {
		s.Clock.Advance(2 * time.Minute)
		nodes, _ := s.sessList(logins[0].c.Token)
		now := s.Clock.Now()
		for _, n := range nodes {
			if str(n, "id") != logins[0].c.ID() {
				continue
			}
			if ls := sessTime(t, n, "lastSeenAt"); !ls.Equal(now) {
				t.Errorf("lastSeenAt %s; want the time of this request, %s", ls, now)
			}
			if ex := sessTime(t, n, "expiresAt"); !ex.Equal(now.Add(idle)) {
				t.Errorf("expiresAt %s; want %s", ex, now.Add(idle))
			}
		}
	})
}

func TestSessionIP(t *testing.T) {
	tests := []struct {
		name    string
		xff     []string // X-Forwarded-For header lines
		trusted string   // IP when the peer (127.0.0.1) is a trusted proxy
	}{
		{name: "no header", trusted: "127.0.0.1"},
		{name: "one hop", xff: []string{"203.0.113.7"}, trusted: "203.0.113.7"},
		{name: "rightmost untrusted hop wins", xff: []string{"198.51.100.1, 203.0.113.7"}, trusted: "203.0.113.7"},
		{name: "trusted hops are skipped", xff: []string{"198.51.100.1, 203.0.113.7, 127.0.0.1"}, trusted: "203.0.113.7"},
		{name: "several header lines", xff: []string{"198.51.100.1", "203.0.113.7"}, trusted: "203.0.113.7"},
		{name: "IPv4-mapped IPv6", xff: []string{"::ffff:203.0.113.9"}, trusted: "203.0.113.9"},
		{name: "IPv6", xff: []string{"2001:db8::1"}, trusted: "2001:db8::1"},
		{name: "garbage", xff: []string{"not an address"}, trusted: "127.0.0.1"},
		{name: "garbage on the right", xff: []string{"203.0.113.7, garbage"}, trusted: "127.0.0.1"},
		{name: "address with port", xff: []string{"203.0.113.7:443"}, trusted: "127.0.0.1"},
		{name: "empty", xff: []string{""}, trusted: "127.0.0.1"},
		{name: "long garbage", xff: []string{strings.Repeat("9", 1024)}, trusted: "127.0.0.1"},
		{name: "only trusted hops", xff: []string{"127.0.0.1"}, trusted: "127.0.0.1"},
	}
	servers := []struct {
		name  string
		s     *testServer
		trust bool
	}{
		{name: "untrusted peer", s: start(t)},
		{name: "trusted proxy", s: start(t, sessTrustProxies("127.0.0.1/32")), trust: true},
	}
	for _, srv := range servers {
		s := srv.s
		owner := s.sessSignUp("ip@example.com", req{})
		t.Run(srv.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					want := "127.0.0.1" // the peer: X-Forwarded-For is only believed from a trusted proxy
					if srv.trust {
						want = tt.trusted
					}
					body, _ := json.Marshal(map[string]any{"query": sessLoginQuery, "variables": map[string]any{"e": "ip@example.com", "p": testPassword}})
					hr, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", bytes.NewReader(body))
					hr.Header.Set("Content-Type", "application/json")
					for _, v := range tt.xff {
						hr.Header.Add("X-Forwarded-For", v)
					}
					r := s.do(hr)
					if len(r.Errors) > 0 {
						t.Fatalf("login: %s", r.Raw)
					}
					if got := str(r.Data, "login", "auth", "session", "ip"); got != want {
						t.Errorf("login session ip = %q; want %q", got, want)
					}
					id := str(r.Data, "login", "auth", "session", "id")
					nodes, _ := s.sessList(owner.Token)
					for _, n := range nodes {
						if str(n, "id") == id && str(n, "ip") != want {
							t.Errorf("listed ip = %q; want %q", str(n, "ip"), want)
						}
					}
				})
			}
		})
	}
}

func TestRevokeSession(t *testing.T) {
	s := start(t)
	const email = "revoke@example.com"
	first := s.sessSignUp(email, req{UserAgent: uaDesktopApp})
	firefox := s.sessLogin(email, testPassword, req{UserAgent: uaFirefoxWindows})
	chrome := s.sessLogin(email, testPassword, req{UserAgent: uaChromeMac})
	s.Clock.Advance(time.Minute)
	safari := s.sessLogin(email, testPassword, req{UserAgent: uaSafariIPhone}) // fresh: recent auth holds

	r := s.sessRevoke(safari.Token, chrome.ID())
	if len(r.Errors) > 0 {
		t.Fatalf("revokeSession: %s", r.Raw)
	}
	if str(r.Data, "revokeSession", "id") != chrome.ID() || get(r.Data, "revokeSession", "current") != false {
		t.Errorf("revokeSession returned %v; want the Chrome session", r.Data)
	}
	if s.sessAlive(chrome.Token) {
		t.Error("the revoked token still gets a viewer on the next request")
	}
	nodes, total := s.sessList(safari.Token)
	if ids := sessIDs(nodes); total != 3 || slices.Contains(ids, chrome.ID()) {
		t.Errorf("list after revoke: %v (total %d); want 3 without %s", ids, total, chrome.ID())
	}
	for _, c := range []sessClient{first, firefox, safari} {
		if !s.sessAlive(c.Token) {
			t.Errorf("session %s was signed out by revoking another", c.ID())
		}
	}
	sessWantCode(t, "revoking it again", s.sessRevoke(safari.Token, chrome.ID()), "NOT_FOUND")
	sessWantCode(t, "revoking the current session", s.sessRevoke(safari.Token, safari.ID()), "FAILED_PRECONDITION")
	if !s.sessAlive(safari.Token) {
		t.Error("refusing to revoke the current session signed it out")
	}

	d := s.must(sessRevokeOthersQuery, req{Token: safari.Token})
	if n := get(d, "revokeOtherSessions"); n != float64(2) {
		t.Errorf("revokeOtherSessions = %v; want 2 (the sign-up and Firefox sessions)", n)
	}
	for _, c := range []sessClient{first, firefox} {
		if s.sessAlive(c.Token) {
			t.Errorf("session %s still signed in after revokeOtherSessions", c.ID())
		}
	}
	nodes, total = s.sessList(safari.Token)
	if ids := sessIDs(nodes); total != 1 || len(ids) != 1 || ids[0] != safari.ID() {
		t.Errorf("list after revokeOtherSessions: %v (total %d); want only the caller", ids, total)
	}
	if n := get(s.must(sessRevokeOthersQuery, req{Token: safari.Token}), "revokeOtherSessions"); n != float64(0) {
		t.Errorf("second revokeOtherSessions = %v; want 0", n)
	}

	t.Run("logout", func(t *testing.T) {
		if d := s.must(sessLogoutQuery, req{Token: safari.Token}); get(d, "logout") != true {
			t.Errorf("logout = %v; want true", d)
		}
		if s.sessAlive(safari.Token) {
			t.Error("signed in after logout")
		}
		if d := s.must(sessLogoutQuery, req{Token: safari.Token}); get(d, "logout") != false {
			t.Errorf("logout with an ended session = %v; want false", d)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		sessWantCode(t, "revokeSession", s.sessRevoke("", firefox.ID()), "UNAUTHENTICATED")
		sessWantCode(t, "revokeOtherSessions", s.gql(sessRevokeOthersQuery, req{}), "UNAUTHENTICATED")
	})
}

// Another user's session id answers exactly like an id that does not exist,
// so session ids cannot be probed.
func TestRevokeOtherUsersSession(t *testing.T) {
	s := start(t)
	alice := s.sessSignUp("alice@example.com", req{UserAgent: uaFirefoxWindows})
	bob := s.sessSignUp("bob@example.com", req{UserAgent: uaChromeMac})

	if nodes, _ := s.sessList(alice.Token); slices.Contains(sessIDs(nodes), bob.ID()) {
		t.Fatal("bob's session is in alice's list")
	}
	ref := s.sessRevoke(alice.Token, bob.ID())
	sessWantCode(t, "bob's session", ref, "NOT_FOUND")
	tests := []struct{ name, id string }{
		{"random UUID", uuid.NewString()},
		{"malformed", "x"},
		{"empty", ""},
		{"1 KiB", strings.Repeat("f", 1024)},
		{"bob's id upper-cased", strings.ToUpper(bob.ID())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.sessRevoke(alice.Token, tt.id)
			sessWantCode(t, tt.name, r, "NOT_FOUND")
			if sessErrMessage(r) != sessErrMessage(ref) {
				t.Errorf("message %q differs from the one for bob's session, %q", sessErrMessage(r), sessErrMessage(ref))
			}
		})
	}
	if !s.sessAlive(bob.Token) {
		t.Error("bob was signed out by alice")
	}
	nodes, _ := s.sessList(bob.Token)
	if len(nodes) != 1 || str(nodes[0], "id") != bob.ID() {
		t.Errorf("bob's list is %v", sessIDs(nodes))
	}
	sessWantCode(t, "alice's own session", s.sessRevoke(alice.Token, alice.ID()), "FAILED_PRECONDITION")
}

func TestRevokeNeedsRecentAuthentication(t *testing.T) {
	s := start(t)
	const email = "sudo@example.com"
	me := s.sessSignUp(email, req{UserAgent: uaFirefoxWindows})
	other := s.sessLogin(email, testPassword, req{UserAgent: uaChromeMac})
	s.Clock.Advance(10*time.Minute + time.Second)

	assertClosed := func(t *testing.T) {
		t.Helper()
		sessWantCode(t, "revokeSession", s.sessRevoke(me.Token, other.ID()), "REAUTHENTICATION_REQUIRED")
		sessWantCode(t, "revokeOtherSessions", s.gql(sessRevokeOthersQuery, req{Token: me.Token}), "REAUTHENTICATION_REQUIRED")
		if !s.sessAlive(other.Token) {
			t.Fatal("the other session was revoked without recent authentication")
		}
	}
	assertClosed(t)

	r := s.gql(sessReauthQuery, req{Token: me.Token, Vars: map[string]any{"p": "not the password"}})
	sessWantCode(t, "reauthenticate with a wrong password", r, "INVALID_CREDENTIALS")
	assertClosed(t)

	d := s.must(sessReauthQuery, req{Token: me.Token, Vars: map[string]any{"p": testPassword}})
	if at := sessTime(t, get(d, "reauthenticate").(map[string]any), "authenticatedAt"); !at.Equal(s.Clock.Now()) {
		t.Errorf("authenticatedAt after reauthenticate = %s; want now (%s)", at, s.Clock.Now())
	}
	if str(d, "reauthenticate", "id") != me.ID() || get(d, "reauthenticate", "current") != true {
		t.Errorf("reauthenticate returned %v; want the current session", d)
	}
	if r := s.sessRevoke(me.Token, other.ID()); len(r.Errors) > 0 {
		t.Fatalf("revokeSession after reauthenticate: %s", r.Raw)
	}
	if s.sessAlive(other.Token) {
		t.Error("revoked session still signed in")
	}
	third := s.sessLogin(email, testPassword, req{})
	if n := get(s.must(sessRevokeOthersQuery, req{Token: me.Token}), "revokeOtherSessions"); n != float64(1) {
		t.Errorf("revokeOtherSessions = %v; want 1", n)
	}
	if s.sessAlive(third.Token) {
		t.Error("revokeOtherSessions left a session signed in")
	}

	// The window closes again 10 minutes after the reauthentication.
	s.Clock.Advance(10*time.Minute + time.Second)
	other = s.sessLogin(email, testPassword, req{})
	assertClosed(t)
	sessWantCode(t, "reauthenticate signed out", s.gql(sessReauthQuery, req{Vars: map[string]any{"p": testPassword}}), "UNAUTHENTICATED")
}

func TestChangePassword(t *testing.T) {
	s := start(t)
	const email = "change@example.com"
	me := s.sessSignUp(email, req{UserAgent: uaFirefoxWindows})
	others := []sessClient{
		s.sessLogin(email, testPassword, req{UserAgent: uaChromeMac}),
		s.sessLogin(email, testPassword, req{UserAgent: uaSafariIPhone}),
	}
	change := func(current, next string) *gqlResponse {
		return s.gql(sessChangePasswordQuery, req{Token: me.Token, Vars: map[string]any{"c": current, "n": next}})
	}

	refusals := []struct {
		name, current, next, code, field string
	}{
		{"wrong current password", "not the password", sessNewPassword, "INVALID_CREDENTIALS", "currentPassword"},
		{"too short", testPassword, "short", "BAD_USER_INPUT", "newPassword"},
		{"common", testPassword, "password1234", "BAD_USER_INPUT", "newPassword"},
		{"too long", testPassword, strings.Repeat("x", 129), "BAD_USER_INPUT", "newPassword"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := change(tt.current, tt.next)
			sessWantCode(t, "changePassword", r, tt.code, tt.field)
			for _, c := range append([]sessClient{me}, others...) {
				if !s.sessAlive(c.Token) {
					t.Fatalf("a refused change signed out %s", c.ID())
				}
			}
		})
	}
	// Nothing changed: the old password still works.
	still := s.sessLogin(email, testPassword, req{})
	others = append(others, still)

	s.Clock.Advance(time.Hour) // changing the password needs the current one, not recent auth
	r := change(testPassword, sessNewPassword)
	if len(r.Errors) > 0 {
		t.Fatalf("changePassword: %s", r.Raw)
	}
	if str(r.Data, "changePassword", "id") != me.ID() || get(r.Data, "changePassword", "current") != true {
		t.Errorf("changePassword returned %v; want the caller's session", r.Data)
	}
	if !s.sessAlive(me.Token) {
		t.Error("the caller was signed out by its own password change")
	}
	for _, c := range others {
		if s.sessAlive(c.Token) {
			t.Errorf("session %s still signed in after the password change", c.ID())
		}
	}
	nodes, total := s.sessList(me.Token)
	if total != 1 || str(nodes[0], "id") != me.ID() {
		t.Errorf("list after the change: %v; want only the caller", sessIDs(nodes))
	}
	old := s.gql(sessLoginQuery, req{Vars: map[string]any{"e": email, "p": testPassword}})
	sessWantCode(t, "login with the old password", old, "INVALID_CREDENTIALS")
	if c := s.sessLogin(email, sessNewPassword, req{}); !s.sessAlive(c.Token) {
		t.Error("the new password does not sign in")
	}
	// The change counts as a fresh authentication.
	if r := s.gql(sessRevokeOthersQuery, req{Token: me.Token}); len(r.Errors) > 0 {
		t.Errorf("revokeOtherSessions right after the change: %s", r.Raw)
	}
}

func TestSessionExpiry(t *testing.T) {
	const idle, lifetime = time.Hour, 3 * time.Hour
	s := start(t, sessTimes(idle, lifetime))
	const email = "expiry@example.com"
	me := s.sessSignUp(email, req{UserAgent: uaFirefoxWindows})
	started := s.Clock.Now()
	unused := s.sessLogin(email, testPassword, req{UserAgent: uaChromeMac})
	touch := func() {
		t.Helper()
		if !s.sessAlive(me.Token) {
			t.Fatalf("signed out at +%s, before the lifetime", s.Clock.Now().Sub(started))
		}
	}
	row := func(c sessClient) *ent.Session {
		t.Helper()
		r, err := s.DB.Client.Session.Get(context.Background(), uuid.MustParse(c.ID()))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	s.Clock.Advance(40 * time.Minute)
	touch()
	s.Clock.Advance(30 * time.Minute) // unused: 70 minutes idle

	nodes, total := s.sessList(me.Token)
	if ids := sessIDs(nodes); total != 1 || len(ids) != 1 || ids[0] != me.ID() {
		t.Errorf("list after the idle timeout: %v (total %d); want only the session in use", ids, total)
	}
	if r := row(unused); r.RevokedAt != nil {
		t.Fatal("test premise: the idle session is marked before any sweep")
	}
	// It has already ended: signing out "other sessions" finds none.
	s.must(sessReauthQuery, req{Token: me.Token, Vars: map[string]any{"p": testPassword}})
	if n := get(s.must(sessRevokeOthersQuery, req{Token: me.Token}), "revokeOtherSessions"); n != float64(0) {
		t.Errorf("revokeOtherSessions = %v with only an expired other session; want 0", n)
	}
	s.SweepOnce(context.Background())
	if r := row(unused); r.RevokedAt == nil || r.EndReason == nil || *r.EndReason != entsession.EndReasonExpired {
		t.Errorf("after the sweep, the idle session has revoked_at=%v end_reason=%v; want expired", r.RevokedAt, r.EndReason)
	}
	if r := row(me); r.RevokedAt != nil {
		t.Error("the sweep ended the session in use")
	}
	if s.sessAlive(unused.Token) {
		t.Error("the idle session's token still signs in")
	}

	// In use every half hour, the session still ends at its lifetime.
	for s.Clock.Now().Add(30 * time.Minute).Before(started.Add(lifetime)) {
		s.Clock.Advance(30 * time.Minute)
		touch()
	}
	s.Clock.Advance(started.Add(lifetime).Sub(s.Clock.Now()))
	if s.sessAlive(me.Token) {
		t.Error("signed in past the absolute lifetime")
	}
	if r := row(me); r.EndReason == nil || *r.EndReason != entsession.EndReasonExpired {
		t.Errorf("session past its lifetime: end_reason=%v; want expired", r.EndReason)
	}
}

// A sweep is bounded per batch, and one SweepOnce still finishes a backlog
// larger than a batch.
func TestSweepBacklog(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	me := s.sessSignUp("backlog@example.com", req{})
	uid := uuid.MustParse(me.UserID)
	old := s.Clock.Now().Add(-s.Config.IdleTimeout - time.Hour)
	const backlog = 1100
	for done := 0; done < backlog; done += 250 {
		var bs []*ent.SessionCreate
		for i := done; i < min(done+250, backlog); i++ {
			bs = append(bs, s.DB.Client.Session.Create().
				SetUserID(uid).SetTokenHash([]byte(uuid.NewString())).
				SetIP("192.0.2.1").SetUserAgent("").SetBrowser("Unknown").SetOs("Unknown").
				SetCreatedAt(old).SetLastSeenAt(old).SetAuthenticatedAt(old).
				SetExpiresAt(old.Add(s.Config.SessionLifetime)).
				SetMethods([]string{session.MethodPassword}))
		}
		if err := s.DB.Client.Session.CreateBulk(bs...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Sessions.Sweep(ctx, 300); err != nil || n != 300 {
		t.Fatalf("Sweep(300) = %d, %v; want exactly 300 of the %d due", n, err, backlog)
	}
	s.SweepOnce(ctx)
	n, err := s.DB.Client.Session.Query().Where(entsession.EndReasonEQ(entsession.EndReasonExpired)).Count(ctx)
	if err != nil || n != backlog {
		t.Errorf("%d sessions marked expired (%v); want all %d", n, err, backlog)
	}
	if !s.sessAlive(me.Token) {
		t.Error("the sweep ended a live session")
	}
}

func TestSessionsPaging(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	const email = "paging@example.com"
	first := s.sessSignUp(email, req{})
	uid := uuid.MustParse(first.UserID)

	// 250 more sessions, logged in over the last days; some share an
	// instant, so the walk depends on the id tie-break too.
	base := s.Clock.Now().Add(-48 * time.Hour)
	var bs []*ent.SessionCreate
	for i := range 250 {
		at := base.Add(time.Duration(i/3) * time.Minute)
		bs = append(bs, s.DB.Client.Session.Create().
			SetUserID(uid).SetTokenHash([]byte(uuid.NewString())).
			SetIP("192.0.2.1").SetUserAgent(uaFirefoxWindows).SetBrowser("Firefox 133").SetOs("Windows 10").
			SetCreatedAt(at).SetLastSeenAt(s.Clock.Now()).SetAuthenticatedAt(at).
			SetExpiresAt(at.Add(s.Config.SessionLifetime)).
			SetMethods([]string{session.MethodPassword}))
	}
	if err := s.DB.Client.Session.CreateBulk(bs...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(time.Minute)
	walker := s.sessLogin(email, testPassword, req{UserAgent: uaSafariIPhone})

	page := func(after any) (ids []string, hasNext bool, end any, total int) {
		t.Helper()
		d := s.must(sessPageQuery, req{Token: walker.Token, Vars: map[string]any{"first": 100, "after": after}})
		conn := get(d, "viewer", "sessions")
		for _, e := range get(conn, "edges").([]any) {
			ids = append(ids, str(e, "node", "id"))
			if str(e, "cursor") == "" {
				t.Fatal("edge without a cursor")
			}
		}
		return ids, get(conn, "pageInfo", "hasNextPage") == true, get(conn, "pageInfo", "endCursor"), int(get(conn, "totalCount").(float64))
	}

	var walked []string
	var after any
	var revoked string
	pages, startTotal := 0, 0
	for {
		ids, hasNext, end, total := page(after)
		if pages == 0 {
			startTotal = total
		}
		pages++
		if len(ids) > 100 {
			t.Fatalf("page of %d", len(ids))
		}
		walked = append(walked, ids...)
		if !hasNext {
			break
		}
		if pages > 5 {
			t.Fatal("the walk does not end")
		}
		after = end
		// New logins between pages: newer than the walk, so not in it.
		for range 3 {
			s.Clock.Advance(time.Second)
			s.sessLogin(email, testPassword, req{})
		}
		// And the oldest session, not yet walked, is signed out: it must
		// simply be missing, shifting nothing else.
		if pages == 1 {
			oldest, err := s.DB.Client.Session.Query().Where(entsession.UserID(uid)).
				Order(entsession.ByCreatedAt(), entsession.ByID()).First(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r := s.sessRevoke(walker.Token, oldest.ID.String()); len(r.Errors) > 0 {
				t.Fatalf("revokeSession: %s", r.Raw)
			}
			revoked = oldest.ID.String()
		}
	}
	if startTotal != 252 {
		t.Errorf("totalCount at the start = %d; want 252 (sign-up, 250 older, the walker)", startTotal)
	}
	if pages != 3 {
		t.Errorf("%d pages; want 3 (100, 100, 51)", pages)
	}
	seen := map[string]bool{}
	for _, id := range walked {
		if seen[id] {
			t.Errorf("session %s listed twice", id)
		}
		seen[id] = true
	}
	all, err := s.DB.Client.Session.Query().
		Where(entsession.UserID(uid), entsession.CreatedAtLTE(walker.createdAt(t))).
		All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b *ent.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID.String(), a.ID.String())
	})
	var want []string
	for _, a := range all {
		if a.ID.String() != revoked {
			want = append(want, a.ID.String())
		}
	}
	if len(want) != 251 || !slices.Equal(walked, want) {
		t.Errorf("walked %d sessions; want the %d that existed at the start and stayed, newest first, each once", len(walked), len(want))
	}

	t.Run("bad page arguments", func(t *testing.T) {
		tests := []struct {
			name  string
			vars  map[string]any
			field string
		}{
			{"first over 100", map[string]any{"first": 101}, "first"},
			{"negative first", map[string]any{"first": -1}, "first"},
			{"garbage cursor", map[string]any{"after": "garbage"}, "after"},
			{"empty cursor", map[string]any{"after": ""}, "after"},
			{"base64 of junk", map[string]any{"after": "MTIzfGFiYw"}, "after"},
			{"huge cursor", map[string]any{"after": strings.Repeat("A", 4096)}, "after"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := s.gql(sessPageQuery, req{Token: walker.Token, Vars: tt.vars})
				sessWantCode(t, "sessions", r, "BAD_USER_INPUT", tt.field)
				r = s.gql(`query($first: Int, $after: String) { viewer { securityEvents(first: $first, after: $after) { totalCount } } }`, req{Token: walker.Token, Vars: tt.vars})
				sessWantCode(t, "securityEvents", r, "BAD_USER_INPUT", tt.field)
			})
		}
	})
}

func (c sessClient) createdAt(t *testing.T) time.Time { return sessTime(t, c.Session, "createdAt") }

// Each change to a user's sessions reaches that user's subscribers, and
// only theirs, after it is committed.
func TestSessionEventsOnTheBus(t *testing.T) {
	s := start(t, sessTimes(time.Hour, 24*time.Hour))
	const email = "bus@example.com"
	me := s.sessSignUp(email, req{UserAgent: uaFirefoxWindows})
	bystander := s.sessSignUp("bystander@example.com", req{})
	mine := s.Bus.Subscribe(uuid.MustParse(me.UserID))
	theirs := s.Bus.Subscribe(uuid.MustParse(bystander.UserID))
	if n := s.Bus.Count(); n != 2 {
		t.Fatalf("Count = %d; want 2", n)
	}

	// next is the event the last request published: publishing happens on
	// commit, before the response, so it is already buffered.
	next := func(kind events.Kind, id string) {
		t.Helper()
		select {
		case ev := <-mine.C:
			if ev.Kind != kind || ev.Session.ID.String() != id || ev.UserID().String() != me.UserID {
				t.Fatalf("got %s for %s; want %s for %s", ev.Kind, ev.Session.ID, kind, id)
			}
			row, err := s.DB.Client.Session.Get(context.Background(), ev.Session.ID)
			if err != nil {
				t.Fatalf("%s for a session the database does not show: %v", kind, err)
			}
			if ended := row.RevokedAt != nil; ended != (kind != events.Created) {
				t.Errorf("%s published, but the committed row has revoked_at = %v", kind, row.RevokedAt)
			}
		default:
			t.Fatalf("no event; want %s for %s", kind, id)
		}
	}
	none := func() {
		t.Helper()
		select {
		case ev := <-mine.C:
			t.Fatalf("unexpected %s for %s", ev.Kind, ev.Session.ID)
		default:
		}
	}

	a := s.sessLogin(email, testPassword, req{UserAgent: uaChromeMac})
	next(events.Created, a.ID())
	b := s.sessLogin(email, testPassword, req{UserAgent: uaSafariIPhone})
	next(events.Created, b.ID())

	s.sessRevoke(me.Token, a.ID())
	next(events.Revoked, a.ID())
	s.must(sessLogoutQuery, req{Token: b.Token})
	next(events.Revoked, b.ID())

	// Refused and read-only requests publish nothing.
	s.sessRevoke(me.Token, me.ID())
	s.sessRevoke(me.Token, uuid.NewString())
	s.gql(sessLoginQuery, req{Vars: map[string]any{"e": email, "p": "wrong password"}})
	s.sessList(me.Token)
	none()

	c := s.sessLogin(email, testPassword, req{})
	next(events.Created, c.ID())
	s.must(sessChangePasswordQuery, req{Token: me.Token, Vars: map[string]any{"c": testPassword, "n": sessNewPassword}})
	next(events.Revoked, c.ID())

	d := s.sessLogin(email, sessNewPassword, req{})
	next(events.Created, d.ID())
	e := s.sessLogin(email, sessNewPassword, req{})
	next(events.Created, e.ID())
	s.Clock.Advance(40 * time.Minute)
	s.sessAlive(me.Token)
	s.sessAlive(e.Token)
	s.Clock.Advance(30 * time.Minute) // d is past its idle timeout
	s.SweepOnce(context.Background())
	next(events.Expired, d.ID())
	s.Clock.Advance(31 * time.Minute) // e too, and its token is used before any sweep
	s.sessAlive(e.Token)
	next(events.Expired, e.ID())
	none()

	// The bystander heard only of its own session, which the sweep expired.
	for len(theirs.C) > 0 {
		if ev := <-theirs.C; ev.Session.ID.String() != bystander.ID() || ev.Kind != events.Expired {
			t.Errorf("the bystander got %s for %s", ev.Kind, ev.Session.ID)
		}
	}
	mine.Cancel()
	theirs.Cancel()
	mine.Cancel()
	if n := s.Bus.Count(); n != 0 {
		t.Errorf("Count = %d after cancelling; want 0", n)
	}
}
