package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/latchhq/latch/agent"
	"github.com/latchhq/latch/ent/securityevent"
	entsession "github.com/latchhq/latch/ent/session"
	"github.com/latchhq/latch/ent/user"
)

// End-to-end tests of the security log: what each action records, that
// nothing secret leaks into responses or logs, how user agents are stored
// and how long entries are kept.

const secLogQuery = `query($first: Int, $after: String) { viewer { securityEvents(first: $first, after: $after) {
	totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind at ip userAgent browser os sessionId } } } } }`

// securityLog is the viewer's log, newest first (up to 100 entries).
func (s *testServer) secLog(tok string) (nodes []map[string]any, total int) {
	s.t.Helper()
	d := s.must(secLogQuery, req{Token: tok, Vars: map[string]any{"first": 100}})
	conn := get(d, "viewer", "securityEvents")
	if conn == nil {
		s.t.Fatal("viewer is null: the token is signed out")
	}
	for _, e := range get(conn, "edges").([]any) {
		nodes = append(nodes, get(e, "node").(map[string]any))
	}
	return nodes, int(get(conn, "totalCount").(float64))
}

func secKinds(nodes []map[string]any) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, str(n, "kind"))
	}
	return out
}

// secTranscript keeps every response a client got, and which one issued each
// token, to check afterwards that no secret came back where it should not.
type secTranscript struct {
	s      *testServer
	raws   []string
	issued map[string]int // token → index of the response that returned it
}

func (tr *secTranscript) gql(query string, r req) *gqlResponse {
	tr.s.t.Helper()
	out := tr.s.gql(query, r)
	tr.raws = append(tr.raws, string(out.Raw))
	for _, path := range [][]any{{"signUp", "token"}, {"login", "auth", "token"}} {
		if tok := str(out.Data, path...); tok != "" {
			tr.issued[tok] = len(tr.raws) - 1
		}
	}
	return out
}

func (tr *secTranscript) must(query string, r req) map[string]any {
	tr.s.t.Helper()
	out := tr.gql(query, r)
	if len(out.Errors) > 0 {
		tr.s.t.Fatalf("unexpected errors: %s", out.Raw)
	}
	return out.Data
}

