package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Guard configures the protections. Its exported fields are read when
// [Guard.Handler], [Guard.TokenHandler] or [Guard.ConfirmationHandler] is
// called and must not change afterwards; [Guard.AddTrustedOrigin] may be
// called at any time and applies to future requests. A Guard must not be copied after first use.
//
// The zero value is the strictest policy: no framing by anyone (also for
// navigations, refused before the handler runs), unsafe cross-origin
// requests refused, every extra header sent, HSTS on TLS requests.
type Guard struct {
	// Framing is the default framing policy of every response. Routes wrapped
	// by [Policy.Handler] or [Embeddable] replace it. The default, the zero
	// Policy, is frame-ancestors 'none' with X-Frame-Options: DENY.
	Framing Policy

	// AllowFramedNavigation turns off the refusal of framed navigations: by
	// default a request whose Sec-Fetch-Dest is iframe, frame, object,
	// embed or fencedframe (which Chromium sends for a fenced frame and the
	// frames inside one) and whose Sec-Fetch-Site is cross-site or same-site
	// is answered 403 before the handler runs, unless its route lets other
	// origins frame it. The response headers stop the rendering (a fenced
	// frame renders only a page that opts in with Supports-Loading-Mode,
	// which guard never sends); the refusal also stops the work and any side
	// effect. A route whose handler is [http.RedirectHandler], as ServeMux's
	// own redirects to a canonical path (/widget to /widget/) are, is let
	// through: a redirect shows nothing in a frame, and the request for its
	// target is checked in turn.
	AllowFramedNavigation bool

	// Routes finds the handler that will serve a request, so that a framed
	// navigation can reach a route registered as [Embeddable] or with an
	// embeddable [Policy.Handler]. *http.ServeMux satisfies it. If nil and
	// the handler passed to [Guard.Handler] is a *http.ServeMux, that mux is
	// used; otherwise only [Guard.Framing] decides. So when the mux is
	// wrapped, as in g.Handler(sessions.LoadAndSave(g.TokenHandler(mux))),
	// set Routes to it: otherwise, under the default Framing, framed
	// navigations from other origins are refused on embeddable routes too.
	// When guard serves a GET of a route other origins may frame whose
	// framed navigations it would refuse (Routes not set, set to another
	// mux, or the declaration registered inside other middleware), it logs
	// a warning saying why, once.
	//
	// For a router of another kind, give Routes a [RoutesFunc] that asks
	// it. Routes sees the request as it reaches guard: for a mux behind
	// [http.StripPrefix], give it a RoutesFunc that strips the same prefix
	// (see its example), or it may find another route; or put guard inside
	// StripPrefix, where it sees the path the mux sees (but then the 404
	// StripPrefix writes for other paths carries none of guard's headers).
	Routes interface {
		Handler(r *http.Request) (h http.Handler, pattern string)
	}

	// Sessions holds the session-bound token. The default, nil, turns the
	// token layer off: [Guard.TokenHandler] returns its handler unchanged and
	// [Guard.Token] returns "". *scs.SessionManager satisfies SessionStore.
	Sessions SessionStore

	// DenyHandler answers refused requests; [Reason] tells it why. The
	// default writes a short plain-text 403 that carries guard's headers, or
	// a 413 when the token check found the body too large to read: cut off
	// by [http.MaxBytesReader] or, for a URL-encoded body that none bounds,
	// over net/http's own bound of 10 MB (the reason then wraps
	// [http.MaxBytesError]) or of more fields than [net/url.ParseQuery]
	// takes (10,000), or a multipart body with more parts or more
	// text in its fields than [http.Request.ParseMultipartForm] takes (it
	// wraps [mime/multipart.ErrMessageTooLarge]); [BodyTooLarge] tells
	// those apart.
	DenyHandler http.Handler

	// Logger receives one Warn record per refusal (or, in report-only mode,
	// would-be refusal: a request that several checks would refuse gives a
	// record for each), giving why, the method, host, path, the
	// route's pattern where guard can find it, the Origin, Sec-Fetch-Site and
	// Sec-Fetch-Dest headers and the client's address, and one Error record,
	// with the stack, per recovered panic. With the default, nil, refusals
	// are not logged, would-be refusals of report-only mode and panics go
	// to [slog.Default], so that none is lost. Tokens, cookies, query
	// strings and bodies are never logged.
	Logger *slog.Logger

	// ReportOnly makes the framed-navigation refusal, the cross-origin check,
	// the token check and the confirmation-page refusal log what they would
	// refuse and refuse nothing, so that an existing application can adopt guard
	// safely. The framing policy is then reported, not enforced: guard's
	// frame-ancestors directive goes into Content-Security-Policy-Report-Only
	// (merged into the application's own report-only policy, if any), and guard
	// neither adds frame-ancestors to the enforced Content-Security-Policy nor
	// sends X-Frame-Options; whatever enforced framing headers the application
	// sets itself are left as they are. Browsers then report, in the console and
	// to any report-to endpoint the application's report-only policy names, each
	// framing the policy would block. The other headers (nosniff,
	// Referrer-Policy, Cross-Origin-Opener-Policy, HSTS) are sent as usual. The
	// default is false: every check and header is enforced.
	ReportOnly bool

	// OmitNosniff turns off X-Content-Type-Options: nosniff.
	//
	// This header and the three below are set before the handler runs, so a
	// handler may replace (or delete) any of them for its own response; the
	// framing headers, in contrast, are guard's alone and are set when the
	// response header is written.
	OmitNosniff bool

	// ReferrerPolicy is the Referrer-Policy header value; the default is
	// "same-origin". It is one policy, or a comma-separated list of them
	// (browsers apply the last they know, so a list names fallbacks first):
	// no-referrer, no-referrer-when-downgrade, same-origin, origin,
	// strict-origin, origin-when-cross-origin, strict-origin-when-cross-origin
	// or unsafe-url. Browsers ignore any other word, and a value with none
	// they know leaves the browser's own default in force, so the methods
	// that read the configuration panic on one ([Guard.Handler] and the
	// others, as for HSTSMaxAge). OmitReferrerPolicy turns the header off.
	ReferrerPolicy     string
	OmitReferrerPolicy bool

	// OmitCOOP turns off Cross-Origin-Opener-Policy: same-origin.
	OmitCOOP bool

	// HSTSMaxAge is the max-age of Strict-Transport-Security, sent in whole
	// seconds; the default is two years. It is a [time.Duration]: one year
	// is 365 * 24 * time.Hour. A positive value under a second, such as a
	// bare 31536000 (31.5 ms), would be sent as max-age=0, which makes
	// browsers forget the host's HSTS: the methods that read the
	// configuration ([Guard.Handler], [Guard.Check] and the others) panic on
	// it instead, and on a negative one, which has no meaning. (To make
	// browsers forget it on purpose, a handler may set
	// Strict-Transport-Security: max-age=0 itself, as it may replace any of
	// the headers below.)
	// HSTSIncludeSubdomains adds includeSubDomains. OmitHSTS turns
	// the header off. It is only ever sent on TLS requests, or when a request
	// from one of TrustedProxies says X-Forwarded-Proto: https.
	HSTSMaxAge            time.Duration
	HSTSIncludeSubdomains bool
	OmitHSTS              bool

	// TrustedProxies lists the addresses whose X-Forwarded-Proto header is
	// believed. The default, none, believes no forwarded header.
	TrustedProxies []netip.Prefix

	cop http.CrossOriginProtection
}

