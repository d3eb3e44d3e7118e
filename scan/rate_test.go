package scan_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clickguard/clickguard/scan"
)

// stampTransport records when each request leaves, after any wait for its
// turn.
type stampTransport struct {
	base  http.RoundTripper
	mu    sync.Mutex
	times []time.Time
}

func (t *stampTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.times = append(t.times, time.Now())
	t.mu.Unlock()
	return t.base.RoundTrip(req)
}

func rateSite() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/page", http.StatusFound)
			return
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	}))
}

// TestRun_rate checks that with Rate every request the scan sends (both
// fetches of each URL, the redirects they follow and the error-page probe)
// waits for a turn: the k-th request leaves no earlier than k turns after
// the scan starts, however many run at once.
func TestRun_rate(t *testing.T) {
	t.Parallel()
	srv := rateSite()
	defer srv.Close()
	stamps := &stampTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	const rate, every = 20, 50 * time.Millisecond
	opts := scan.Options{Rate: rate, Concurrency: 8, Transport: stamps}
	start := time.Now()
	var errs []string
	err := scan.Run(t.Context(), opts, []string{srv.URL + "/a", srv.URL + "/b", srv.URL + "/old"}, func(r scan.Result) {
		if r.Error != "" {
			errs = append(errs, r.Error)
		}
	})
	if err != nil || len(errs) > 0 {
		t.Fatalf("Run: %v %q", err, errs)
	}
	// Two fetches of /a and /b, two of /old with two requests each, one
	// probe of the missing page.
	if len(stamps.times) != 9 {
		t.Fatalf("%d requests, want 9", len(stamps.times))
	}
	slices.SortFunc(stamps.times, func(a, b time.Time) int { return a.Compare(b) })
	for k, at := range stamps.times {
		if early := time.Duration(k)*every - at.Sub(start); early > 0 {
			t.Errorf("request %d left %v before its turn", k, early)
		}
	}
}

// TestRun_rateNotTimeout checks that waiting for a turn does not count
// against Timeout: with turns far apart and a Timeout shorter than the
// queue, every URL is still fetched.
func TestRun_rateNotTimeout(t *testing.T) {
	t.Parallel()
	srv := rateSite()
	defer srv.Close()
	// Turns every 250ms; six URLs queue for at least 1.5s, more than twice
	// the Timeout, which a loopback request fits in many times over.
	opts := scan.Options{Rate: 4, Concurrency: 8, Timeout: 600 * time.Millisecond, SkipErrorPage: true}
	urls := []string{srv.URL + "/1", srv.URL + "/2", srv.URL + "/3", srv.URL + "/4", srv.URL + "/5", srv.URL + "/6"}
	n := 0
	err := scan.Run(t.Context(), opts, urls, func(r scan.Result) {
		n++
		if r.Error != "" {
			t.Errorf("%s: %s", r.URL, r.Error)
		}
	})
	if err != nil || n != len(urls) {
		t.Fatalf("Run: %v, %d results", err, n)
	}
}

// TestRun_rateNotTimeoutRedirects checks that no wait for a turn counts
// against Timeout, on any redirect: three redirects, each waiting longer
// than a Timeout it fits in many times over, are still followed; and that
// Timeout still bounds the time the server takes.
func TestRun_rateNotTimeoutRedirects(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/1", "/2", "/3":
			http.Redirect(w, r, fmt.Sprint("/", r.URL.Path[1]-'0'+1), http.StatusFound)
			return
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	}))
	defer srv.Close()
	opts := scan.Options{Rate: 2, Timeout: 400 * time.Millisecond, SkipErrorPage: true} // a turn every 500ms
	var results []scan.Result
	err := scan.Run(t.Context(), opts, []string{srv.URL + "/1", srv.URL + "/slow"}, func(r scan.Result) {
		results = append(results, r)
	})
	if err != nil || len(results) != 2 {
		t.Fatalf("Run: %v, %d results", err, len(results))
	}
	if r := results[0]; r.Error != "" || len(r.Redirects) != 3 || r.TopLevel == nil || r.TopLevel.Error != "" {
		t.Errorf("%s: error %q, %d redirects, top-level %+v; want the three redirects followed, twice", r.URL, r.Error, len(r.Redirects), r.TopLevel)
	}
	if r := results[1]; !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Errorf("%s: error %v, want the Timeout of a slow server", r.URL, r.Err)
	}
}

// TestRun_rateInvalid checks that a rate out of bounds is refused before
// anything is fetched.
func TestRun_rateInvalid(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{-1, math.NaN(), math.Inf(1), scan.MinRate / 2, scan.MaxRate * 2} {
		err := scan.Run(t.Context(), scan.Options{Rate: rate}, []string{"http://127.0.0.1:1/"}, func(scan.Result) {
			t.Errorf("rate %v: a URL was scanned", rate)
		})
		if err == nil {
			t.Errorf("rate %v accepted", rate)
		}
	}
}

// TestRun_rateCancel checks that a scan waiting for its turn ends when its
// context does.
func TestRun_rateCancel(t *testing.T) {
	t.Parallel()
	srv := rateSite()
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	opts := scan.Options{Rate: scan.MinRate, SkipErrorPage: true} // one request in 1,000 s
	done := make(chan error, 1)
	go func() {
		done <- scan.Run(ctx, opts, []string{srv.URL + "/a"}, func(scan.Result) {})
	}()
	time.Sleep(50 * time.Millisecond) // the first fetch has its turn; the second waits
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run returned no error after its context ended")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waits for its turn 10s after its context ended")
	}
}

// stampProver records when each proof starts and agrees with every
// prediction it is asked about.
type stampProver struct {
	mu    sync.Mutex
	times []time.Time
}

func (p *stampProver) Prove(ctx context.Context, url string, ancestors []string, cookie bool) (scan.BrowserVerdict, error) {
	p.mu.Lock()
	p.times = append(p.times, time.Now())
	p.mu.Unlock()
	return scan.BrowserVerdict{Browser: "Stamp 1", What: "blocked"}, nil
}

// TestRun_rateProofs checks that each proof in the browser takes a turn
// too, after the page's two fetches.
func TestRun_rateProofs(t *testing.T) {
	t.Parallel()
	srv := rateSite()
	defer srv.Close()
	p := &stampProver{}
	const every = 50 * time.Millisecond
	start := time.Now()
	err := scan.Run(t.Context(), scan.Options{Rate: 20, Browser: p, SkipErrorPage: true}, []string{srv.URL + "/a"}, func(scan.Result) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.times) != 3 {
		t.Fatalf("%d proofs, want 3", len(p.times))
	}
	for i, at := range p.times {
		k := 2 + i // the framed and the top-level fetch went first
		if early := time.Duration(k)*every - at.Sub(start); early > 0 {
			t.Errorf("proof %d started %v before its turn", i, early)
		}
	}
}
