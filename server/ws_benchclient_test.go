package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
)

// The client process of BenchmarkRevokeFanout's websocket runs. 10,000
// sockets with both ends in one process are 20,000 descriptors, the hard
// limit of open files; so the benchmark runs its own test binary again as
// TestWSBenchClient, which holds the client ends, and keeps the server ends.
//
// The parent passes, in the environment:
//
//	LATCH_WS_BENCH_CLIENT=1        run at all (otherwise the test skips)
//	LATCH_WS_BENCH_URL=ws://…      the server's /graphql
//	LATCH_WS_BENCH_N=…             how many sockets
//	LATCH_WS_BENCH_TOKENS=path     N session tokens, one a line; socket i
//	                               connects with token i
//
// The client opens the N sockets (graphql-transport-ws, connection_init
// with the token, subscribe to sessionEvents), prints "wsbench ready N",
// and then, each time every socket has received its k-th REVOKED event,
// prints "wsbench revoked k T" with T the latest of those N arrivals in
// Unix nanoseconds (the wall clock, shared with the parent). A socket that
// ends early prints "wsbench lost …". When stdin reaches EOF (the parent
// is done, or gone) it closes every socket and exits.
const (
	wsBenchClientEnv = "LATCH_WS_BENCH_CLIENT"
	wsBenchURLEnv    = "LATCH_WS_BENCH_URL"
	wsBenchNEnv      = "LATCH_WS_BENCH_N"
	wsBenchTokensEnv = "LATCH_WS_BENCH_TOKENS"

	wsBenchPrefix = "wsbench " // on every line of the protocol on stdout
	wsBenchQuery  = `subscription { sessionEvents { kind session { id } } }`

	wsBenchDialers = 64 // sockets dialled at once: stays inside the listen backlog
)

func TestWSBenchClient(t *testing.T) {
	if os.Getenv(wsBenchClientEnv) != "1" {
		// Not a test: the entry point of BenchmarkRevokeFanout's client
		// process. Returning (not skipping) keeps CI's no-skip rule honest.
		return
	}
	raiseFDLimit(t)
	url := os.Getenv(wsBenchURLEnv)
	n, err := strconv.Atoi(os.Getenv(wsBenchNEnv))
	if err != nil || n <= 0 || url == "" {
		t.Fatalf("bad %s=%q or %s=%q", wsBenchNEnv, os.Getenv(wsBenchNEnv), wsBenchURLEnv, url)
	}
	raw, err := os.ReadFile(os.Getenv(wsBenchTokensEnv))
	if err != nil {
		t.Fatal(err)
	}
	toks := strings.Fields(string(raw))
	if len(toks) != n {
		t.Fatalf("%d tokens for %d sockets", len(toks), n)
	}

	out := &benchOut{w: bufio.NewWriter(os.Stdout)}
	arr := &arrivals{n: n, out: out}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stopping sync.Once
	conns := make([]*coderws.Conn, n)
	var readers sync.WaitGroup
	defer func() { // on every way out, failures included
		stopping.Do(stop)
		for _, c := range conns {
			if c != nil {
				_ = c.CloseNow()
			}
		}
		readers.Wait()
	}()

	// Dial with a bounded number of workers.
	next := make(chan int)
	errs := make(chan error, wsBenchDialers)
	var dialers sync.WaitGroup
	for range wsBenchDialers {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for i := range next {
				c, err := benchClientOpen(ctx, url, toks[i])
				if err != nil {
					errs <- fmt.Errorf("socket %d: %w", i, err)
					return
				}
				conns[i] = c
				readers.Add(1)
				go func() {
					defer readers.Done()
					benchClientRead(ctx, c, i, arr, out)
				}()
			}
		}()
	}
	var dialErr error
feed:
	for i := range n {
		select {
		case next <- i:
		case dialErr = <-errs:
			break feed
		}
	}
	close(next)
	dialers.Wait()
	if dialErr == nil {
		select {
		case dialErr = <-errs:
		default:
		}
	}
	if dialErr != nil {
		t.Fatal(dialErr)
	}
	out.line("ready %d", n)

	// The parent closes stdin when it is done with us, or by dying.
	_, _ = io.Copy(io.Discard, os.Stdin)
	stopping.Do(stop)
}

