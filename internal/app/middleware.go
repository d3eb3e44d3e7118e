package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/clickguard/clickguard/internal/store"
)

// reqInfo is the request-scoped record the outermost middleware creates; the
// route wrapper fills in the matched pattern so that the access log can name
// it (the mux sets Request.Pattern only on the request it passes down).
type reqInfo struct {
	id         string
	clientAddr string
	pattern    string
	seal       *sealWriter   // set by sealOnSessionError
	answer     *statusWriter // the handler's writer inside the session layer, set by markSession
}

type reqInfoKey struct{}

func info(r *http.Request) *reqInfo {
	ri, _ := r.Context().Value(reqInfoKey{}).(*reqInfo)
	return ri
}

// requestID returns the request's ID, or "" outside the app's middleware.
func requestID(r *http.Request) string {
	if ri := info(r); ri != nil {
		return ri.id
	}
	return ""
}

// clientAddr returns the client's IP address as the app sees it: the peer
// address, or with trusted proxies configured the nearest address in
// X-Forwarded-For that is not a trusted proxy. It returns "" outside the
// app's middleware.
func clientAddr(r *http.Request) string {
	if ri := info(r); ri != nil {
		return ri.clientAddr
	}
	return ""
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// statusWriter records the status and size of a response: for the access
// log, outermost, and for sessionError, inside the session layer (see
// markSession), where it sees the handler's answer before scs commits.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (sw *statusWriter) WriteHeader(code int) {
	// An informational status (103 Early Hints) is not the answer; 101
	// Switching Protocols is.
	if sw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		sw.status = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	n, err := sw.ResponseWriter.Write(b)
	sw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// Flush passes a flush on, for handlers that assert http.Flusher rather than
// use http.ResponseController (a streamed export).
func (sw *statusWriter) Flush() {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	http.NewResponseController(sw.ResponseWriter).Flush() //nolint:errcheck // not flushable: nothing to do
}

// observe is the outermost layer: it gives the request an ID (also sent as
// the X-Request-ID response header), works out the client address, and
// writes one access-log line when the request is done. The line holds no
// cookie, token, form value or query string.
func (a *App) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: newRequestID(), clientAddr: a.resolveClientAddr(r)}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
		w.Header().Set("X-Request-ID", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			a.logger.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", ri.id),
				slog.String("method", r.Method),
				slog.String("pattern", ri.pattern),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("client_addr", ri.clientAddr),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

// contentPolicy is the app's Content-Security-Policy. Pages have one script,
// rearmScript, allowed by its hash, and no inline style; forms post only to
// this origin. guard.Handler adds frame-ancestors to it when the header is
// written.
var contentPolicy = "default-src 'none'; script-src '" + scriptHash(rearmScript) + "'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'"

// scriptHash is the CSP hash source of an inline script's text.
func scriptHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// setContentPolicy sets contentPolicy on every response; a handler may
// replace it before writing.
func setContentPolicy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentPolicy)
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a body declared larger than cfg.MaxBodyBytes with a 413
// page, and cuts off a longer body than declared (or an undeclared one) at
// the limit: reading past it fails, and parseForm answers 413. It runs inside
// guard.Handler, so the 413 page carries the security headers, and before
// the token layer, which would otherwise read the body first and refuse the
// request for want of a token.
func (a *App) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > a.cfg.MaxBodyBytes {
			a.tooLarge(w, r)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// tooLarge answers a body over the limit with the 413 page, and closes the
// connection rather than read the rest.
func (a *App) tooLarge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	a.clientError(w, r, http.StatusRequestEntityTooLarge)
}

// resolveClientAddr implements clientAddr. Without trusted proxies the peer
// address is the client, and X-Forwarded-For is ignored: anyone can send it.
func (a *App) resolveClientAddr(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil {
		return peer
	}
	addr = addr.Unmap()
	if !a.trustedProxy(addr) {
		return addr.String()
	}
	// Walk X-Forwarded-For from the right: each trusted proxy appended the
	// address it received from; the first untrusted one is the client.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseHop(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		hop = hop.Unmap()
		addr = hop
		if !a.trustedProxy(hop) {
			break
		}
	}
	return addr.String()
}

