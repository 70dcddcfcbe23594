// Package client carries what the server knows of the caller (IP, user agent) from the HTTP edge to the domain.
package client

import "context"

// Meta describes the caller of one request. UserAgent is already cleaned
// (agent.Clean), IP is the peer or the trusted proxy's forwarded address.
type Meta struct {
	IP        string
	UserAgent string
}

type metaKey struct{}

// With returns ctx carrying m.
func With(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// From returns the caller's Meta, or a zero Meta outside a request.
func From(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}
