package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
)

func TestWebsocketSmoke(t *testing.T) {
	s := start(t)
	tok := s.signUp("ws@example.com", req{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := coderws.Dial(ctx, strings.Replace(s.URL(), "http", "ws", 1)+"/graphql", &coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := c.Write(ctx, coderws.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	read := func() map[string]any {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		t.Logf("got %s", b)
		return m
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + tok}})
	if m := read(); m["type"] != "connection_ack" {
		t.Fatalf("no ack: %v", m)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "subscription { sessionEvents { kind at session { id current browser } } }"}})
	time.Sleep(100 * time.Millisecond)
	tok2 := s.login("ws@example.com", req{})
	m := read()
	if get(m, "payload", "data", "sessionEvents", "kind") != "CREATED" {
		t.Fatalf("want CREATED: %v", m)
	}
	s.must(`mutation { logout }`, req{Token: tok})
	_ = tok2
	m = read()
	if get(m, "payload", "data", "sessionEvents", "kind") != "REVOKED" || get(m, "payload", "data", "sessionEvents", "session", "current") != true {
		t.Fatalf("want own REVOKED: %v", m)
	}
	start := time.Now()
	_, _, err = c.Read(ctx)
	t.Logf("closed after %s: %v", time.Since(start), err)
	if err == nil {
		t.Fatal("socket still open")
	}
}

func TestOneSensitiveMutationPerRequest(t *testing.T) {
	s := start(t)
	s.signUp("batch@example.com", req{})
	q := `mutation { a: login(input: {email: "batch@example.com", password: "x"}) { auth { token } } b: login(input: {email: "batch@example.com", password: "y"}) { auth { token } } }`
	r := s.gql(q, req{})
	if r.Code() != "BAD_USER_INPUT" || r.Data["a"] != nil {
		t.Fatalf("two logins in one operation: %s", r.Raw)
	}
	q = `mutation { ...F ...F } fragment F on Mutation { login(input: {email: "batch@example.com", password: "x"}) { auth { token } } }`
	if r := s.gql(q, req{}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("fragments: %s", r.Raw)
	}
}
