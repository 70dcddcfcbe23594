// Package pgtest gives each test run its own fresh PostgreSQL database on the local server.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Server is the admin URL of the PostgreSQL the tests use; LATCH_TEST_POSTGRES
// overrides it.
func Server() string {
	if u := os.Getenv("LATCH_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// New creates an empty database for t, drops it when t ends, and returns
// its URL. Without a reachable server it skips, except under CI=true,
// where that is a failure.
func New(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", Server())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true and is not reachable: %v", err)
		}
		t.Skipf("PostgreSQL not reachable at 127.0.0.1:5432 (start it, or set LATCH_TEST_POSTGRES): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "latch_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}