// AddTrustedOrigin lets unsafe requests whose Origin header is exactly the
// given origin pass the cross-origin check. The origin is validated and
// normalised by [ParseOrigin]; an invalid one is an error and changes
// nothing. AddTrustedOrigin may be called concurrently with request handling
// and applies to future requests.
//
// It lifts the cross-origin check only: a request that reaches
// [Guard.TokenHandler] still needs the token, which another site's page
// cannot have. A route that takes another site's form post, such as the
// callback of a single sign-on provider, is served by a mux outside
// TokenHandler, as a webhook is (see the example of TokenHandler).
func (g *Guard) AddTrustedOrigin(origin string) error {
	o, err := ParseOrigin(origin)
	if err != nil {
		return err
	}
	return g.cop.AddTrustedOrigin(o)
}

// AddInsecureBypassPattern lets every request that matches pattern pass the
// cross-origin check, whatever site sent it: a route where another site's
// page posts the user back and whose origin is not known in advance, such
// as the return of a card issuer's 3-D Secure page. The pattern is a
// [http.ServeMux] pattern ("POST /payments/return"), matched as
// [http.CrossOriginProtection.AddInsecureBypassPattern] matches it: only
// requests that match it directly, not those the mux would redirect to it.
// It panics, as that method does, if the pattern is invalid or conflicts
// with one added before. It may be called concurrently with request
// handling and applies to future requests.
//
// It lifts the cross-origin check only, as [Guard.AddTrustedOrigin] does:
// the response still carries guard's headers, framed navigations are still
// refused, and the route must be served outside [Guard.TokenHandler] and
// check the request its own way (a signed payload, a one-time value it
// issued). Every bypass is a route open to cross-site request forgery;
// prefer AddTrustedOrigin where the other site's origin is known.
//
// Where the other site posts inside an iframe of the application's own page
// (a 3-D Secure 2 challenge), the post is also a framed navigation from
// another site, which guard refuses unless the route lets other origins
// frame it: guard cannot see that the frame's parent is the application.
// Register such a route with a [Policy.Handler] whose policy names the
// application's own origin, as [NewPolicy]("https://shop.example") does
// ('self' alone is not enough), so that the frame may render in the
// application's page and in no other, where [Guard.Routes] finds it: a
// route on a mux outside the application's (outside TokenHandler) needs a
// [RoutesFunc] that asks that mux first, as the example does, or its framed
// posts are refused.
func (g *Guard) AddInsecureBypassPattern(pattern string) {
	g.cop.AddInsecureBypassPattern(pattern)
}

