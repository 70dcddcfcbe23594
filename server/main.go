// Command server runs latch: the GraphQL API, the playground and the health endpoints.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run is main without the process: it parses the configuration, serves
// until SIGINT or SIGTERM, then shuts down gracefully. It returns the exit
// code: 0 on a clean stop, 2 for bad configuration, 1 otherwise.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := ParseConfig(args, getenv, stderr)
	if isHelp(err) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "latch:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Log: newLogger(cfg, stderr)}
	if err := m.Start(ctx); err != nil {
		m.Log.Error("start failed", "error", err)
		return 1
	}
	<-ctx.Done()
	stop()
	m.Log.Info("shutting down")
	if err := m.Close(); err != nil {
		m.Log.Error("shutdown failed", "error", err)
		return 1
	}
	m.Log.Info("stopped")
	return 0
}
