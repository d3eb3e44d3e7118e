package guard

import (
	"errors"
	"net/http"
	"strings"
)

// ConfirmationHandler returns a handler that serves h as a confirmation
// page: a page on which one click changes state, such as the "Delete" button
// that asks whether to delete. It refuses, before h runs, every request whose
// Sec-Fetch-Site is cross-site or same-site, so that such a page can only be
// opened from the application itself or by the user (a bookmark, the address
// bar, another application: Sec-Fetch-Site none).
//
// This stops DoubleClickjacking, which needs no frame: a decoy on another
// site asks for a double-click, its first press navigates the tab (or a
// window the site opened) to the confirmation page, a top-level GET that
// carries SameSite=Lax cookies, and the second click lands on the page's
// button. Framing headers cannot stop it and the token check passes, since
// the form is the application's own. Since a chain of HTTP redirects that
// another site's page starts is as cross-site as any request in it, an
// open redirect (a 3xx) on the application does not launder the
// navigation. A navigation that a page of the application starts itself
// is the application's own, though (Sec-Fetch-Site same-origin): a
// <meta> refresh or a script that goes on to an address taken from the
// request must never lead to a confirmation page. And a chain the user
// starts stays Sec-Fetch-Site none through the redirects of other sites.
// For the first reason, a sign-in at another site (a single sign-on
// provider) that redirects back to a confirmation page is refused too:
// after such a sign-in, send the user to a page that links to the
// confirmation page, not to the page itself.
//
// Every response adds Sec-Fetch-Site to Vary, so that a browser does not
// answer another site's navigation from a copy in its cache that the
// application's own link fetched (Firefox and WebKit do, measured, for a
// page whose Cache-Control lets them keep it): the refusal needs the
// request. It is added when the header is written, to whatever Vary h has
// set by then, unless that names it already or is "*".
//
// Nothing on the server can stop a page coming back from the browser's
// back/forward cache, which sends no request: a page already in the tab's
// history, left for another site in the same tab, is shown again when that
// site calls history.back() (Chromium restores it even with Cache-Control:
// no-store, measured). A confirmation page should therefore make its
// button wait again when it is shown again, on the pageshow event whose
// persisted is true, as it does when it loads.
//
// A request without Sec-Fetch-Site (a browser without Fetch Metadata, or not
// a browser) passes: the refusal fails open, like the framed-navigation
// refusal. Refusals go to [Guard.DenyHandler] with a reason wrapping
// [ErrCrossSiteConfirmation] and are logged to [Guard.Logger], when it is
// set; with [Guard.ReportOnly] they are only logged. It may run inside or
// outside [Guard.Handler], but only inside does the refusal carry guard's
// headers.
func (g *Guard) ConfirmationHandler(h http.Handler) http.Handler {
	mustHandler(h, "Guard.ConfirmationHandler")
	return &confirmation{c: g.compile(), h: h}
}

type confirmation struct {
	c *compiled
	h http.Handler
}

func (cf *confirmation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vw := &varyWriter{ResponseWriter: w}
	if v := r.Header["Sec-Fetch-Site"]; len(v) > 0 && (v[0] == "cross-site" || v[0] == "same-site") &&
		cf.c.reject(vw, r, ErrCrossSiteConfirmation) {
		vw.vary()
		return
	}
	cf.h.ServeHTTP(vw, r)
	vw.vary() // for a handler that wrote nothing
}

// varyWriter adds Sec-Fetch-Site to Vary when the header is written.
type varyWriter struct {
	http.ResponseWriter
	sent bool // the final header has been written
}

// vary adds Sec-Fetch-Site to the Vary header unless it is there already
// (or Vary is "*") or the header has been sent.
func (w *varyWriter) vary() {
	if w.sent {
		return
	}
	h := w.Header()
	for _, v := range h["Vary"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, "Sec-Fetch-Site") {
				return
			}
		}
	}
	h.Add("Vary", "Sec-Fetch-Site")
}

func (w *varyWriter) WriteHeader(code int) {
	w.vary()
	w.ResponseWriter.WriteHeader(code)
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		w.sent = true
	}
}

func (w *varyWriter) Write(b []byte) (int, error) {
	w.vary()
	n, err := w.ResponseWriter.Write(b)
	w.sent = true
	return n, err
}

// Flush writes the header and flushes, when the writer below can.
func (w *varyWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush for [http.ResponseController], which reports
// [http.ErrNotSupported] when the writer below cannot flush.
func (w *varyWriter) FlushError() error {
	w.vary()
	err := http.NewResponseController(w.ResponseWriter).Flush()
	if !errors.Is(err, http.ErrNotSupported) {
		w.sent = true
	}
	return err
}

// Unwrap returns the writer below, for [http.ResponseController].
func (w *varyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
