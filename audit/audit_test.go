package audit_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/client"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/cursor"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/securityevent"
	"github.com/latchhq/latch/internal/dbtest"
)

type env struct {
	ctx   context.Context
	db    *ent.Client
	clock *clock.Manual
	log   *audit.Log
	logs  *strings.Builder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := client.With(context.Background(), client.Meta{IP: "198.51.100.7", UserAgent: "curl/8.5.0"})
	db := dbtest.Open(t, ctx)
	clk := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	logs := &strings.Builder{}
	return &env{ctx: ctx, db: db.Client, clock: clk, log: audit.New(clk, slog.New(slog.NewJSONHandler(logs, nil))), logs: logs}
}

func (e *env) user(t *testing.T) uuid.UUID {
	t.Helper()
	return dbtest.User(t, e.ctx, e.db, e.clock.Now())
}

func (e *env) record(t *testing.T, u uuid.UUID, kind audit.Kind) {
	t.Helper()
	if err := e.log.Record(e.ctx, e.db, u, nil, kind); err != nil {
		t.Fatal(err)
	}
}

func kinds(evs []*ent.SecurityEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind))
	}
	return out
}

func TestRecord(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	sid := uuid.New()
	if err := e.log.Record(e.ctx, e.db, u, &sid, audit.LoggedIn, slog.String("reason", "test")); err != nil {
		t.Fatal(err)
	}
	p, err := audit.List(e.ctx, e.db, u, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalCount != 1 || len(p.Events) != 1 {
		t.Fatalf("%d events; want 1", p.TotalCount)
	}
	ev := p.Events[0]
	if ev.Kind != audit.LoggedIn || ev.IP != "198.51.100.7" || ev.UserAgent != "curl/8.5.0" || !ev.At.Equal(e.clock.Now()) || ev.SessionID == nil || *ev.SessionID != sid {
		t.Errorf("stored %+v", ev)
	}
	line := e.logs.String()
	for _, want := range []string{`"event":"LOGGED_IN"`, `"ip":"198.51.100.7"`, `"user_id":"` + u.String(), `"session_id":"` + sid.String(), `"reason":"test"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %s lacks %s", line, want)
		}
	}
}

// Events recorded in the same instant (sign-up writes SIGNED_UP and
// LOGGED_IN together) still list newest first: in the order they happened,
// reversed.
func TestListNewestFirstWithinAnInstant(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	order := []audit.Kind{audit.SignedUp, audit.LoggedIn, audit.Reauthenticated, audit.SessionRevoked, audit.PasswordChanged, audit.LoggedOut}
	var want []string
	for range 5 {
		for _, k := range order {
			e.record(t, u, k)
			want = append([]string{string(k)}, want...)
		}
	}
	p, err := audit.List(e.ctx, e.db, u, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(p.Events); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("listed\n%v\nwant\n%v", got, want)
	}
}

func TestListPages(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user(t), e.user(t)
	for i := range 25 {
		if i%3 == 0 {
			e.clock.Advance(time.Second)
		}
		e.record(t, alice, audit.LoggedIn)
		e.record(t, bob, audit.LoggedIn)
	}
	all, err := audit.List(e.ctx, e.db, alice, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all.TotalCount != 25 || len(all.Events) != 25 || all.HasNext {
		t.Fatalf("total %d, %d listed, hasNext %v; want 25 of alice's only", all.TotalCount, len(all.Events), all.HasNext)
	}
	var walked []uuid.UUID
	var after *string
	for range 10 {
		p, err := audit.List(e.ctx, e.db, alice, 7, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			if ev.UserID != alice {
				t.Fatal("bob's event in alice's log")
			}
			walked = append(walked, ev.ID)
		}
		if !p.HasNext {
			break
		}
		c := cursor.Encode(audit.Key(p.Events[len(p.Events)-1]))
		after = &c
		e.clock.Advance(time.Second)
		e.record(t, alice, audit.LoggedIn) // newer than the walk: not in it
	}
	if len(walked) != 25 {
		t.Fatalf("walked %d events; want 25", len(walked))
	}
	for i, ev := range all.Events {
		if walked[i] != ev.ID {
			t.Fatalf("page walk differs from the full list at %d", i)
		}
	}

	for _, bad := range []string{"x", "", strings.Repeat("A", 200)} {
		_, err := audit.List(e.ctx, e.db, alice, 10, &bad)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != "after" {
			t.Errorf("List(after: %q) = %v; want BAD_USER_INPUT on after", bad, err)
		}
	}
}

// The retention sweep deletes only events older than retention, at most
// batch per call.
func TestSweep(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	const retention = 90 * 24 * time.Hour
	for range 12 {
		e.record(t, u, audit.LoggedIn)
	}
	e.clock.Advance(retention)
	e.record(t, u, audit.LoggedOut) // exactly at the limit once swept below
	e.clock.Advance(time.Second)
	e.record(t, u, audit.SignedUp)

	var got []int
	for range 5 {
		n, err := audit.Sweep(e.ctx, e.db, e.clock.Now(), retention, 5)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		if n == 0 {
			break
		}
	}
	if want := []int{5, 5, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("sweeps deleted %v; want [5 5 2 0]", got)
	}
	left, err := e.db.SecurityEvent.Query().Order(securityevent.ByAt()).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(left); strings.Join(k, " ") != "LOGGED_OUT SIGNED_UP" {
		t.Errorf("kept %v; want the two recent events", k)
	}
}
