// Package guard is net/http middleware that makes every response safe from
// clickjacking and every state change safe from cross-site request forgery.
// It uses the standard library only.
//
// # What it does
//
// [Guard.Handler] wraps an application (usually its whole mux) and:
//
//   - sends a framing policy on every response — handler pages, http.Error,
//     redirects, ServeMux 404 and 405, http.FileServer files and 304s, HEAD,
//     and the 500 page after a recovered panic. The default is
//     Content-Security-Policy: frame-ancestors 'none' with
//     X-Frame-Options: DENY. There is always exactly one
//     Content-Security-Policy header: if the application writes its own,
//     guard merges frame-ancestors into it and removes any frame-ancestors
//     the application wrote, and any directive of the application's that
//     holds a control character no header may carry (with ReportOnly, the
//     enforced headers are the application's as it wrote them). The header
//     is final when it goes to the writer below guard, not before: until
//     then guard writes it again over what a handler puts in its place.
//     X-Frame-Options is sent at most once. (guard
//     reads the header map by canonical key, as [http.Header]'s methods
//     write it; a value stored under another spelling is a second header);
//   - refuses, before any handler runs, navigations that would load a route
//     that is not embeddable inside a frame of another origin
//     (Sec-Fetch-Dest iframe, frame, object, embed or fencedframe with
//     Sec-Fetch-Site cross-site or same-site);
//   - refuses unsafe requests from other origins, with the standard
//     library's [net/http.CrossOriginProtection] (Sec-Fetch-Site, then
//     Origin against Host), validated trusted origins and, for a route
//     another site must post to, bypass patterns;
//   - sends X-Content-Type-Options, Referrer-Policy,
//     Cross-Origin-Opener-Policy, and Strict-Transport-Security on TLS
//     requests, each switchable;
//   - recovers panics into a plain 500.
//
// [Guard.TokenHandler], inside the session middleware, adds a synchronizer
// token: one per session, masked afresh by [Guard.Token] for every render,
// compared in constant time, replaced by [Guard.RenewToken].
//
// # Confirmation pages
//
// A page on which one click changes state (the "Are you sure?" page with the
// Delete button) can be attacked without any frame: in DoubleClickjacking, a
// decoy on another site asks for a double-click, its first press navigates
// the tab to the page, and the second click lands on the button. Routes
// registered with [Guard.ConfirmationHandler] refuse requests whose
// Sec-Fetch-Site is cross-site or same-site before their handler runs, so
// that only the application's own links and the user can open them.
//
// # Per-route and per-request policies
//
// A route registered as [Policy.Handler] uses that policy instead of
// [Guard.Framing]. A route registered as [Embeddable] starts each request at
// frame-ancestors 'none' and may let origins chosen per request frame it with
// [AllowFraming] (for example an allowlist read from a database); an
// embeddable [Policy.Handler] route may narrow its policy the same way. The
// policy is final when the response header is written; a request can never
// widen what its route declared, and a route not declared embeddable cannot
// be made embeddable by its handler. Declarations nest, and an inner one
// only narrows an outer one. A declaration finds guard through the Unwrap
// methods of the response writers wrapped around guard's (as
// [http.ResponseController] does); where it cannot, as behind
// [http.TimeoutHandler], it panics, and guard answers 500, rather than serve
// the route under a policy it did not declare.
//
// A Guard.Handler inside another one (a sub-application with its own guard)
// leaves the framing headers to the outer one, which sends the policy both
// allow when both enforce (or both only report), and [AllowFraming] under
// the inner one refuses a choice the outer one would narrow; an enforcing
// outer guard drops the frame-ancestors of an inner report-only one. So for
// the sub-application's embeddable routes to be framed, the outer mux
// registers it as Embeddable (or with a Policy.Handler naming the origins),
// which also lets framed navigations reach it:
//
//	mux.Handle("/sub/", guard.Embeddable(http.StripPrefix("/sub", sub.Handler(subMux))))
//
// The inner guard finds the outer one through Unwrap as declarations do, but
// it cannot tell that one is there when a writer in between hides it: then
// the outer guard's policy replaces the inner one's.
//
// [http.TimeoutHandler] is such a writer, and it also runs its handler in a
// goroutine of its own, from which AllowFraming must not be called; outside
// guard, the 503 it writes on a timeout carries none of guard's headers.
// Between guard and the mux it suits only routes that declare nothing. Put it
// inside the route, below the declaration and the handler's AllowFraming:
//
//	guard.Embeddable(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		if err := guard.AllowFraming(r, allowed...); err != nil { ... }
//		http.TimeoutHandler(work, 5*time.Second, "timed out").ServeHTTP(w, r)
//	}))
//
// # Security model
//
// guard assumes that GET, HEAD and OPTIONS never change state, that pages
// with forms or state-changing controls are never embeddable, and that the
// application is reached through one origin (Host) or trusted origins.
// Requests without Fetch Metadata or Origin headers are treated as
// same-origin or non-browser requests by the cross-origin check, as the
// standard library does; the token check has no such exemption. Framing
// headers are enforced by browsers; the server-side refusal of framed
// navigations is defence in depth and fails open when the browser sends no
// Sec-Fetch-Site; so does the refusal of confirmation pages opened from other
// sites, which only Fetch Metadata can tell apart. Forwarded headers are trusted only from
// [Guard.TrustedProxies].
//
// Report-only mode ([Guard.ReportOnly]) logs instead of refusing, for
// adoption, and sends the framing policy as
// Content-Security-Policy-Report-Only, so that browsers report framings it
// would block without blocking them.
//
// # Order of middleware
//
// Outermost first: guard headers, recovery and cross-origin checks
// ([Guard.Handler]), then session load and save, then [Guard.TokenHandler],
// then the mux. [Guard.Handler] then cannot see the mux, where the route
// declarations are: set [Guard.Routes] to it.
//
// References:
//   - [CSP frame-ancestors]
//   - [X-Frame-Options]
//   - [Fetch Metadata]
//   - [BREACH]
//
// [CSP frame-ancestors]: https://www.w3.org/TR/CSP3/#directive-frame-ancestors
// [X-Frame-Options]: https://html.spec.whatwg.org/multipage/document-lifecycle.html#the-x-frame-options-header
// [Fetch Metadata]: https://www.w3.org/TR/fetch-metadata/
// [BREACH]: https://www.breachattack.com/
package guard
