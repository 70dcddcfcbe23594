package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/agent"
	"github.com/latchhq/latch/audit"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/live"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/token"
)

// BenchmarkRevokeFanout: how one revocation reaches N idle subscribers of
// one user on one instance, and what each idle subscriber costs.
//
//	hub/N=…        the live.Hub alone (Open + Feed + a reader per subscriber,
//	               no network), against a raw channel fan-out to N readers
//	websocket/N=…  real websockets through the real server, revoke over
//	               HTTP, against a single websocket subscriber in the same run
//
// Both run at N = 1,000 and 10,000. The websocket client ends live in a
// second process (this test binary again, as TestWSBenchClient; see
// ws_benchclient_test.go): with both ends in one process every socket is
// two descriptors, and 10,000 of them would reach the hard limit of open
// files (20,000) before the database and the listener. Here the server
// process holds N socket descriptors, the client process N.
//
// The websocket runs give each subscriber a session of its own (one user,
// N sessions inserted straight into the database, so no CREATED has to
// reach everyone first), and every round revokes a further session of the
// user that has no socket: the N sockets stay open and are reused by every
// round. The baseline is the same with one socket (its own client
// process), 20 rounds, on the same server before the N sockets open. The
// websocket runs use b.Loop, so their setup (10,000 sockets take about
// 5 s) runs once, not once more for the b.N = 1 probe round.
//
// Metrics: ns/last-delivery is from the commit to the moment the last
// subscriber has the event: for the hub, from the Publish the commit hook
// makes; for websockets, from the revoke's COMMIT (timed in the committing
// goroutine, see commitTimes) to the latest arrival of the REVOKED message
// at a client socket, as the client process's reader saw it (both
// processes read the same wall clock; client and server share the CPUs).
// x-raw and x-single are its ratio to the baseline. heap-B/sub and
// stack-B/sub are the in-use heap and goroutine stacks per subscriber
// after a GC; for websockets, of the server process only.
//
//	go test -run '^$' -bench BenchmarkRevokeFanout -benchtime 20x ./server/
func BenchmarkRevokeFanout(b *testing.B) {
	sizes := []int{1000, 10000}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("hub/N=%d", n), func(b *testing.B) { benchHubFanout(b, n) })
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("websocket/N=%d", n), func(b *testing.B) { benchWSFanout(b, n) })
	}
}

// memUse is the in-use heap and stack after a full collection.
func memUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// perSub measures the memory n subscribers took since heap0, stack0; its
// result reports it (after b.ResetTimer, which drops reported metrics).
func perSub(b *testing.B, heap0, stack0 uint64, n int) (report func()) {
	heap, stack := memUse()
	h := float64(int64(heap)-int64(heap0)) / float64(n)
	st := float64(int64(stack)-int64(stack0)) / float64(n)
	return func() {
		b.ReportMetric(h, "heap-B/sub")
		b.ReportMetric(st, "stack-B/sub")
	}
}

// counter tells when the n-th delivery of a round happened.
type counter struct {
	got, want atomic.Int64
	last      chan time.Time
}

func newCounter() *counter { return &counter{last: make(chan time.Time, 1)} }

func (c *counter) arm(n int) { c.got.Store(0); c.want.Store(int64(n)) }

func (c *counter) hit() {
	if c.got.Add(1) == c.want.Load() {
		c.last <- time.Now()
	}
}