func TestSecurityLog(t *testing.T) {
	s := start(t, sessTrustProxies("127.0.0.1/32"))
	tr := &secTranscript{s: s, issued: map[string]int{}}
	const email = "log@example.com"
	const wrongPassword = "Tr0ub4dor&3 but wrong"
	type want struct {
		kind, ip, ua, session string // session: "" for none
		at                    time.Time
	}
	var wants []want // oldest first
	step := 0
	// from is a client at its own address, one minute after the last step.
	from := func(ua string, tok string) (req, string) {
		step++
		s.Clock.Advance(time.Minute)
		ip := fmt.Sprintf("203.0.113.%d", step)
		return req{Token: tok, UserAgent: ua, Headers: map[string]string{"X-Forwarded-For": ip}}, ip
	}
	expect := func(kind, ip, ua, session string) {
		wants = append(wants, want{kind, ip, ua, session, s.Clock.Now()})
	}
	login := func(ua, pw string) (tok, id string) {
		t.Helper()
		r, ip := from(ua, "")
		r.Vars = map[string]any{"e": email, "p": pw}
		d := tr.must(sessLoginQuery, r)
		tok, id = str(d, "login", "auth", "token"), str(d, "login", "auth", "session", "id")
		expect("LOGGED_IN", ip, ua, id)
		return tok, id
	}

	r, ip := from(uaFirefoxWindows, "")
	r.Vars = map[string]any{"e": email, "p": testPassword}
	d := tr.must(sessSignUpQuery, r)
	tok0, s0 := str(d, "signUp", "token"), str(d, "signUp", "session", "id")
	expect("SIGNED_UP", ip, uaFirefoxWindows, s0)
	expect("LOGGED_IN", ip, uaFirefoxWindows, s0)

	r, ip = from(uaChromeMac, "")
	r.Vars = map[string]any{"e": email, "p": wrongPassword}
	sessWantCode(t, "wrong password", tr.gql(sessLoginQuery, r), "INVALID_CREDENTIALS")
	expect("LOGIN_FAILED", ip, uaChromeMac, "")

	r, _ = from(uaChromeMac, "")
	r.Vars = map[string]any{"e": "nobody@example.com", "p": wrongPassword}
	sessWantCode(t, "unknown email", tr.gql(sessLoginQuery, r), "INVALID_CREDENTIALS") // no account: nothing to record it on

	r, _ = from(uaDesktopApp, "")
	r.Vars = map[string]any{"e": "other@example.com", "p": testPassword}
	bobTok := str(tr.must(sessSignUpQuery, r), "signUp", "token") // someone else's log

	_, s1 := login(uaChromeMac, testPassword)
	tok2, s2 := login(uaSafariIPhone, testPassword)

	r, ip = from(uaSafariIPhone, tok2)
	r.Vars = map[string]any{"id": s1}
	tr.must(sessRevokeQuery, r)
	expect("SESSION_REVOKED", ip, uaSafariIPhone, s2)

	s.Clock.Advance(10 * time.Minute)
	r, ip = from(uaFirefoxWindows, tok0)
	r.Vars = map[string]any{"p": testPassword}
	tr.must(sessReauthQuery, r)
	expect("REAUTHENTICATED", ip, uaFirefoxWindows, s0)

	r, ip = from(uaFirefoxWindows, tok0)
	tr.must(sessRevokeOthersQuery, r)
	expect("SESSION_REVOKED", ip, uaFirefoxWindows, s0)

	tok3, _ := login(uaChromeMac, testPassword)

	r, ip = from(uaFirefoxWindows, tok0)
	r.Vars = map[string]any{"c": testPassword, "n": sessNewPassword}
	tr.must(sessChangePasswordQuery, r)
	expect("PASSWORD_CHANGED", ip, uaFirefoxWindows, s0)

	tok4, s4 := login(uaSafariIPhone, sessNewPassword)
	r, ip = from(uaSafariIPhone, tok4)
	tr.must(sessLogoutQuery, r)
	expect("LOGGED_OUT", ip, uaSafariIPhone, s4)

	nodes, total := s.secLog(tok0)
	if total != len(wants) || len(nodes) != len(wants) {
		t.Fatalf("log has %d entries (%v); want %d", total, secKinds(nodes), len(wants))
	}
	for i, n := range nodes {
		w := wants[len(wants)-1-i] // newest first
		browser, os := agent.Parse(w.ua)
		got := fmt.Sprintf("%s ip=%s ua=%q browser=%s os=%s session=%v", str(n, "kind"), str(n, "ip"), str(n, "userAgent"), str(n, "browser"), str(n, "os"), n["sessionId"])
		wantSession := any(nil)
		if w.session != "" {
			wantSession = w.session
		}
		exp := fmt.Sprintf("%s ip=%s ua=%q browser=%s os=%s session=%v", w.kind, w.ip, w.ua, browser, os, wantSession)
		if got != exp {
			t.Errorf("entry %d:\n got %s\nwant %s", i, got, exp)
		}
		if at := sessTime(t, n, "at"); !at.Equal(w.at) {
			t.Errorf("entry %d (%s): at %s; want %s", i, w.kind, at, w.at)
		}
		if str(n, "id") == "" {
			t.Errorf("entry %d has no id", i)
		}
	}
	if bob, _ := s.secLog(bobTok); len(bob) != 2 {
		t.Errorf("the other account's log is %v; want its own SIGNED_UP and LOGGED_IN", secKinds(bob))
	}

	t.Run("pages", func(t *testing.T) {
		var walked []string
		var after any
		for range len(wants) {
			d := s.must(secLogQuery, req{Token: tok0, Vars: map[string]any{"first": 5, "after": after}})
			conn := get(d, "viewer", "securityEvents")
			for _, e := range get(conn, "edges").([]any) {
				walked = append(walked, str(e, "node", "id"))
			}
			if get(conn, "pageInfo", "hasNextPage") != true {
				break
			}
			after = get(conn, "pageInfo", "endCursor")
		}
		var ids []string
		for _, n := range nodes {
			ids = append(ids, str(n, "id"))
		}
		if strings.Join(walked, ",") != strings.Join(ids, ",") {
			t.Errorf("walking 5 at a time gave %d entries; want the same %d as one page", len(walked), len(ids))
		}
	})

	t.Run("one log line per event", func(t *testing.T) {
		lines := secLogLines(t, s.Logs.String())
		for _, w := range wants {
			found := false
			for _, l := range lines {
				if l["event"] == w.kind && l["ip"] == w.ip && (w.session == "" || l["session_id"] == w.session) {
					found = true
				}
			}
			if !found {
				t.Errorf("no log line for %s from %s", w.kind, w.ip)
			}
		}
	})

	t.Run("no secrets in responses or logs", func(t *testing.T) {
		secrets := []string{testPassword, sessNewPassword, wrongPassword}
		tokens := []string{tok0, tok2, tok3, tok4, bobTok}
		for i, raw := range tr.raws {
			assertNoSecret(t, fmt.Sprintf("response %d", i), raw, secrets...)
			for _, tok := range tokens {
				if tr.issued[tok] != i {
					assertNoSecret(t, fmt.Sprintf("response %d", i), raw, tok)
				}
			}
		}
		logs := s.Logs.String()
		assertNoSecret(t, "the server log", logs, append(secrets, tokens...)...)
		for _, tok := range tokens {
			// Nor the part after the prefix, in case a line trims it.
			assertNoSecret(t, "the server log", logs, strings.TrimPrefix(tok, "lt_"))
		}
	})
}

