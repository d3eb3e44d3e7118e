package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
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
// that cannot serve pages. The cause is logged, not shown.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.store.Ping(ctx); err != nil {
		a.logger.WarnContext(r.Context(), "readiness check failed", slog.Any("error", err), slog.String("request_id", requestID(r)))
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "dynamodb unavailable\n") //nolint:errcheck // the client went away
		return
	}
	io.WriteString(w, "ok\n") //nolint:errcheck // the client went away
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