func benchHubFanout(b *testing.B, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := events.NewLocal()
	hub := live.NewHub(bus, live.Limits{SocketsPerSession: wsSocketsPerSession, FeedsPerSocket: wsFeedsPerSocket, Grace: wsRevokeGrace})
	user := uuid.New()

	heap0, stack0 := memUse()
	hits := newCounter()
	var s *ent.Session
	for i := range n {
		if i%wsSocketsPerSession == 0 {
			s = &ent.Session{ID: uuid.New(), UserID: user}
		}
		cctx, err := hub.Open(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		feed, err := live.Feed(cctx)
		if err != nil {
			b.Fatal(err)
		}
		go func() { // the subscription resolver's place
			for range feed {
				hits.hit()
			}
		}()
	}
	reportMem := perSub(b, heap0, stack0, n)

	// Baseline: the same fan-out over bare buffered channels.
	rawHits := newCounter()
	raw := make([]chan events.SessionEvent, n)
	for i := range raw {
		raw[i] = make(chan events.SessionEvent, events.Buffer)
		go func(c chan events.SessionEvent) {
			for range c {
				rawHits.hit()
			}
		}(raw[i])
	}
	defer func() {
		for _, c := range raw {
			close(c)
		}
	}()

	other := &ent.Session{ID: uuid.New(), UserID: user} // not a subscriber's own: nobody closes
	ev := events.SessionEvent{Kind: events.Revoked, Session: other, At: time.Now()}
	var rawTotal, hubTotal time.Duration
	for range b.N {
		rawHits.arm(n)
		t0 := time.Now()
		for _, c := range raw {
			c <- ev
		}
		rawTotal += (<-rawHits.last).Sub(t0)
	}
	b.ResetTimer()
	for range b.N {
		hits.arm(n)
		t0 := time.Now()
		bus.Publish(ctx, ev)
		hubTotal += (<-hits.last).Sub(t0)
	}
	b.StopTimer()
	if got := hub.Sockets(); got != n {
		b.Fatalf("%d sockets open after the fan-out; want %d (some were dropped)", got, n)
	}
	hubNs := float64(hubTotal.Nanoseconds()) / float64(b.N)
	rawNs := float64(rawTotal.Nanoseconds()) / float64(b.N)
	b.ReportMetric(hubNs, "ns/last-delivery")
	b.ReportMetric(rawNs, "raw-ns/last-delivery")
	b.ReportMetric(hubNs/rawNs, "x-raw")
	reportMem()
}

// wsBenchUA is the user agent of the benchmark's sessions.
const wsBenchUA = "latch-bench"

func benchWSFanout(b *testing.B, n int) {
	raiseFDLimit(b)
	s := start(b)
	me := s.wsSignUp("bench@example.com", "")
	revoker := me.Token // recent: the clock never moves
	userID := uuid.MustParse(me.UserID)

	commits := s.revokeCommits(userID)

	// revoke revokes session id (one without a socket, so every socket
	// stays open) and returns the time from its commit to the last of c's
	// deliveries, which c reports as round k.
	revoke := func(c *benchClient, k int, id string) time.Duration {
		s.must(wsRevokeQuery, req{Token: revoker, Vars: map[string]any{"id": id}})
		at := commits.next()
		return time.Duration(c.revoked(k) - at)
	}

	// Baseline: one subscriber.
	_, one := s.benchSessions(userID, 1)
	single := startBenchClient(b, s, one)
	single.waitSubscribed(s, 1)
	const singleRounds = 20
	var singleTotal time.Duration
	for k := range singleRounds {
		ids, _ := s.benchSessions(userID, 1)
		singleTotal += revoke(single, k+1, ids[0])
	}
	single.stop()
	single.waitFor("baseline socket released", 10*time.Second, func() bool { return s.Hub.Sockets() == 0 })

	// N subscribers, a session each.
	_, toks := s.benchSessions(userID, n)
	heap0, stack0 := memUse()
	t0 := time.Now()
	c := startBenchClient(b, s, toks)
	c.waitSubscribed(s, n)
	if testing.Verbose() {
		b.Logf("%d sockets subscribed in %s", n, time.Since(t0).Round(time.Millisecond))
	}
	reportMem := perSub(b, heap0, stack0, n)

	var total time.Duration
	k := 0
	for b.Loop() {
		b.StopTimer()
		ids, _ := s.benchSessions(userID, 1)
		k++
		b.StartTimer()
		total += revoke(c, k, ids[0])
	}
	if got := s.Hub.Sockets(); got != n {
		b.Fatalf("%d sockets open after the fan-out; want %d", got, n)
	}
	c.stop()
	perN := float64(total.Nanoseconds()) / float64(k)
	perOne := float64(singleTotal.Nanoseconds()) / singleRounds
	b.ReportMetric(perN, "ns/last-delivery")
	b.ReportMetric(perOne, "single-ns/last-delivery")
	b.ReportMetric(perN/perOne, "x-single")
	reportMem()
}

// benchSessions inserts n live sessions of userID straight into the
// database (nothing is published) and returns their ids and tokens.
func (s *testServer) benchSessions(userID uuid.UUID, n int) (ids, toks []string) {
	s.t.Helper()
	const chunk = 500 // 12 columns a row: well inside SQLite's bound on variables
	now := s.Clock.Now()
	browser, osName := agent.Parse(wsBenchUA)
	for len(ids) < n {
		var rows []*ent.SessionCreate
		for range min(chunk, n-len(ids)) {
			plain, hash, err := token.New(rand.Reader, token.SessionPrefix)
			if err != nil {
				s.t.Fatal(err)
			}
			id, err := uuid.NewV7()
			if err != nil {
				s.t.Fatal(err)
			}
			rows = append(rows, s.DB.Session.Create().
				SetID(id).
				SetUserID(userID).
				SetTokenHash(hash).
				SetIP("127.0.0.1").
				SetUserAgent(wsBenchUA).
				SetBrowser(browser).
				SetOs(osName).
				SetCreatedAt(now).
				SetLastSeenAt(now).
				SetAuthenticatedAt(now).
				SetExpiresAt(now.Add(s.Config.SessionLifetime)).
				SetMethods([]string{session.MethodPassword}))
			ids = append(ids, id.String())
			toks = append(toks, plain)
		}
		if err := s.DB.Session.CreateBulk(rows...).Exec(context.Background()); err != nil {
			s.t.Fatal(err)
		}
	}
	return ids, toks
}

// commitTimes tells when each revoke of the benchmark committed, timed
// in the committing goroutine.
//
// A bus subscriber will not do: it hears of the commit from Publish, but
// its goroutine then waits its turn behind the N socket goroutines Publish
// has just woken, and at N = 10,000 that was found to be ~200 ms late
// (~60 µs at N = 1), hiding most of the fan-out.
type commitTimes struct {
	t     testing.TB
	at    chan int64
	guard *events.Subscription // unread: holds an event iff Publish already ran
	order chan error
}

// revokeCommits hooks the server's ent client: the insert of a
// SESSION_REVOKED security event registers a commit hook on its
// transaction, which notes the time right after the real COMMIT (and the
// audit log line, whose hook runs inside ours). The session manager
// registered its own hook, the one that publishes, before (Revoke ends the
// session, then records the event), so ours runs inside it: after COMMIT,
// before Publish. The guard subscription checks that order every round.
// Call it before the server has work: hooks are not meant to be added
// concurrently.
func (s *testServer) revokeCommits(userID uuid.UUID) *commitTimes {
	ct := &commitTimes{
		t:     s.t,
		at:    make(chan int64, 1),
		guard: s.Bus.Subscribe(userID),
		order: make(chan error, 1),
	}
	s.t.Cleanup(ct.guard.Cancel)
	s.DB.SecurityEvent.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			se, ok := m.(*ent.SecurityEventMutation)
			if !ok || err != nil {
				return v, err
			}
			if kind, _ := se.Kind(); kind != audit.SessionRevoked {
				return v, err
			}
			tx, terr := se.Tx()
			if terr != nil {
				return v, err
			}
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					if err := next.Commit(ctx, tx); err != nil {
						return err
					}
					at := time.Now().UnixNano()
					if len(ct.guard.C) > 0 {
						select {
						case ct.order <- errors.New("the commit hook ran after Publish: the commit time would be late"):
						default:
						}
					}
					ct.at <- at
					return nil
				})
			})
			return v, err
		})
	})
	return ct
}