// secLogLines are the log's "security event" lines, decoded.
func secLogLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if l["msg"] == "security event" {
			out = append(out, l)
		}
	}
	return out
}

// User agents are client-written: they are stored cut to 512 bytes and
// without the control and format characters that forge log lines or
// reorder text on screen.
func TestUserAgentsAreStoredClean(t *testing.T) {
	s := start(t)
	tests := []struct {
		name, ua string
		browser  string // "" to skip
	}{
		{name: "bidi override", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 \u202eFirefox/133.0", browser: "Firefox 133"},
		{name: "C1 controls", ua: "curl/8.5.0\u0085\u009b2J\u0080"},
		{name: "line separators", ua: "curl/8.5.0\u2028forged line\u2029"},
		{name: "zero width and isolates", ua: "cu\u200brl\u2066/8\ufeff.5.0"},
		{name: "tab", ua: "curl/8.5.0\tforged"},
		{name: "invalid UTF-8", ua: "curl/8.5.0 \xff\xfe\xc3("},
		{name: "10 KB", ua: uaChromeMac + strings.Repeat(" \u202eA", 10<<10/4), browser: "Chrome 131"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.sessSignUp(fmt.Sprintf("ua%d@example.com", i), req{UserAgent: tt.ua})
			secCheckAgent(t, s, c.Token, uuid.MustParse(c.ID()), tt.ua, tt.browser)
		})
	}

	// Go's HTTP client refuses to send C0 controls, so send them by hand.
	t.Run("C0 controls", func(t *testing.T) {
		raw := "curl/8.5.0\x01\x1b[2J\x7f"
		body := fmt.Sprintf(`{"query":%q,"variables":{"e":"c0@example.com","p":%q}}`, sessSignUpQuery, testPassword)
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nUser-Agent: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", raw, len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusBadRequest {
			// Refused at the HTTP layer (Go's server does): also safe, as
			// long as nothing was stored.
			if n, err := s.DB.Client.User.Query().Where(user.Email("c0@example.com")).Count(context.Background()); err != nil || n != 0 {
				t.Errorf("refused request created %d accounts (%v)", n, err)
			}
			return
		}
		var out gqlResponse
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("sign-up with a C0 user agent: %v %v", err, out.Errors)
		}
		secCheckAgent(t, s, str(out.Data, "signUp", "token"), uuid.MustParse(str(out.Data, "signUp", "session", "id")), raw, "")
	})
}

