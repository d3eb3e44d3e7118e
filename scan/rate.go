package scan

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of [Options.Rate].
const (
	MinRate = 0.001 // a request every 1,000 seconds
	MaxRate = 1e6
)

// limiter hands out turns at least every apart, in the order asked for,
// across goroutines, with no burst.
type limiter struct {
	every time.Duration

	mu   sync.Mutex
	next time.Time // the earliest time of the next turn
}

func newLimiter(rate float64) (*limiter, error) {
	if math.IsNaN(rate) || rate < MinRate || rate > MaxRate {
		return nil, errors.New("scan: rate must be 0 (no limit) or between 0.001 and 1000000 requests a second")
	}
	return &limiter{every: time.Duration(float64(time.Second) / rate)}, nil
}

// wait blocks until the caller's turn, or returns ctx's error when ctx is
// done first (the turn is then lost, which only spaces the next ones more).
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	at := time.Now()
	if l.next.After(at) {
		at = l.next
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// turnKey marks the context of a fetch whose first request already took
// its turn: see [scanner.fetch].
type turnKey struct{}

// withTurn waits for a turn of l under ctx and returns a context whose first
// request through a rateTransport takes no other. A nil l gives ctx back.
func withTurn(ctx context.Context, l *limiter) (context.Context, error) {
	if l == nil {
		return ctx, nil
	}
	if err := l.wait(ctx); err != nil {
		return ctx, err
	}
	taken := new(atomic.Bool)
	taken.Store(true)
	return context.WithValue(ctx, turnKey{}, taken), nil
}

// rateTransport takes a turn of its limiter before each request, but for
// the first request of a context made by withTurn.
type rateTransport struct {
	base http.RoundTripper
	l    *limiter
}

func (t rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if taken, ok := req.Context().Value(turnKey{}).(*atomic.Bool); !ok || !taken.Swap(false) {
		if err := t.l.wait(req.Context()); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of the transport below.
func (t rateTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