// next is the commit time of the revoke just made, in Unix nanoseconds.
func (ct *commitTimes) next() int64 {
	ct.t.Helper()
	var at int64
	select {
	case at = <-ct.at:
	case <-time.After(10 * time.Second):
		ct.t.Fatal("no revoke committed")
	}
	select {
	case err := <-ct.order:
		ct.t.Fatal(err)
	default:
	}
	// Publish ran before the mutation answered; empty the guard for the
	// next round.
	for len(ct.guard.C) > 0 {
		<-ct.guard.C
	}
	return at
}

// benchClient is a running client process (TestWSBenchClient) holding one
// socket per token.
type benchClient struct {
	b     *testing.B
	n     int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan []string // its protocol lines, the prefix cut off; "lost" ones excepted
	quit  chan struct{} // closed by stop: nobody reads lines any more
	lost  chan struct{} // closed at its first "lost" line, kept in lostLine
	done  chan struct{} // closed once it exited, with err set
	diag  syncBuffer    // everything else it wrote, for failures

	lostLine string
	err      error
	once     sync.Once
}

// startBenchClient starts the client process for toks; b's cleanup stops
// it (by closing its stdin, or killing it if it does not exit).
func startBenchClient(b *testing.B, s *testServer, toks []string) *benchClient {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte(strings.Join(toks, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestWSBenchClient$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		wsBenchClientEnv+"=1",
		wsBenchURLEnv+"="+s.wsURL(),
		wsBenchNEnv+"="+strconv.Itoa(len(toks)),
		wsBenchTokensEnv+"="+path,
	)
	c := &benchClient{
		b: b, n: len(toks), cmd: cmd,
		lines: make(chan []string, 16),
		quit:  make(chan struct{}),
		lost:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	cmd.Stderr = &c.diag
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go c.readOutput(stdout)
	b.Cleanup(c.stop)
	return c
}

func (c *benchClient) readOutput(stdout io.Reader) {
	defer close(c.done)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), wsBenchPrefix)
		switch {
		case !ok:
			fmt.Fprintln(&c.diag, sc.Text())
		case strings.HasPrefix(rest, "lost "):
			select {
			case <-c.lost:
			default:
				c.lostLine = rest
				close(c.lost)
			}
		default:
			select {
			case c.lines <- strings.Fields(rest):
			case <-c.quit:
			}
		}
	}
	c.err = c.cmd.Wait() // after the last read, as Wait wants
}

