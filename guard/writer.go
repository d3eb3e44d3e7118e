package guard

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
)

// Canonical header keys, written into the header map directly.
const (
	hCSP       = "Content-Security-Policy"
	hCSPReport = "Content-Security-Policy-Report-Only"
	hXFO       = "X-Frame-Options"
	hNosniff   = "X-Content-Type-Options"
	hReferrer  = "Referrer-Policy"
	hCOOP      = "Cross-Origin-Opener-Policy"
	hHSTS      = "Strict-Transport-Security"
)

// responseWriter sets the final framing policy and the other headers when the
// response header is first written (or, if the handler writes nothing, when
// it returns). Header values live in vals, so each response has its own
// backing array and the shared values computed at setup are never aliased.
type responseWriter struct {
	w   http.ResponseWriter
	c   *compiled
	pol *Policy // policy for this response

	// Route limits set by Embeddable and Policy.Handler (see declare).
	declared  bool    // a route declaration has run
	ceiling   *Policy // the most the route allows, unless anyOrigin
	anyOrigin bool    // Embeddable with no bound: any origin AllowFraming chooses
	chosen    bool    // AllowFraming has chosen this response's policy

	hsts   bool // whether this request may receive HSTS
	report bool // ReportOnly: the framing policy is reported, not enforced
	// done: the header has gone to the writer below (or the connection was
	// hijacked), so the policy is final. apply writes guard's headers into
	// the map before that and again, to the same effect, whenever it is
	// called while the header may still change.
	done bool
	// hinted: an informational response has gone out; kept: which of the
	// headers setDefaults wrote were still there when it did (see
	// fillDefaults).
	hinted bool
	kept   [4]bool

	vals [6]string
}

func (w *responseWriter) Header() http.Header { return w.w.Header() }

func (w *responseWriter) WriteHeader(code int) {
	// Informational responses (103 Early Hints and the like) go out with the
	// header map as it is now and do not end the handler's chance to choose
	// its policy; 101 Switching Protocols is final.
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		if !w.hinted {
			if h := w.w.Header(); h != nil {
				for i, k := range defaultKeys {
					// vals holds a value only where guard sent the header
					// (an HSTS the handler set on plain HTTP is not guard's).
					_, there := h[k]
					w.kept[i] = there && w.vals[i+2] != ""
				}
			}
		}
		w.w.WriteHeader(code)
		w.hinted = true
		return
	}
	if w.done {
		w.w.WriteHeader(code) // superfluous: the writer below says so
		return
	}
	w.apply()
	// A WriteHeader that panics (an invalid code) has sent nothing: the
	// 500 that guard's recover writes then still can be.
	w.w.WriteHeader(code)
	w.done = true
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.done {
		return w.w.Write(b)
	}
	w.apply()
	n, err := w.w.Write(b)
	w.done = true
	return n, err
}

// ReadFrom keeps the underlying writer's fast path (sendfile for
// http.FileServer) available through the wrapper. The header goes out with
// the first byte, as with Write: an empty source writes nothing, and the
// handler may still change the header and its policy.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	var n int64
	if !w.done {
		var first [1]byte
		if _, err := io.ReadFull(src, first[:]); err != nil {
			if err == io.EOF {
				err = nil
			}
			return 0, err
		}
		if _, err := w.Write(first[:]); err != nil {
			return 0, err
		}
		n = 1
	}
	var m int64
	var err error
	if rf, ok := w.w.(io.ReaderFrom); ok {
		m, err = rf.ReadFrom(src)
	} else {
		m, err = io.Copy(w.w, src)
	}
	return n + m, err
}

// Flush writes the headers and flushes; it does nothing if the underlying
// writer cannot flush, and the header may then still change.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError writes the headers and flushes, reporting whether the
// underlying writer could; [http.ResponseController] prefers it to Flush.
// When it could not ([http.ErrNotSupported]), nothing was sent.
func (w *responseWriter) FlushError() error {
	if w.done {
		return http.NewResponseController(w.w).Flush()
	}
	w.apply()
	err := http.NewResponseController(w.w).Flush()
	if !errors.Is(err, http.ErrNotSupported) {
		w.done = true
	}
	return err
}

// Hijack hands over the connection when the underlying writer allows it;
// from then on guard writes nothing to it.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.w).Hijack()
	if err == nil {
		w.done = true
	}
	return c, rw, err
}

// Unwrap returns the underlying writer, for [http.ResponseController].
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.w }

