package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// healthz answers 200 while the process serves requests; it touches nothing.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n") //nolint:errcheck // the client went away
}

// readyz answers 200 when DynamoDB answers a cheap call within two seconds,
// else 503, so that a load balancer stops sending traffic to an instance
// that cannot serve pages. The cause is logged, not shown. The answer is
// that of the last check if it is less than readyEvery old (see
// readiness.check).
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.readiness.check(r.Context(), a.now, a.store.Ping); err != nil {
		a.logger.WarnContext(r.Context(), "readiness check failed", slog.Any("error", err), slog.String("request_id", requestID(r)))
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "dynamodb unavailable\n") //nolint:errcheck // the client went away
		return
	}
	io.WriteString(w, "ok\n") //nolint:errcheck // the client went away
}

// readyEvery is how often, at most, one instance's /readyz asks DynamoDB.
const readyEvery = time.Second

// readiness remembers the last check of DynamoDB that /readyz made. Anyone
// may request /readyz, and its check (DescribeTable) is a control-plane
// call whose quota, shared by every instance in the AWS account, is far
// lower than that of reads: were each request a call, a stream of requests
// could use the quota up and fail every instance's health check at once.
// So an instance checks at most once per readyEvery, one request at a time,
// and answers every other request with the last result, an error included.
// It is safe for concurrent use.
type readiness struct {
	mu      sync.Mutex
	checked time.Time // when the last check started; zero before the first
	err     error     // its result
}

// check returns the result of ping, run now unless a check started less
// than readyEvery before now. The ping has two seconds, and does not end
// with ctx.
func (rd *readiness) check(ctx context.Context, now func() time.Time, ping func(context.Context) error) error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	t := now()
	if age := t.Sub(rd.checked); !rd.checked.IsZero() && age >= 0 && age < readyEvery {
		return rd.err
	}
	// The result is shared, so it must not be a client's leaving.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	rd.checked, rd.err = t, ping(ctx)
	return rd.err
}

// serveStatic serves an embedded file under its content-hashed URL with
// immutable caching. A hash that is not the file's current one is a 404: the
// URL belongs to another build.
func (a *App) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if want, ok := a.assets[name]; !ok || want != r.PathValue("hash") || strings.Contains(name, "..") {
		a.clientError(w, r, http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, a.static, name)
}