// secCheckAgent checks the user agent of session id as the API shows it
// and as the database stores it, in the session and its log entries.
func secCheckAgent(t *testing.T, s *testServer, tok string, id uuid.UUID, raw, browser string) {
	t.Helper()
	ctx := context.Background()
	want := agent.Clean(raw)
	check := func(where, got string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: user agent %q; want %q", where, got, want)
		}
		if len(got) > agent.MaxLen || !utf8.ValidString(got) {
			t.Errorf("%s: %d bytes, valid UTF-8 %v; want at most %d bytes of UTF-8", where, len(got), utf8.ValidString(got), agent.MaxLen)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Errorf("%s: user agent holds %U", where, r)
			}
		}
	}
	nodes, _ := s.sessList(tok)
	if len(nodes) != 1 {
		t.Fatalf("%d sessions listed; want 1", len(nodes))
	}
	check("API session", str(nodes[0], "userAgent"))
	if browser != "" && str(nodes[0], "browser") != browser {
		t.Errorf("browser %q; want %q", str(nodes[0], "browser"), browser)
	}
	evs, _ := s.secLog(tok)
	for _, e := range evs {
		check("API "+str(e, "kind"), str(e, "userAgent"))
	}
	row, err := s.DB.Client.Session.Query().Where(entsession.ID(id)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("stored session", row.UserAgent)
	rows, err := s.DB.Client.SecurityEvent.Query().Where(securityevent.SessionID(id)).All(ctx)
	if err != nil || len(rows) == 0 {
		t.Fatalf("stored events: %d, %v", len(rows), err)
	}
	for _, e := range rows {
		check("stored "+string(e.Kind), e.UserAgent)
	}
}

// The retention sweep deletes entries older than --event-retention and
// keeps the rest.
func TestSecurityLogRetention(t *testing.T) {
	tests := []struct {
		name    string
		opts    []serverOption
		advance time.Duration
	}{
		{name: "default 90 days", advance: 91 * 24 * time.Hour},
		{name: "short retention", opts: []serverOption{func(c *Config) { c.EventRetention = time.Hour }}, advance: time.Hour + time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opts...)
			ctx := context.Background()
			const email = "retention@example.com"
			s.sessSignUp(email, req{})
			s.sessLogin(email, testPassword, req{})
			other := s.sessSignUp("neighbour@example.com", req{})
			s.Clock.Advance(tt.advance / 2)
			kept := s.sessLogin(email, testPassword, req{}) // younger than the retention at sweep time
			s.Clock.Advance(tt.advance - tt.advance/2)
			me := s.sessLogin(email, testPassword, req{})

			before, total := s.secLog(me.Token)
			if total != 5 {
				t.Fatalf("log before the sweep: %v; want 5 entries", secKinds(before))
			}
			s.SweepOnce(ctx)
			after, total := s.secLog(me.Token)
			if total != 2 || str(after[0], "sessionId") != me.ID() || str(after[1], "sessionId") != kept.ID() {
				t.Errorf("log after the sweep: %v; want only the 2 recent LOGGED_IN", secKinds(after))
			}
			if n, _ := s.DB.Client.SecurityEvent.Query().Where(securityevent.UserID(uuid.MustParse(other.UserID))).Count(ctx); n != 0 {
				t.Errorf("the neighbour still has %d old entries", n)
			}
			cutoff := s.Clock.Now().Add(-s.Config.EventRetention)
			if n, _ := s.DB.Client.SecurityEvent.Query().Where(securityevent.AtLT(cutoff)).Count(ctx); n != 0 {
				t.Errorf("%d entries older than the retention remain", n)
			}
			if n, _ := s.DB.Client.SecurityEvent.Query().Count(ctx); n != 2 {
				t.Errorf("%d entries in the database; want 2", n)
			}
		})
	}
}
