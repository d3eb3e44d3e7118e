package guard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

const (
	noneDirective = "frame-ancestors 'none'"
	selfSource    = "'self'"
)

// Policy says which origins may embed a response in a frame. It becomes the
// Content-Security-Policy frame-ancestors directive and, where one exists,
// the matching X-Frame-Options value.
//
// The zero value is the strictest policy: frame-ancestors 'none' and
// X-Frame-Options: DENY. A Policy is immutable and safe for concurrent use.
type Policy struct {
	self    bool
	origins []string // normalised by ParseOrigin, no duplicates
	fa      string   // the frame-ancestors directive; "" for the zero value
}

// SameOrigin returns the policy that lets only the response's own origin
// frame it: frame-ancestors 'self' and X-Frame-Options: SAMEORIGIN.
func SameOrigin() Policy {
	p, _ := NewPolicy(selfSource)
	return p
}

// NewPolicy returns the policy that lets the given sources frame a response.
// Each source is the keyword 'self' (with its quotes, in any case, as in
// CSP) or an exact origin as accepted by [ParseOrigin]. With no sources it returns the zero policy.
// An allowlist of origins sends no X-Frame-Options header, since that header
// cannot name other origins; browsers that support frame-ancestors ignore
// X-Frame-Options anyway when both are present.
//
// An http origin with a port other than 80 (http://partner.example:8080)
// also lets the same host and port over https frame the response in Firefox
// and WebKit, which follow CSP 3 there, but not in Chromium (all measured:
// framing/testdata/firefox.json and webkit.json); name the https origin too
// for browsers to agree.
func NewPolicy(sources ...string) (Policy, error) {
	p, err := newPolicy(sources)
	if err != nil {
		return Policy{}, fmt.Errorf("guard: new policy: %w", err)
	}
	return p, nil
}

// newPolicy is NewPolicy with the error of ParseOrigin as it is, for the
// caller to say what it was doing.
func newPolicy(sources []string) (Policy, error) {
	var p Policy
	for _, s := range sources {
		// Sources written as in a CSP header, which NewPolicy does not
		// take, get a message saying how to write them.
		switch {
		case equalFoldASCII(s, selfSource): // CSP keywords ignore ASCII case
			p.self = true
			continue
		case equalFoldASCII(s, "'none'"):
			return Policy{}, errors.New("'none' is not a source: no sources at all make frame-ancestors 'none'")
		case equalFoldASCII(s, "self"):
			return Policy{}, fmt.Errorf("%q is not an origin: the keyword is 'self', with its quotes", s)
		case strings.HasPrefix(s, "'"):
			return Policy{}, fmt.Errorf("%q is not a frame-ancestors source: give 'self' or origins", s)
		}
		o, err := ParseOrigin(s)
		if err != nil {
			return Policy{}, err
		}
		if !slices.Contains(p.origins, o) {
			p.origins = append(p.origins, o)
		}
	}
	if !p.IsEmbeddable() {
		return Policy{}, nil
	}
	var b strings.Builder
	b.WriteString("frame-ancestors")
	if p.self {
		b.WriteString(" " + selfSource)
	}
	for _, o := range p.origins {
		b.WriteString(" " + o)
	}
	p.fa = b.String()
	return p, nil
}

// IsEmbeddable reports whether the policy lets any origin frame a response.
func (p Policy) IsEmbeddable() bool { return p.self || len(p.origins) > 0 }

// String returns the frame-ancestors directive of the policy.
func (p Policy) String() string { return p.directive() }

// Origins returns the origins of the allowlist, without 'self'.
func (p Policy) Origins() []string { return slices.Clone(p.origins) }

func (p *Policy) directive() string {
	if p.fa == "" {
		return noneDirective
	}
	return p.fa
}

// xfo returns the X-Frame-Options value that means the same as the policy,
// or "" when there is none (an allowlist of other origins).
func (p *Policy) xfo() string {
	switch {
	case len(p.origins) > 0:
		return ""
	case p.self:
		return "SAMEORIGIN"
	}
	return "DENY"
}

// within reports whether every source of p is also allowed by ceiling.
func (p *Policy) within(ceiling *Policy) bool {
	if p.self && !ceiling.self {
		return false
	}
	for _, o := range p.origins {
		if !slices.Contains(ceiling.origins, o) {
			return false
		}
	}
	return true
}

// intersect returns the policy that allows only what both p and q allow.
// 'self' and an origin are different sources here even when the origin is
// the response's own, which can only make the result stricter.
func intersect(p, q *Policy) *Policy {
	if p.within(q) {
		return p
	}
	if q.within(p) {
		return q
	}
	var sources []string
	if p.self && q.self {
		sources = append(sources, selfSource)
	}
	for _, o := range p.origins {
		if slices.Contains(q.origins, o) {
			sources = append(sources, o)
		}
	}
	r, _ := NewPolicy(sources...) // sources were validated by p and q
	return &r
}

var nonePolicy = &Policy{}

type frameKey struct{}

