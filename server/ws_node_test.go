package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchhq/latch/internal/testenv"
)

// The API as a third-party client sees it: the graphql-ws npm library
// (with ws) in node, driven from server/testdata/graphql-ws-client.

const nodeClientDir = "testdata/graphql-ws-client"

// nodeLine is one line client.mjs printed.
type nodeLine struct {
	Connected bool            `json:"connected"`
	Event     *wsEvent        `json:"event"`
	Closed    int             `json:"closed"`
	Reason    string          `json:"reason"`
	Error     json.RawMessage `json:"error"`
	Errors    json.RawMessage `json:"errors"`
	Complete  bool            `json:"complete"`
	raw       string
}

func TestWSGraphQLWSLibraryClient(t *testing.T) {
	node := testenv.Require(t, "node", "install Node.js 20 or later")
	if _, err := os.Stat(filepath.Join(nodeClientDir, "node_modules", "graphql-ws")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("graphql-ws is not installed: run npm ci in server/%s", nodeClientDir)
		}
		t.Skipf("graphql-ws is not installed (run npm ci in server/%s)", nodeClientDir)
	}

	s := start(t)
	me := s.wsSignUp("node@example.com", "")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs", s.wsURL(), me.Token)
	cmd.Dir = nodeClientDir
	var stderr syncBuffer
	cmd.Stderr = &stderr
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		pw.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	lines := make(chan nodeLine, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l := nodeLine{raw: sc.Text()}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l.Error = json.RawMessage(`"unparsable line"`)
			}
			lines <- l
		}
	}()
	next := func(what string) nodeLine {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("client exited before %s; stderr:\n%s", what, stderr.String())
			}
			t.Logf("client: %s", l.raw)
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s from the client within 10s; stderr:\n%s", what, stderr.String())
			return nodeLine{}
		}
	}

	if l := next("connected"); !l.Connected {
		t.Fatalf("first line %s; want connected", l.raw)
	}
	s.waitFeeds(1) // subscribed

	tok, id := s.wsLogin(me.Email, wsUAFirefox)
	l := next("CREATED")
	if l.Event == nil || l.Event.Kind != "CREATED" || l.Event.Session.ID != id || l.Event.Session.Browser != "Firefox 133" {
		t.Fatalf("got %s; want CREATED for %s in Firefox 133", l.raw, id)
	}

	// From the new (recent) session, revoke the one the client uses.
	s.must(wsRevokeQuery, req{Token: tok, Vars: map[string]any{"id": me.SessionID}})
	revokedAt := time.Now()
	l = next("REVOKED")
	if l.Event == nil || l.Event.Kind != "REVOKED" || l.Event.Session.ID != me.SessionID || !l.Event.Session.Current {
		t.Fatalf("got %s; want own REVOKED for %s", l.raw, me.SessionID)
	}
	l = next("closed")
	if l.raw == "" || !strings.Contains(l.raw, `"closed"`) {
		t.Fatalf("got %s after REVOKED; want the socket closed", l.raw)
	}
	if l.Closed != closeUnauthorized {
		t.Errorf("closed with %d; want %d (signed out)", l.Closed, closeUnauthorized)
	}
	if d := time.Since(revokedAt); d > ownEnd {
		t.Errorf("socket closed %s after the revoke; want within %s", d, ownEnd)
	}

	// 4401 is fatal to graphql-ws: it must not get back in, and it gives up.
	for l := range lines {
		t.Logf("client: %s", l.raw)
		if l.Connected || l.Event != nil {
			t.Errorf("after the revoke the client got %s", l.raw)
		}
		if l.Closed != 0 && l.Closed != closeUnauthorized && l.Closed != closeForbidden {
			t.Errorf("reconnect closed with %d; want %d", l.Closed, closeUnauthorized)
		}
	}
	select {
	case <-exited:
		if ctx.Err() != nil {
			t.Fatalf("client did not exit by itself: %v", waitErr)
		}
		t.Logf("client exited: %v", waitErr)
	case <-time.After(10 * time.Second):
		t.Fatal("client still running 10s after its socket closed")
	}
	if stderr.String() != "" {
		t.Logf("client stderr:\n%s", stderr.String())
	}
	waitUntil(t, "client's sockets released", func() bool { return s.Hub.Sockets() == 0 })
}