// mustHandler panics if h is nil, as [http.ServeMux.Handle] does: a nil
// handler would otherwise panic on every request, each answered with a
// 500. who names the function given it.
// RoutesFunc lets a function serve as [Guard.Routes], for a router other
// than [http.ServeMux] or a mux behind [http.StripPrefix]. It returns the
// handler the router will call for r, as registered (the [Embeddable] or
// [Policy.Handler] itself, so that guard sees the declaration), and the
// pattern it matched, or nil and "" for no route. guard calls it for the
// requests a frame of another origin makes, before the handler runs, and
// after each GET or HEAD of a route that other origins may frame, to warn
// once if it cannot find the route's declaration (see [Guard.Routes]); it
// must not change r.
type RoutesFunc func(r *http.Request) (h http.Handler, pattern string)

// Handler returns f(r).
func (f RoutesFunc) Handler(r *http.Request) (http.Handler, string) { return f(r) }

func mustHandler(h http.Handler, who string) {
	if h == nil {
		panic("guard: " + who + " given a nil handler")
	}
}

// compiled holds everything computed once at setup.
type compiled struct {
	g       *Guard
	framing Policy
	refuse  bool
	routes  interface {
		Handler(*http.Request) (http.Handler, string)
	}
	nosniff    bool
	referrer   string
	coop       string
	hsts       string
	proxies    []netip.Prefix
	deny       http.Handler
	logger     *slog.Logger
	reportOnly bool

	unreachableWarned atomic.Bool // warnUnreachable has spoken
	droppedWarned     atomic.Bool // warnDropped has spoken
}