func (w *responseWriter) apply() {
	if w.done {
		return
	}
	// Inside another guard working in the same mode, the outer one writes
	// the policy both allow.
	if outer := findWriter(w.w); outer != nil && outer.report == w.report {
		outer.narrow(w.pol)
		return
	}
	h := w.w.Header()
	if h == nil {
		return
	}
	if w.hinted {
		w.fillDefaults(h)
	}
	fa := w.pol.directive()
	if w.report {
		// Report, do not enforce: guard's frame-ancestors joins the
		// report-only policy, and the enforced headers stay exactly as the
		// application wrote them, so adopting guard changes no verdict.
		var dropped bool
		if ro := h[hCSPReport]; len(ro) > 0 {
			w.vals[0], dropped = mergeCSP(ro, fa)
		} else {
			w.vals[0] = fa
		}
		h[hCSPReport] = w.vals[0:1:1]
		w.c.warnDropped(dropped, hCSPReport)
		return
	}
	var dropped bool
	if app := h[hCSP]; len(app) > 0 {
		w.vals[0], dropped = mergeCSP(app, fa)
	} else {
		w.vals[0] = fa
	}
	h[hCSP] = w.vals[0:1:1]
	w.c.warnDropped(dropped, hCSP)
	if ro := h[hCSPReport]; len(ro) > 0 {
		v, dropped := stripFrameAncestors(ro)
		if v != "" {
			h[hCSPReport] = []string{v}
		} else {
			delete(h, hCSPReport)
		}
		w.c.warnDropped(dropped, hCSPReport)
	}
	if x := w.pol.xfo(); x != "" {
		w.vals[1] = x
		h[hXFO] = w.vals[1:2:2]
	} else {
		delete(h, hXFO)
	}
}

// declare limits the response to its route's policy p, or with p nil to an
// Embeddable route's. The first declaration replaces the guard's default;
// one inside another only narrows what the outer one allows (and what its
// handler chose), so that nesting never widens it.
func (w *responseWriter) declare(p *Policy) {
	if w.done {
		return
	}
	// What the outer declarations allow: their ceiling, or what a handler
	// between them chose with AllowFraming, which the inner route must not
	// widen either.
	bounded, bound := w.declared && !w.anyOrigin, w.ceiling
	if w.chosen {
		bounded, bound = true, w.pol
	}
	switch {
	case p == nil && !bounded:
		w.anyOrigin, w.ceiling = true, nil
	case p == nil:
		// Embeddable inside a bound: choices within it.
		w.anyOrigin, w.ceiling = false, bound
	case bounded:
		w.anyOrigin, w.ceiling = false, intersect(bound, p)
	default:
		w.anyOrigin, w.ceiling = false, p
	}
	if p == nil {
		w.pol = nonePolicy
	} else {
		w.pol = w.ceiling
	}
	w.declared, w.chosen = true, false
}

// narrow limits the response to what p, an inner guard's final policy, also
// allows. An Embeddable route whose handler has not chosen yet takes p as
// it is: the inner guard's choice is then the route's.
func (w *responseWriter) narrow(p *Policy) {
	if w.anyOrigin && !w.chosen {
		w.pol = p
		return
	}
	w.pol = intersect(w.pol, p)
}

// setDefaults writes the headers that do not depend on the framing policy
// before the handler runs, so that a handler's own Referrer-Policy,
// Cross-Origin-Opener-Policy or Strict-Transport-Security for one page (a
// deliberate choice) simply replaces guard's, at no cost when it does not.
func (w *responseWriter) setDefaults(c *compiled) {
	h := w.w.Header()
	if h == nil {
		return
	}
	if c.nosniff {
		w.vals[2] = "nosniff"
		h[hNosniff] = w.vals[2:3:3]
	}
	if c.referrer != "" {
		w.vals[3] = c.referrer
		h[hReferrer] = w.vals[3:4:4]
	}
	if c.coop != "" {
		w.vals[4] = c.coop
		h[hCOOP] = w.vals[4:5:5]
	}
	if w.hsts {
		w.vals[5] = c.hsts
		h[hHSTS] = w.vals[5:6:6]
	}
}

// defaultKeys are the headers setDefaults writes, in the order of vals
// from index 2.
var defaultKeys = [4]string{hNosniff, hReferrer, hCOOP, hHSTS}

// fillDefaults writes again those of setDefaults' headers that were there
// when the first informational response went out and are missing from h
// now: [httputil.ReverseProxy] clears the header map once it has relayed a
// backend's 103 Early Hints, guard's headers with it, before it copies in
// the final response's. A header the handler had deleted before then stays
// deleted.
func (w *responseWriter) fillDefaults(h http.Header) {
	for i, k := range defaultKeys {
		if _, ok := h[k]; w.kept[i] && !ok {
			h[k] = w.vals[i+2 : i+3 : i+3]
		}
	}
}
