package graph

import (
	"context"
	"errors"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/events"
	"github.com/latchhq/latch/live"
	"github.com/latchhq/latch/session"
)

// sessionEvents feeds the connection's events to one subscription. The
// channel is unbuffered, so an event counts as handed over only once gqlgen
// took it; it is closed by this sender when ctx ends or the feed does.
func (r *Resolver) sessionEvents(ctx context.Context) (<-chan *events.SessionEvent, error) {
	if session.Current(ctx) == nil {
		return nil, apperr.SignedOut()
	}
	feed, err := live.Feed(ctx)
	if errors.Is(err, live.ErrTooManyFeeds) {
		return nil, apperr.New(apperr.FailedPrecondition, "Too many subscriptions on this connection; close one first.")
	}
	if err != nil {
		return nil, apperr.New(apperr.FailedPrecondition, "Subscribe over a websocket.")
	}
	out := make(chan *events.SessionEvent)
	go func() {
		defer close(out)
		for ev := range feed {
			select {
			case out <- &ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
