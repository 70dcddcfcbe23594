package main

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkViewerQuery measures the commonest signed-in request, a viewer
// query with its session count, through the real listener, and reports it
// as a ratio to a GET /healthz round trip measured in the same run (same
// client, same connection reuse), so the number says what the API stack
// costs on top of HTTP, independent of the machine.
func BenchmarkViewerQuery(b *testing.B) {
	s := start(b)
	tok := s.signUp("bench@example.com", req{UserAgent: firefoxUA})
	body := []byte(gqlBody(`{ viewer { email sessions { totalCount } } }`, nil))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}

	roundTrip := func(r *http.Request, want string) {
		resp, err := client.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(raw, []byte(want)) {
			b.Fatalf("%s %s = %d %s", r.Method, r.URL.Path, resp.StatusCode, raw)
		}
	}
	healthz := func() {
		r, _ := http.NewRequest(http.MethodGet, s.URL()+"/healthz", nil)
		roundTrip(r, "ok")
	}
	viewer := func() {
		r, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("User-Agent", firefoxUA)
		roundTrip(r, `"totalCount":1`)
	}
	// Warm the connection and the query cache before timing.
	for range 20 {
		healthz()
		viewer()
	}

	var base, api time.Duration
	for b.Loop() {
		// Interleaved, so drift (GC, a noisy neighbour) hits both alike.
		t0 := time.Now()
		healthz()
		t1 := time.Now()
		viewer()
		api += time.Since(t1)
		base += t1.Sub(t0)
	}
	b.StopTimer()
	if base > 0 {
		b.ReportMetric(float64(api)/float64(base), "x-healthz")
	}
	b.ReportMetric(float64(api.Nanoseconds())/float64(b.N), "viewer-ns/op")
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "healthz-ns/op")
}