// benchClientOpen dials, authenticates with tok and subscribes; it returns
// once the subscribe message is written (graphql-transport-ws has no
// answer to it: the parent watches the server's hub for the subscription).
func benchClientOpen(ctx context.Context, url, tok string) (*coderws.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := coderws.Dial(dctx, url, &coderws.DialOptions{Subprotocols: []string{protoTransportWS}})
	if err != nil {
		return nil, err
	}
	send := func(v any) error {
		m, _ := json.Marshal(v)
		return c.Write(dctx, coderws.MessageText, m)
	}
	fail := func(err error) (*coderws.Conn, error) { _ = c.CloseNow(); return nil, err }
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + tok}}); err != nil {
		return fail(err)
	}
	for {
		_, m, err := c.Read(dctx)
		if err != nil {
			return fail(fmt.Errorf("waiting for connection_ack: %w", err))
		}
		var msg wsMsg
		if err := json.Unmarshal(m, &msg); err != nil {
			return fail(fmt.Errorf("not JSON: %s", m))
		}
		if msg.Type == "connection_ack" {
			break
		}
		if !skippable(msg) {
			return fail(fmt.Errorf("got %s; want connection_ack", msg))
		}
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": wsBenchQuery}}); err != nil {
		return fail(err)
	}
	return c, nil
}

// benchClientRead is socket i's reader: it answers pings, and notes the
// arrival of each REVOKED. It returns when the socket ends.
func benchClientRead(ctx context.Context, c *coderws.Conn, i int, arr *arrivals, out *benchOut) {
	k := 0 // REVOKED events seen
	for {
		_, m, err := c.Read(ctx)
		at := time.Now().UnixNano() // before any decoding
		if err != nil {
			if ctx.Err() == nil {
				out.line("lost socket %d: %v", i, err)
			}
			return
		}
		var msg struct {
			Type    string `json:"type"`
			Payload struct {
				Data struct {
					SessionEvents struct{ Kind string } `json:"sessionEvents"`
				} `json:"data"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(m, &msg); err != nil {
			out.line("lost socket %d: not JSON: %.200s", i, m)
			return
		}
		switch msg.Type {
		case "next":
			if msg.Payload.Data.SessionEvents.Kind == "REVOKED" {
				k++
				arr.hit(k, at)
			}
		case "ping": // gqlgen's PingPongInterval: no pong in time closes the socket
			_ = c.Write(ctx, coderws.MessageText, []byte(`{"type":"pong"}`))
		case "pong", "ka":
		default: // error or complete: the subscription is over
			out.line("lost socket %d: %.200s", i, m)
			return
		}
	}
}

// arrivals collects, per round k, how many sockets have their k-th REVOKED
// and the latest arrival; it reports a round once all n have it.
type arrivals struct {
	n   int
	out *benchOut

	mu     sync.Mutex
	rounds []arrivalRound
}

type arrivalRound struct {
	got  int
	last int64
}

func (a *arrivals) hit(k int, at int64) {
	a.mu.Lock()
	for len(a.rounds) < k {
		a.rounds = append(a.rounds, arrivalRound{})
	}
	r := &a.rounds[k-1]
	r.got++
	r.last = max(r.last, at)
	done, last := r.got == a.n, r.last
	a.mu.Unlock()
	if done {
		a.out.line("revoked %d %d", k, last)
	}
}

// benchOut writes whole protocol lines to stdout, one at a time.
type benchOut struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (o *benchOut) line(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, wsBenchPrefix+format+"\n", args...)
	_ = o.w.Flush()
}

// raiseFDLimit raises the soft limit of open files to the hard one (Go
// does so at start-up too, but only for its own process; be explicit).
func raiseFDLimit(tb testing.TB) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Fatalf("getrlimit: %v", err)
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			tb.Fatalf("setrlimit: %v", err)
		}
	}
}
