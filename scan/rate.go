package scan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
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
	return sleep(ctx, time.Until(at))
}

// sleep waits d, or returns ctx's error when ctx is done first.
func sleep(ctx context.Context, d time.Duration) error {
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

// budgetKey is the context key of a fetch's *budget.
type budgetKey struct{}

// budget is the Timeout of one fetch: a clock that runs while the fetch
// deals with the server and stops while it waits for a turn of the Rate
// option, so that waiting never costs a fetch its Timeout, on any hop.
type budget struct {
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	left  time.Duration
	since time.Time   // when the clock last started
	timer *time.Timer // nil while stopped
}

// errOutOfTime is the cause of a budget's context when its clock has run
// out; it is a context.DeadlineExceeded, told apart from a deadline of the
// context the budget was made from.
var errOutOfTime = fmt.Errorf("fetch out of time: %w", context.DeadlineExceeded)

// withBudget returns a context that is done when ctx is, or when a clock of
// d, started now, runs out; the context's cause is then errOutOfTime. Call
// the budget's release when done.
func withBudget(ctx context.Context, d time.Duration) (context.Context, *budget) {
	ctx, cancel := context.WithCancelCause(ctx)
	b := &budget{cancel: cancel, left: d}
	b.resume()
	return context.WithValue(ctx, budgetKey{}, b), b
}

// pause stops the clock.
func (b *budget) pause() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil && b.timer.Stop() {
		b.left -= time.Since(b.since)
	}
	b.timer = nil
}

// resume starts the clock again with the time left.
func (b *budget) resume() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer == nil {
		b.since = time.Now()
		b.timer = time.AfterFunc(max(b.left, 0), func() { b.cancel(errOutOfTime) })
	}
}

// sleep waits d with the clock stopped, as for a turn of the Rate option,
// or returns ctx's error when ctx is done first.
func (b *budget) sleep(ctx context.Context, d time.Duration) error {
	b.pause()
	defer b.resume()
	return sleep(ctx, d)
}

// release stops the clock for good and cancels the context.
func (b *budget) release() {
	b.pause()
	b.cancel(context.Canceled)
}

// rateTransport takes a turn of its limiter before each request, with the
// clock of the request's budget (see withBudget), if any, stopped meanwhile.
type rateTransport struct {
	base http.RoundTripper
	l    *limiter
}

func (t rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b, _ := req.Context().Value(budgetKey{}).(*budget)
	if b != nil {
		b.pause()
	}
	err := t.l.wait(req.Context())
	if b != nil {
		b.resume()
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of the transport below.
func (t rateTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