// stop ends the process: EOF on its stdin has it close its sockets and
// exit. It reports an exit with an error unless the benchmark already
// failed.
func (c *benchClient) stop() {
	c.once.Do(func() {
		close(c.quit)
		_ = c.stdin.Close()
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
			c.b.Errorf("the client process did not exit; killed it\n%s", c.diag.String())
			return
		}
		if c.err != nil && !c.b.Failed() {
			c.b.Errorf("the client process: %v\n%s", c.err, c.diag.String())
		}
	})
}

// fail ends the benchmark with what the client process said.
func (c *benchClient) fail(format string, args ...any) {
	c.b.Helper()
	c.b.Fatalf("%s\nclient process output:\n%s", fmt.Sprintf(format, args...), c.diag.String())
}

// expect waits for the next protocol line, which must be of kind.
func (c *benchClient) expect(kind string, within time.Duration) []string {
	c.b.Helper()
	select {
	case f := <-c.lines:
		if len(f) == 0 || f[0] != kind {
			c.fail("client said %q; want %s", f, kind)
		}
		return f
	case <-c.lost:
		c.fail("client: %s", c.lostLine)
	case <-c.done:
		c.fail("client exited (%v) waiting for %s", c.err, kind)
	case <-time.After(within):
		c.fail("no %s from the client within %s", kind, within)
	}
	return nil
}

// waitFor polls cond while the client runs, failing after within.
func (c *benchClient) waitFor(what string, within time.Duration, cond func() bool) {
	c.b.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			c.fail("%s: not within %s", what, within)
		}
		select {
		case <-c.lost:
			c.fail("%s: client: %s", what, c.lostLine)
		case <-c.done:
			select {
			case <-c.quit: // stopped on purpose: only cond matters
				time.Sleep(2 * time.Millisecond)
			default:
				c.fail("%s: client exited (%v)", what, c.err)
			}
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// waitSubscribed waits until the client has all its sockets open and the
// server's hub holds n subscriptions.
func (c *benchClient) waitSubscribed(s *testServer, n int) {
	c.b.Helper()
	within := time.Minute + time.Duration(c.n)*10*time.Millisecond
	c.expect("ready", within)
	c.waitFor("hub feeds", within, func() bool { return s.Hub.Feeds() == n })
}

// revoked waits for the client's report of round k and returns the latest
// arrival of its REVOKED, in Unix nanoseconds.
func (c *benchClient) revoked(k int) int64 {
	c.b.Helper()
	f := c.expect("revoked", 30*time.Second)
	if len(f) != 3 || f[1] != strconv.Itoa(k) {
		c.fail("client said %q; want revoked %d …", f, k)
	}
	at, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		c.fail("client said %q: %v", f, err)
	}
	return at
}