func (g *Guard) compile() *compiled {
	c := &compiled{
		g:          g,
		framing:    g.Framing,
		refuse:     !g.AllowFramedNavigation,
		routes:     g.Routes,
		nosniff:    !g.OmitNosniff,
		proxies:    append([]netip.Prefix(nil), g.TrustedProxies...),
		deny:       g.DenyHandler,
		logger:     g.Logger,
		reportOnly: g.ReportOnly,
	}
	if !g.OmitReferrerPolicy {
		c.referrer = g.ReferrerPolicy
		if c.referrer == "" {
			c.referrer = "same-origin"
		}
		if err := checkReferrerPolicy(c.referrer); err != nil {
			panic("guard: ReferrerPolicy: " + err.Error())
		}
	}
	if !g.OmitCOOP {
		c.coop = "same-origin"
	}
	if !g.OmitHSTS {
		age := g.HSTSMaxAge
		if age > 0 && age < time.Second {
			panic(fmt.Sprintf("guard: HSTSMaxAge is %v, which would be sent as max-age=0: it is a time.Duration (one year is 365 * 24 * time.Hour)", age))
		}
		if age < 0 {
			panic(fmt.Sprintf("guard: HSTSMaxAge is %v: want a positive time.Duration, or 0 for the default of two years (OmitHSTS turns the header off)", age))
		}
		if age == 0 {
			age = 2 * 365 * 24 * time.Hour
		}
		c.hsts = fmt.Sprintf("max-age=%d", int64(age/time.Second))
		if g.HSTSIncludeSubdomains {
			c.hsts += "; includeSubDomains"
		}
	}
	if c.deny == nil {
		c.deny = http.HandlerFunc(defaultDeny)
	}
	return c
}

// referrerPolicies are the values of Referrer-Policy that browsers apply.
var referrerPolicies = []string{
	"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
	"origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url",
}

// checkReferrerPolicy returns why v is not a Referrer-Policy value of
// policies browsers apply, or nil. Browsers split the value at commas, trim
// spaces and tabs, compare each word without regard to ASCII case, and
// apply the last they know; guard refuses a word they would ignore, since
// it is most likely a misspelling of one.
func checkReferrerPolicy(v string) error {
	known := 0
	for _, tok := range strings.Split(v, ",") {
		tok = strings.Trim(tok, " \t")
		if tok == "" {
			continue
		}
		if !slices.ContainsFunc(referrerPolicies, func(p string) bool { return equalFoldASCII(p, tok) }) {
			return fmt.Errorf("%q is not a policy browsers apply (one of %s)", tok, strings.Join(referrerPolicies, ", "))
		}
		known++
	}
	if known == 0 {
		return fmt.Errorf("%q names no policy", v)
	}
	return nil
}