// Handler returns a handler that serves h with p as the framing policy of
// its route, replacing the [Guard.Framing] default. It must run inside
// [Guard.Handler], which writes the headers, and should be the handler
// registered with the mux itself: [Guard.Handler] looks there to decide
// whether a framed navigation may reach the route (in the mux it wraps, or
// in [Guard.Routes] when the mux is wrapped in other middleware, such as the
// session's). Inside h, [AllowFraming]
// may narrow an embeddable policy for one request; it can never widen it.
//
// Route declarations nest: a Policy.Handler or [Embeddable] inside another
// one only narrows what the outer one allows. Guard's response writer must
// be reachable from the writer h is given, through the Unwrap methods of any
// writers wrapped around it in between (as [http.ResponseController]
// requires); if it is not, for example behind [http.TimeoutHandler], the
// route's policy cannot be enforced and the handler panics rather than
// serve the response under another policy.
func (p Policy) Handler(h http.Handler) http.Handler {
	mustHandler(h, "Policy.Handler")
	return &policyHandler{p: p, h: h}
}

type policyHandler struct {
	p Policy
	h http.Handler
}

func (ph *policyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gw := mustFindWriter(w, "Policy.Handler")
	gw.declare(&ph.p)
	if ph.p.IsEmbeddable() {
		r = r.WithContext(context.WithValue(r.Context(), frameKey{}, gw))
	}
	ph.h.ServeHTTP(w, r)
}

// Embeddable returns a handler that serves h as a route that other origins
// may frame, but only those its handler chooses for each request with
// [AllowFraming] (for example an allowlist an owner keeps in a database).
// Until the handler chooses, the policy is the zero Policy: frame-ancestors
// 'none'. Use it only for read-only pages: a page with a form or any
// state-changing control must never be embeddable.
//
// Like [Policy.Handler], it must run inside [Guard.Handler] and should be the
// handler registered with the mux, so that [Guard.Handler] lets framed
// navigations reach it (set [Guard.Routes] to the mux when the mux is
// wrapped in other middleware); inside a [Policy.Handler], the handler may
// choose only among that policy's sources.
func Embeddable(h http.Handler) http.Handler {
	mustHandler(h, "Embeddable")
	return &embeddable{h: h}
}

type embeddable struct{ h http.Handler }

func (e *embeddable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gw := mustFindWriter(w, "Embeddable")
	gw.declare(nil)
	e.h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), frameKey{}, gw)))
}

// AllowFraming sets the framing policy of this one response to the given
// sources ('self' or exact origins, as for [NewPolicy]; none means 'none').
// It works only inside [Embeddable], or inside [Policy.Handler] for a subset
// of that route's sources, and only before the response header is written;
// inside a [Guard.Handler] nested in another, only for sources the outer
// guard allows too, since it sends what both allow. Otherwise it returns an
// error wrapping [ErrNotEmbeddable] or [ErrHeaderWritten] and the policy
// does not change. A source that
// [NewPolicy] refuses is an error wrapping neither, and changes nothing
// either. Calling it again replaces the previous choice, within the same
// limits.
//
// AllowFraming must be called from the goroutine serving the request, not
// from the one [http.TimeoutHandler] runs its handler in.
func AllowFraming(r *http.Request, sources ...string) error {
	gw, _ := r.Context().Value(frameKey{}).(*responseWriter)
	if gw == nil || !gw.declared || (!gw.anyOrigin && !gw.ceiling.IsEmbeddable()) {
		return ErrNotEmbeddable
	}
	p, err := newPolicy(sources)
	if err != nil {
		return fmt.Errorf("guard: allow framing: %w", err)
	}
	if gw.done {
		return ErrHeaderWritten
	}
	if !gw.anyOrigin && !p.within(gw.ceiling) {
		return fmt.Errorf("%w: %s is wider than the route's %s", ErrNotEmbeddable, p.directive(), gw.ceiling.directive())
	}
	if err := gw.outerAllows(&p); err != nil {
		return err
	}
	gw.pol = &p
	gw.chosen = true
	return nil
}

// outerAllows reports an error when a guard around w's, in the same mode,
// would not send p as it is: it sends what both allow (see apply), so a
// choice it narrows is not the response's.
func (w *responseWriter) outerAllows(p *Policy) error {
	for inner := w; ; {
		outer := findWriter(inner.w)
		if outer == nil || outer.report != inner.report {
			return nil
		}
		if outer.done {
			return ErrHeaderWritten
		}
		if (!outer.anyOrigin || outer.chosen) && !p.within(outer.pol) {
			return fmt.Errorf("%w: %s is wider than the %s of the guard around this one", ErrNotEmbeddable, p.directive(), outer.pol.directive())
		}
		inner = outer
	}
}

// mustFindWriter returns guard's writer under w, or panics: a route
// declaration that cannot reach it would leave the response to a policy
// the route did not declare.
func mustFindWriter(w http.ResponseWriter, who string) *responseWriter {
	gw := findWriter(w)
	if gw == nil {
		panic("guard: " + who + ": guard's response writer is not reachable: the route must run inside Guard.Handler, and every ResponseWriter wrapped around guard's in between needs an Unwrap method")
	}
	return gw
}

// findWriter walks the chain of wrapped response writers down to guard's.
func findWriter(w http.ResponseWriter) *responseWriter {
	for {
		if gw, ok := w.(*responseWriter); ok {
			return gw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
}
