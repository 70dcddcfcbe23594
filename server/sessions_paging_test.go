package main

import (
	"context"
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