// equalFoldASCII reports whether a and b are equal but for the case of
// ASCII letters, as browsers compare keywords (strings.EqualFold also folds
// others: "ſ" into "s").
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func defaultDeny(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if BodyTooLarge(Reason(r)) {
		http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	http.Error(w, "Forbidden", http.StatusForbidden)
}

// Handler returns a handler that protects next:
//
//   - every response carries guard's headers, set when the header is
//     written, with exactly one Content-Security-Policy (frame-ancestors is
//     merged into the application's own policy, replacing any it wrote) and
//     at most one X-Frame-Options;
//   - framed navigations from other origins to routes that are not
//     embeddable are refused before next runs (see AllowFramedNavigation);
//   - unsafe requests (all methods but GET, HEAD and OPTIONS) from other
//     origins are refused, with [http.CrossOriginProtection];
//   - a panic in next is recovered, logged, and answered with a plain 500
//     that carries guard's headers and those the middleware around guard
//     had set, but none that next set; if the response had already begun,
//     the connection is aborted instead, as net/http does.
//
// Refused requests go to DenyHandler. Handler does not check tokens: that is
// [Guard.TokenHandler], which needs the session.
func (g *Guard) Handler(next http.Handler) http.Handler {
	mustHandler(next, "Guard.Handler")
	c := g.compile()
	if c.routes == nil {
		if mux, ok := next.(*http.ServeMux); ok {
			c.routes = mux
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &responseWriter{w: w, c: c, pol: &c.framing}
		gw.hsts = c.hsts != "" && c.isHTTPS(r)
		gw.report = c.reportOnly
		// What the middleware around guard has set (a request ID, say)
		// belongs to the 500 page too, should next panic.
		var outer outerHeaders
		outer.save(w.Header())
		gw.setDefaults(c)
		defer c.recover(gw, r, &outer)
		if gw, _ := r.Context().Value(frameKey{}).(*responseWriter); gw != nil {
			// Inside a route another guard declared: AllowFraming speaks
			// to this guard, whose routes declare their own.
			r = r.WithContext(context.WithValue(r.Context(), frameKey{}, (*responseWriter)(nil)))
		}
		if err := c.check(r); err != nil {
			if c.reject(gw, r, err) {
				gw.apply()
				return
			}
			// Report-only: what the cross-origin check would refuse after
			// a framed navigation is reported too, or turning enforcement
			// on would show it for the first time.
			if errors.Is(err, ErrFramed) {
				if err := c.checkCrossOrigin(r); err != nil {
					c.warn(r, err)
				}
			}
		}
		next.ServeHTTP(gw, r)
		gw.apply()
		// What the handler left is the response: AllowFraming, called
		// later, can change nothing.
		gw.done = true
		if c.refuse && gw.declared && (gw.anyOrigin || len(gw.ceiling.origins) > 0) && !c.unreachableWarned.Load() {
			c.warnUnreachable(r)
		}
	})
}

// warnUnreachable says, once, that r's route lets other origins frame it
// but framed navigations to it are refused, because guard cannot find its
// declaration: a mistake that shows only when another site frames the page.
// It asks what checkFramed asks, for a GET or HEAD, the requests a framed
// navigation makes.
func (c *compiled) warnUnreachable(r *http.Request) {
	if r.Method != "GET" && r.Method != "HEAD" || c.routeFramable(r) || c.unreachableWarned.Swap(true) {
		return
	}
	why := "the handler Guard.Routes finds for this request is not the route's declaration: " +
		"register Embeddable or Policy.Handler with the mux itself, not inside other middleware, and set Guard.Routes to that mux"
	if c.routes == nil {
		why = "Guard.Routes is nil and the handler Guard.Handler wraps is not a *http.ServeMux: set Guard.Routes to the mux"
	}
	c.log().WarnContext(r.Context(), "framed navigations to a route other origins may frame are refused",
		slog.String("path", r.URL.Path), slog.String("why", why))
}

// log is the Logger guard speaks through: Guard.Logger, or slog's default.
func (c *compiled) log() *slog.Logger {
	if c.logger == nil {
		return slog.Default()
	}
	return c.logger
}

// warnDropped says, once, that guard left out a directive of the
// application's policy in header, when dropped: one holding a control
// character, which would have made the header line, guard's frame-ancestors
// in it, invalid (see withoutFrameAncestors).
func (c *compiled) warnDropped(dropped bool, header string) {
	if !dropped || c.droppedWarned.Swap(true) {
		return
	}
	c.log().Warn("a directive of the application's policy holds a control character and was left out",
		slog.String("header", header),
		slog.String("why", "no header value may carry one, and an invalid line would take guard's frame-ancestors with it"))
}

// Check applies the framed-navigation and cross-origin checks of
// [Guard.Handler] to r and returns why it would be refused, or nil. It
// ignores ReportOnly and does not call the deny handler. Check sees route
// declarations only through [Guard.Routes]: where Handler finds them in the
// *http.ServeMux it wraps, set Routes to that mux for Check to agree.
func (g *Guard) Check(r *http.Request) error {
	c := g.compile()
	return c.check(r)
}

func (c *compiled) check(r *http.Request) error {
	if c.refuse {
		if err := c.checkFramed(r); err != nil {
			return err
		}
	}
	return c.checkCrossOrigin(r)
}

// checkCrossOrigin is the cross-origin check of unsafe requests.
func (c *compiled) checkCrossOrigin(r *http.Request) error {
	if safeMethod(r.Method) {
		return nil
	}
	// The first test of CrossOriginProtection.Check, without canonicalising
	// the header name: a same-origin or user-initiated request passes.
	if v := r.Header["Sec-Fetch-Site"]; len(v) > 0 && (v[0] == "same-origin" || v[0] == "none") {
		return nil
	}
	if err := c.g.cop.Check(r); err != nil {
		return newCrossOriginError(r, err)
	}
	return nil
}

// crossOriginError is a refusal of [http.CrossOriginProtection], told in
// guard's words (the standard library's text repeats ErrCrossOrigin's).
// It wraps both ErrCrossOrigin and the standard library's error.
type crossOriginError struct {
	why string
	err error
}

// newCrossOriginError says why CrossOriginProtection refused r with err:
// a Sec-Fetch-Site header that is not same-origin or none refuses a
// request by itself; without one, an Origin that does not match the Host.
func newCrossOriginError(r *http.Request, err error) error {
	why := "its Sec-Fetch-Site header says another origin sent it"
	if r.Header.Get("Sec-Fetch-Site") == "" {
		why = "its Origin header does not match its Host, and it has no Sec-Fetch-Site header (an old browser, or not a browser)"
	}
	return &crossOriginError{why: why, err: err}
}

func (e *crossOriginError) Error() string   { return ErrCrossOrigin.Error() + ": " + e.why }
func (e *crossOriginError) Unwrap() []error { return []error{ErrCrossOrigin, e.err} }

func (c *compiled) checkFramed(r *http.Request) error {
	dest := r.Header["Sec-Fetch-Dest"]
	if len(dest) == 0 {
		return nil
	}
	switch dest[0] {
	case "iframe", "frame", "object", "embed", "fencedframe":
	default:
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "cross-site", "same-site":
	default:
		// same-origin, none, or missing. Without Sec-Fetch-Site the parent's
		// origin is unknown; we fail open here and leave it to the headers,
		// which every browser that lacks Fetch Metadata still enforces.
		return nil
	}
	if c.routeFramable(r) {
		return nil
	}
	return ErrFramed
}

// routeFramable reports whether other origins may frame r's route, as far as
// guard can find it: the route's own declarations decide, and a route that
// declares nothing (or that guard cannot find) gets the default policy.
func (c *compiled) routeFramable(r *http.Request) bool {
	if c.routes != nil {
		h, _ := c.routes.Handler(r)
		if reflect.TypeOf(h) == redirectType {
			// http.RedirectHandler, which is also how ServeMux sends
			// /widget to /widget/ and /a/../b to /b: it does no work, a
			// redirect shows nothing in a frame, and the browser's request
			// for its target comes through this check in turn.
			return true
		}
		if allowed, declared := framableByOthers(h, r); declared {
			return allowed
		}
	}
	return len(c.framing.origins) > 0
}

// redirectType is the type of the handlers http.RedirectHandler returns.
var redirectType = reflect.TypeOf(http.RedirectHandler("/", http.StatusFound))

// framableByOthers reports whether the route declarations at the top of h,
// nested ones included, may let another origin frame r's route: every one
// of them must (an Embeddable may, a Policy.Handler if it names origins,
// and nested allowlists must share one), since an inner declaration only
// narrows. A *http.ServeMux inside a declaration is asked for r's handler,
// whose own declarations count too. declared is false when h is no
// declaration.
func framableByOthers(h http.Handler, r *http.Request) (allowed, declared bool) {
	var within *Policy // nil: no allowlist yet
	for {
		switch d := h.(type) {
		case *embeddable:
			h = d.h
		case *policyHandler:
			if within == nil {
				within = &d.p
			} else {
				within = intersect(within, &d.p)
			}
			h = d.h
		case *http.ServeMux:
			if !declared {
				return false, false
			}
			h, _ = d.Handler(r)
			continue
		default:
			return declared && (within == nil || len(within.origins) > 0), declared
		}
		declared = true
	}
}

func (c *compiled) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if len(c.proxies) == 0 {
		return false
	}
	xfp := r.Header["X-Forwarded-Proto"]
	if len(xfp) != 1 || xfp[0] != "https" {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	// A prefix never contains an address with a zone (fe80::1%eth0).
	a := ap.Addr().Unmap().WithZone("")
	for _, p := range c.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// reject logs why r is refused and, unless in report-only mode, answers it
// with the deny handler and reports true: the caller must then not serve r.
func (c *compiled) reject(w http.ResponseWriter, r *http.Request, err error) bool {
	c.warn(r, err)
	if c.reportOnly {
		return false
	}
	c.deny.ServeHTTP(w, withReason(r, err))
	return true
}

func (c *compiled) warn(r *http.Request, err error) {
	logger := c.logger
	if logger == nil {
		// Report-only mode is there to show what would be refused.
		if !c.reportOnly {
			return
		}
		logger = slog.Default()
	}
	msg := "request refused"
	if c.reportOnly {
		msg = "request would be refused"
	}
	// Enough to act on: the route, and where the browser says the request
	// came from (which origin to trust, which route to declare). No query,
	// cookie or token.
	attrs := make([]any, 0, 8)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("path", r.URL.Path))
	pattern := r.Pattern
	if pattern == "" && c.routes != nil {
		_, pattern = c.routes.Handler(r)
	}
	if pattern != "" {
		attrs = append(attrs, slog.String("pattern", pattern))
	}
	for _, h := range [...]struct{ key, name string }{
		{"origin", "Origin"}, {"sec_fetch_site", "Sec-Fetch-Site"}, {"sec_fetch_dest", "Sec-Fetch-Dest"},
	} {
		if v := r.Header.Get(h.name); v != "" {
			attrs = append(attrs, slog.String(h.key, v))
		}
	}
	attrs = append(attrs, slog.String("remote_addr", r.RemoteAddr))
	logger.WarnContext(r.Context(), msg, slog.Any("error", err), slog.Group("request", attrs...))
}

// outerHeaders keeps the header map as guard was given it, for the 500 page
// of a panic. A few entries are kept on the stack, as slice headers: values
// the handler replaces (Set, Del, even Add) come back as they were, and only
// one edited in place (h[k][0] = v) would not.
type outerHeaders struct {
	n  int
	kv [4]struct {
		k string
		v []string
	}
	more http.Header // a copy, when there are more entries than kv holds
}

func (o *outerHeaders) save(h http.Header) {
	if len(h) > len(o.kv) {
		o.more = h.Clone()
		return
	}
	for k, v := range h {
		o.kv[o.n].k, o.kv[o.n].v = k, v
		o.n++
	}
}

// restore makes h what it was when save was called.
func (o *outerHeaders) restore(h http.Header) {
	clear(h)
	maps.Copy(h, o.more)
	for _, e := range o.kv[:o.n] {
		h[e.k] = e.v
	}
}

// recover answers a panic in the handler with a plain 500 whose header map is
// outer, the one guard was given, plus guard's headers.
func (c *compiled) recover(gw *responseWriter, r *http.Request, outer *outerHeaders) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	c.log().ErrorContext(r.Context(), "panic serving request",
		slog.Any("panic", v),
		slog.Group("request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path)),
		slog.String("stack", string(debug.Stack())))
	if gw.done {
		// The status line is gone, or the connection was hijacked: abort
		// so the client sees a broken response rather than a truncated one
		// that looks complete.
		panic(http.ErrAbortHandler)
	}
	// Whatever the handler put in the header map (cookies, its own
	// policies, a Content-Length) does not describe the 500 page; what was
	// there before guard ran is put back as it was.
	outer.restore(gw.w.Header())
	gw.pol = nonePolicy
	gw.setDefaults(c)
	gw.Header().Set("Cache-Control", "no-store")
	http.Error(gw, "Internal Server Error", http.StatusInternalServerError)
}
