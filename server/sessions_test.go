package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
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