// parseHop parses one address of X-Forwarded-For: an IP address, which some
// proxies write with the client's port ("203.0.113.9:4711") or an IPv6
// address in brackets ("[2001:db8::7]", "[2001:db8::7]:4711").
func parseHop(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	return netip.ParseAddr(s)
}

func (a *App) trustedProxy(addr netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// route wraps a route's handler: it records the pattern for the access log,
// and sends a visitor who is not logged in to the login page (GET) or
// answers 403 as to a form that outlived its session, keeping what it held
// (anything else; see expired.go), unless the route is public.
func (a *App) route(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri := info(r); ri != nil {
			ri.pattern = r.Pattern
		}
		if !rt.Public && a.currentUser(r) == "" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				a.toLogin(w, r, rt)
				return
			}
			if rt.expired != nil {
				rt.expired(a, w, r) // keep what the form held
				return
			}
			a.expiredForm(w, r)
			return
		}
		rt.handle(a, w, r)
	})
}

// muxErrors renders the mux's own 404 and 405 answers as the app's error page
// (keeping the Allow header of a 405), so they look like every other page,
// and hands a request that has a route to routed, the mux behind the
// token check.
func (a *App) muxErrors(mux *http.ServeMux, routed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			routed.ServeHTTP(w, r)
			return
		}
		cw := &captureWriter{header: http.Header{}}
		h.ServeHTTP(cw, r)
		switch cw.status {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			if allow := cw.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			a.clientError(w, r, cw.status)
		default: // a redirect to the cleaned path: pass it on unchanged
			for k, v := range cw.header {
				w.Header()[k] = v
			}
			w.WriteHeader(cw.status)
			w.Write(cw.body) //nolint:errcheck // the client went away
		}
	})
}

// captureWriter holds a small response (the mux's error or redirect).
type captureWriter struct {
	header http.Header
	status int
	body   []byte
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}

// sealWriter drops everything written after it is sealed. scs commits the
// session when the handler first writes; if that commit fails, scs calls
// ErrorFunc (a.sessionError), which renders the error page and seals the
// writer, and then goes on writing the handler's own status and body, which
// must not reach the client after the error page.
type sealWriter struct {
	http.ResponseWriter
	sealed bool
}

func (s *sealWriter) WriteHeader(code int) {
	if !s.sealed {
		s.ResponseWriter.WriteHeader(code)
	}
}

func (s *sealWriter) Write(b []byte) (int, error) {
	if s.sealed {
		return len(b), nil
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *sealWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes a flush on unless the writer is sealed.
func (s *sealWriter) Flush() {
	if !s.sealed {
		http.NewResponseController(s.ResponseWriter).Flush() //nolint:errcheck // not flushable: nothing to do
	}
}

// sealOnSessionError runs just outside the session layer; see sealWriter.
func sealOnSessionError(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &sealWriter{ResponseWriter: w}
		if ri := info(r); ri != nil {
			ri.seal = sw
		}
		next.ServeHTTP(sw, r)
	})
}

// withSessionMemo gives each request a fresh memo of the session record it
// reads (store.WithSessionMemo), just outside the session layer. It binds
// the request's changes to its session: every transaction the store makes
// for the request checks that the session has not ended meanwhile (logged
// out or signed out elsewhere, ended by a password change or the account's
// deletion), and fails with store.ErrSessionEnded, writing nothing, if it
// has (see sessionEndedMeanwhile). And scs's idle-timeout re-commit of a
// session the request did not change then costs no write unless the expiry
// moves by at least the store's commit grace, so a logged-in page view
// takes one session read and no session write.
func withSessionMemo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(store.WithSessionMemo(r.Context())))
	})
}
