package framing

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Header is one response header line, as received.
type Header struct{ Name, Value string }

// Meta is one <meta http-equiv> tag of a response body. Browsers ignore
// X-Frame-Options and frame-ancestors given this way; Evaluate mentions
// such tags in its reason but never obeys them.
type Meta struct{ HTTPEquiv, Content string }

// Response is what a browser received for the document to be framed.
type Response struct {
	// URL is the document's final URL (after redirects); its origin is the
	// document's origin for X-Frame-Options: SAMEORIGIN, 'self' and
	// source expressions without a scheme. An empty or unparsable URL
	// gives an opaque origin, which is same-origin with nothing.
	URL string
	// Status is the HTTP status code. Browsers apply the framing rules to
	// every status, error pages included; Evaluate uses it for the
	// statuses that commit no document (204, 205, 304) or fail (101, 407), for downloads, and
	// for an <object> (see Element). Zero means unknown and counts as 200.
	Status int
	// Element is the element whose frame loads the document: "iframe" (also
	// when empty, and any other value), "object" or "embed". The rules are the
	// same for each, but an <object> renders a document only for a 2xx
	// Status: for any other (404, 500, even a 300 without Location) it
	// shows its fallback content instead, where an iframe or embed renders
	// the error page. The default, an iframe, is what an attacker would use.
	Element string
	// Headers are the response's header lines in order. Names compare
	// case-insensitively. Besides the framing headers, Evaluate reads
	// Content-Type, Content-Disposition and X-Content-Type-Options, which
	// tell whether the response is a download (see Evaluate).
	Headers []Header
	// Sniffed is the MIME type the start of the body sniffs as, as [Sniff]
	// computes it ("text/html; charset=utf-8", "application/octet-stream"):
	// the MIME Sniffing Standard's rules for a resource of unknown type,
	// with Chromium's own signatures of text. Chromium sniffs when the
	// response has no Content-Type (or says unknown/unknown,
	// application/unknown or */*), and looks whether a text/plain body is
	// binary; a body that sniffs as a type it does not render is a
	// download. Empty means unknown: the body then counts as one Chromium
	// renders.
	Sniffed string
	// Meta are the <meta http-equiv> tags of the body: reported, never
	// obeyed.
	Meta []Meta
	// Redirected reports whether the document was reached through a
	// redirect. Chromium then ignores the path of frame-ancestors sources.
	// The headers of the redirect responses themselves play no part.
	Redirected bool
	// Redirects are the URLs that redirected to URL, oldest first: the URL
	// the frame was given, then each one a redirect sent it to. Chromium
	// checks each of them, and URL, for mixed content (see Evaluate). A
	// Response with Redirects counts as Redirected.
	Redirects []string
}

// Decider names the header that decided a verdict.
type Decider string

// The deciders.
const (
	DecidedByXFO    Decider = "xfo"    // X-Frame-Options decided
	DecidedByCSP    Decider = "csp"    // an enforced Content-Security-Policy frame-ancestors decided
	DecidedByNone   Decider = "none"   // no header restricts framing (or there is no frame)
	DecidedByStatus Decider = "status" // an <object> renders no document for the response's status

	// DecidedByMixedContent: Chromium blocked the frame's request as mixed
	// content, before any response, so no header played a part.
	DecidedByMixedContent Decider = "mixed-content"

	// DecidedByNoDocument: the response puts no document of the page in
	// the frame (a 204, a download), or browsers fetch nothing from its URL
	// (a bad port), so the framing headers played no part.
	DecidedByNoDocument Decider = "no-document"
)

// Verdict is whether a document renders in a frame, and why.
type Verdict struct {
	// Framable reports whether the browser renders the document for the
	// given chain of ancestors.
	Framable bool
	// DecidedBy names the header that decided.
	DecidedBy Decider
	// Reason explains the verdict to a web developer, naming the header
	// value and the ancestor that decided it.
	Reason string
}

// Evaluate decides whether a browser (Chromium, as measured) renders resp in
// a frame whose ancestors are ancestors: the parent first, the top-level
// document last, each a serialised origin (see [ParseOrigin]; "null", or text
// starting with "null", is an opaque origin). With no ancestors the document
// is not framed and Evaluate reports it framable.
//
// The rules, in order:
//
//   - Mixed content: when the parent or the top-level ancestor has an https
//     origin, and URL or one of Redirects is an http URL whose host is not
//     on the local machine (localhost, a name ending in .localhost, a
//     loopback address), Chromium blocks the frame's request before any
//     response, whatever the headers say. It checks only those two
//     ancestors, not the ones between them, and an opaque ancestor counts
//     as not https (Chromium judges it by the scheme of the document it was
//     made from, which "null" does not name).
//   - A redirect not followed: when Redirects (or Redirected) says a
//     redirect led to URL and its scheme is neither http nor https,
//     Chromium refuses the redirect (net::ERR_UNSAFE_REDIRECT for data:,
//     about:, blob:, file:; net::ERR_UNKNOWN_URL_SCHEME for ws: and wss:)
//     and shows its error page, or ends the navigation (javascript:,
//     mailto:, an application's own scheme) and commits nothing.
//   - No document: a response with status 204, 205 or 304 commits nothing,
//     and neither does a download: a Content-Disposition whose type is a
//     token other than inline, or a MIME type Chromium does not render
//     (Content-Type, the last of its values with a '/' other than */*; or,
//     where Chromium sniffs, [Response.Sniffed]), such as
//     application/octet-stream, application/zip or text/csv. The frame
//     keeps its empty document; for a download with a status outside 2xx,
//     and for a response with two distinct Content-Disposition values,
//     Chromium shows its error page instead (an <object>, its fallback
//     content). So it does for a response with status 407 (Proxy
//     Authentication Required), which it takes for a proxy's challenge,
//     and fails when no proxy sent it (net::ERR_UNEXPECTED_PROXY_AUTH),
//     and for one with status 101 (Switching Protocols), an upgrade that
//     no navigation asks for (net::ERR_INVALID_HTTP_RESPONSE). The framing
//     headers play no part.
//   - If any Content-Security-Policy header (never -Report-Only, never
//     <meta>) holds a policy with a frame-ancestors directive, X-Frame-Options
//     is ignored, whatever that directive says, and every such policy must
//     allow every ancestor.
//   - Otherwise X-Frame-Options decides (see [ParseXFO]): DENY and
//     conflicting values block; SAMEORIGIN requires every ancestor to be
//     same-origin with the page's URL; ALLOWALL, unknown values and no
//     header leave the page framable.
//   - When the headers allow it, an <object> ([Response.Element]) still
//     renders nothing for a Status outside 2xx: it shows its fallback
//     content.
//
// The only error is an ancestor that is not an origin.
func Evaluate(resp Response, ancestors []string) (Verdict, error) {
	chain := make([]Origin, len(ancestors))
	for i, a := range ancestors {
		o, err := ParseOrigin(a)
		if err != nil {
			return Verdict{}, fmt.Errorf("framing: ancestor %d: %w", i+1, err)
		}
		chain[i] = o
	}
	page := pageOrigin(resp.URL)

	// policies holds the frame-ancestors directive of every enforced policy
	// that has one.
	var policies []Directive
	// dropped says why browsers ignore a frame-ancestors that is there.
	dropped := ""
	var xfoLines []string
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Content-Security-Policy"):
			for _, p := range ParseCSP(h.Value) {
				if d, ok := p.FrameAncestors(); ok {
					policies = append(policies, d)
				} else if _, c, ok := p.IgnoredFrameAncestors(); ok && dropped == "" {
					dropped = fmt.Sprintf("Content-Security-Policy frame-ancestors is ignored because its value holds a byte that is not allowed (0x%02X)", c)
				}
			}
		case strings.EqualFold(h.Name, "X-Frame-Options"):
			xfoLines = append(xfoLines, h.Value)
		}
	}
	xfo := ParseXFO(xfoLines)
	notes := ignoredNotes(resp)

	if len(chain) > 0 {
		if v, ok := badPort(resp, page); ok {
			return v, nil
		}
		if v, ok := mixedContent(chain, resp); ok {
			return v, nil
		}
		if v, ok := unfollowedRedirect(resp); ok {
			return v, nil
		}
		if v, ok := noDocument(resp); ok {
			return v, nil
		}
	}
	var v Verdict
	switch {
	case len(chain) == 0:
		v = Verdict{Framable: true, DecidedBy: DecidedByNone,
			Reason: "the page is not in a frame: there is no ancestor to check"}
	case len(policies) > 0:
		v = evaluateCSP(policies, chain, page, resp.Redirected || len(resp.Redirects) > 0)
		if xfo.Mode != XFOAbsent {
			notes = append(notes, fmt.Sprintf("X-Frame-Options: %s is ignored because an enforced frame-ancestors is present",
				xfoText(xfoLines)))
		}
	default:
		v = evaluateXFO(xfo, xfoLines, chain, page, dropped)
		if dropped != "" && (xfo.Mode == XFODeny || xfo.Mode == XFOSameOrigin || xfo.Mode == XFOConflict) {
			notes = append([]string{dropped + ", so X-Frame-Options decides"}, notes...)
		}
	}
	if v.Framable && len(chain) > 0 && objectFallback(resp) {
		// The headers let the frame render, but the element does not.
		v = Verdict{Framable: false, DecidedBy: DecidedByStatus,
			Reason: fmt.Sprintf("an <object> renders a document only for a 2xx status, so for status %d it shows its fallback content; an <iframe> or <embed> of the same response would render (%s)", resp.Status, v.Reason)}
	}
	if len(notes) > 0 {
		v.Reason += "; " + strings.Join(notes, "; ")
	}
	return v, nil
}

// objectFallback reports whether resp is loaded by an <object> with a
// status for which Chromium shows the element's fallback content instead of
// the document: anything outside 2xx.
func objectFallback(resp Response) bool {
	return strings.EqualFold(resp.Element, "object") && resp.Status != 0 && (resp.Status < 200 || resp.Status > 299)
}

// pageOrigin returns the origin of the document's URL, opaque if the URL
// has none.
func pageOrigin(rawURL string) Origin {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Origin{Opaque: true}
	}
	o, err := ParseOrigin(u.Scheme + "://" + u.Host)
	if err != nil {
		return Origin{Opaque: true}
	}
	return o
}

// evaluateCSP applies every enforced frame-ancestors directive to every
// ancestor.
func evaluateCSP(policies []Directive, chain []Origin, page Origin, redirected bool) Verdict {
	for i, fa := range policies {
		for j, anc := range chain {
			if allows(fa, anc, page, redirected) {
				continue
			}
			reason := fmt.Sprintf("Content-Security-Policy: %s does not allow %s %s",
				directiveText(fa), ancestorName(j, len(chain)), anc)
			if hint := blockHint(fa, anc, page, redirected); hint != "" {
				reason += " (" + hint + ")"
			}
			if len(policies) > 1 {
				reason += fmt.Sprintf("; it is policy %d of %d with frame-ancestors, and every enforced policy must allow every ancestor", i+1, len(policies))
			}
			return Verdict{Framable: false, DecidedBy: DecidedByCSP, Reason: reason}
		}
	}
	texts := make([]string, len(policies))
	noneIgnored := false
	for i, fa := range policies {
		texts[i] = directiveText(fa)
		for _, s := range fa.Sources {
			noneIgnored = noneIgnored || s.Kind == SourceNone
		}
	}
	reason := fmt.Sprintf("Content-Security-Policy: %s allows every ancestor (%s)",
		strings.Join(texts, " and "), chainText(chain))
	if noneIgnored {
		reason += "; 'none' beside other sources is ignored"
	}
	return Verdict{Framable: true, DecidedBy: DecidedByCSP, Reason: reason}
}

// evaluateXFO applies X-Frame-Options when no enforced frame-ancestors exists.
// dropped, when not empty, says why browsers ignore the frame-ancestors that
// is there.
func evaluateXFO(x XFO, lines []string, chain []Origin, page Origin, dropped string) Verdict {
	header := "X-Frame-Options: " + xfoText(lines)
	noFA := "no Content-Security-Policy frame-ancestors is set"
	if dropped != "" {
		noFA = dropped
	}
	switch x.Mode {
	case XFODeny:
		return Verdict{Framable: false, DecidedBy: DecidedByXFO,
			Reason: header + " forbids rendering the page in any frame"}
	case XFOConflict:
		return Verdict{Framable: false, DecidedBy: DecidedByXFO,
			Reason: fmt.Sprintf("%s has several distinct values (%s), so browsers block every frame", header, quoteTokens(x.Tokens))}
	case XFOSameOrigin:
		for j, anc := range chain {
			if !anc.IsSameOrigin(page) {
				reason := fmt.Sprintf("%s and %s %s is not same-origin with the page (%s)",
					header, ancestorName(j, len(chain)), anc, page)
				if anc.Opaque {
					reason += "; an opaque origin is same-origin with nothing"
				}
				return Verdict{Framable: false, DecidedBy: DecidedByXFO, Reason: reason}
			}
		}
		return Verdict{Framable: true, DecidedBy: DecidedByXFO,
			Reason: fmt.Sprintf("%s and every ancestor (%s) is same-origin with the page", header, chainText(chain))}
	case XFOAllowAll:
		return Verdict{Framable: true, DecidedBy: DecidedByXFO,
			Reason: header + " places no restriction on framing, and " + noFA}
	case XFOInvalid:
		return Verdict{Framable: true, DecidedBy: DecidedByNone,
			Reason: fmt.Sprintf("%s is not a value browsers understand (only DENY and SAMEORIGIN protect), so it is ignored, and %s: any origin may frame the page", header, noFA)}
	}
	if dropped != "" {
		return Verdict{Framable: true, DecidedBy: DecidedByNone,
			Reason: dropped + ", and X-Frame-Options is not set: any origin may frame the page"}
	}
	return Verdict{Framable: true, DecidedBy: DecidedByNone,
		Reason: "neither Content-Security-Policy frame-ancestors nor X-Frame-Options is set: any origin may frame the page"}
}

// ignoredNotes lists what a developer might expect to protect the page but
// browsers ignore for framing.
func ignoredNotes(resp Response) []string {
	var notes []string
	for _, h := range resp.Headers {
		if strings.EqualFold(h.Name, "Content-Security-Policy-Report-Only") && hasFrameAncestors(h.Value) {
			notes = append(notes, "Content-Security-Policy-Report-Only only reports: its frame-ancestors blocks nothing and does not switch X-Frame-Options off")
			break
		}
	}
	for _, m := range resp.Meta {
		switch {
		case strings.EqualFold(strings.TrimSpace(m.HTTPEquiv), "X-Frame-Options"):
			notes = append(notes, fmt.Sprintf("<meta http-equiv=%q> is ignored by browsers", m.HTTPEquiv))
		case (strings.EqualFold(strings.TrimSpace(m.HTTPEquiv), "Content-Security-Policy") ||
			strings.EqualFold(strings.TrimSpace(m.HTTPEquiv), "Content-Security-Policy-Report-Only")) && hasFrameAncestors(m.Content):
			notes = append(notes, fmt.Sprintf("frame-ancestors in <meta http-equiv=%q> is ignored by browsers", m.HTTPEquiv))
		}
	}
	return notes
}

// hasFrameAncestors reports whether a CSP value has a frame-ancestors
// directive in any policy.
func hasFrameAncestors(value string) bool {
	for _, p := range ParseCSP(value) {
		if _, ok := p.FrameAncestors(); ok {
			return true
		}
	}
	return false
}

// allows reports whether the frame-ancestors directive d lets anc embed a
// document of origin page.
func allows(d Directive, anc Origin, page Origin, redirected bool) bool {
	if anc.Opaque {
		// An opaque origin has no URL to match: no source matches it,
		// not even *.
		return false
	}
	for _, s := range d.Sources {
		if sourceMatches(s, anc, page, redirected) {
			return true
		}
	}
	return false
}

// sourceMatches reports whether one source expression matches a non-opaque
// ancestor. 'none', other keywords and invalid sources match nothing; beside
// other sources 'none' is therefore simply ignored.
func sourceMatches(s Source, anc Origin, page Origin, redirected bool) bool {
	switch s.Kind {
	case SourceStar:
		// * matches the network schemes and the page's own scheme.
		switch anc.Scheme {
		case "http", "https", "ws", "wss":
			return true
		}
		return !page.Opaque && anc.Scheme == page.Scheme
	case SourceSelf:
		if page.Opaque {
			return false
		}
		self := Source{Kind: SourceHost, Scheme: page.Scheme, Host: page.Host}
		if page.Port != 0 {
			self.Port = strconv.Itoa(page.Port)
		}
		return hostSourceMatches(self, anc, page, redirected)
	case SourceScheme:
		return matchScheme(s.Scheme, anc.Scheme) != matchNone
	case SourceHost:
		return hostSourceMatches(s, anc, page, redirected)
	}
	return false
}

// match is the quality of a scheme or port match, as Chromium grades it.
type match int

const (
	matchNone     match = iota
	matchWildcard       // a port: * or an omitted default port
	matchUpgrade        // http to https (or ws to wss), or port 80 to 443
	matchExact
)

// matchScheme grades the ancestor's scheme against an allowed scheme: the
// same scheme, or its secure upgrade.
func matchScheme(allowed, actual string) match {
	switch {
	case allowed == actual:
		return matchExact
	case allowed == "http" && actual == "https", allowed == "ws" && actual == "wss":
		return matchUpgrade
	}
	return matchNone
}

// matchPort grades the ancestor's port against a host-source's port.
func matchPort(s Source, anc Origin) match {
	if s.Port == "*" {
		return matchWildcard
	}
	const unspecified = -1
	src := unspecified
	if s.Port != "" {
		n, err := strconv.Atoi(s.Port)
		if err != nil {
			return matchNone
		}
		src = n
	}
	port := anc.Port
	if port == 0 {
		port = unspecified
	}
	def := func(scheme string) int {
		if p := defaultPort(scheme); p != 0 {
			return p
		}
		return unspecified
	}
	switch {
	case src == port && src == unspecified:
		return matchWildcard
	case src == port:
		return matchExact
	case src == unspecified && def(anc.Scheme) == port:
		return matchWildcard
	case port == unspecified && src == def(anc.Scheme):
		return matchWildcard
	}
	if src == unspecified {
		src = def(s.Scheme)
	}
	if port == unspecified {
		port = def(anc.Scheme)
	}
	if src == 80 && port == 443 {
		return matchUpgrade
	}
	return matchNone
}

// hostSourceMatches reports whether a host-source matches the ancestor.
//
// Chromium departs from CSP3 in two ways here, both measured: IP-address
// hosts match like names, and a scheme upgrade (http source, https
// ancestor) is allowed only when the port also matches as an upgrade or a
// wildcard, so http://h:8443 does not match https://h:8443.
func hostSourceMatches(s Source, anc Origin, page Origin, redirected bool) bool {
	scheme := s.Scheme
	if scheme == "" {
		if page.Opaque {
			return false
		}
		scheme = page.Scheme
	}
	sm := matchScheme(scheme, anc.Scheme)
	pm := matchPort(s, anc)
	if sm == matchNone || pm == matchNone {
		return false
	}
	if sm == matchUpgrade && pm != matchUpgrade && pm != matchWildcard {
		return false
	}
	if pm == matchUpgrade && sm != matchUpgrade {
		return false
	}
	return matchHost(s.Host, anc.Host) && matchPath(s.Path, redirected)
}

// matchHost matches a source host ("*", "*.name" or a name, lower-case)
// against an ancestor's host. "*.a.example" does not match a.example.
func matchHost(pattern, host string) bool {
	if pattern == "*" {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+rest)
	}
	return pattern == host
}

// matchPath matches a source path against an ancestor, which as an origin
// has the path "/". So only an empty path and "/" match, except after a
// redirect, when Chromium ignores paths altogether.
func matchPath(path string, redirected bool) bool {
	if redirected || path == "" {
		return true
	}
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	return path == "/"
}

// blockHint explains, where it can, why no source of d matched anc.
func blockHint(d Directive, anc Origin, page Origin, redirected bool) string {
	if anc.Opaque {
		return "an opaque ancestor matches no source, not even *"
	}
	usable, none := 0, false
	var hints []string
	for _, s := range d.Sources {
		switch s.Kind {
		case SourceNone:
			none = true
		case SourceSelf:
			usable++
			hints = append(hints, fmt.Sprintf("'self' is only the page's origin %s", page))
		case SourceStar, SourceScheme:
			usable++
		case SourceHost:
			if s.Scheme == "" && s.Port == "" && s.Path == "" && (s.Host == "none" || s.Host == "self") {
				hints = append(hints, fmt.Sprintf("%s without quotes is a host named %s; the keyword is '%s'", s.Text, s.Host, s.Host))
			}
			usable++
			if h := hostHint(s, anc, page, redirected); h != "" {
				hints = append(hints, h)
			}
		}
	}
	switch {
	case d.Value == "":
		return "an empty frame-ancestors allows no ancestor"
	case usable == 0 && strings.EqualFold(d.Value, "'none'"):
		return "'none' allows no ancestor"
	case usable == 0:
		return "none of its sources can match an ancestor: frame-ancestors accepts only 'self', *, schemes and hosts"
	}
	if none {
		hints = append(hints, "'none' beside other sources is ignored")
	}
	return strings.Join(hints, "; ")
}

// hostHint explains a near miss of a host-source whose host matches.
func hostHint(s Source, anc Origin, page Origin, redirected bool) string {
	if !matchHost(s.Host, anc.Host) {
		return ""
	}
	scheme := s.Scheme
	if scheme == "" {
		scheme = page.Scheme
	}
	sm, pm := matchScheme(scheme, anc.Scheme), matchPort(s, anc)
	switch {
	case sm == matchNone:
		return fmt.Sprintf("%s names scheme %s", s.Text, scheme)
	case sm == matchUpgrade && pm == matchExact:
		return fmt.Sprintf("%s does not match %s: Chromium accepts https for an http source only on default ports or with port *", s.Text, anc)
	case pm == matchNone && s.Port == "":
		return fmt.Sprintf("%s has no port, so it matches only the default port", s.Text)
	case pm == matchNone:
		return fmt.Sprintf("%s names another port", s.Text)
	case !matchPath(s.Path, redirected):
		return fmt.Sprintf("%s has a path, and Chromium matches a source with a path only after a redirect", s.Text)
	}
	return ""
}

// directiveText writes a directive as in a header.
func directiveText(d Directive) string {
	if d.Value == "" {
		return d.Name
	}
	return d.Name + " " + d.Value
}

// ancestorName names the j-th of n ancestors for a reason.
func ancestorName(j, n int) string {
	switch {
	case n == 1:
		return "ancestor"
	case j == 0:
		return "parent"
	case j == n-1:
		return "top-level ancestor"
	}
	return "ancestor"
}

// chainText lists origins, parent first.
func chainText(chain []Origin) string {
	s := make([]string, len(chain))
	for i, o := range chain {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}

// quoteTokens lists X-Frame-Options tokens, showing an empty one as "".
func quoteTokens(tokens []string) string {
	s := make([]string, len(tokens))
	for i, t := range tokens {
		s[i] = strconv.Quote(t)
	}
	return strings.Join(s, ", ")
}

// xfoText shows X-Frame-Options lines as one trimmed value, an empty line
// as "".
func xfoText(lines []string) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = strings.Trim(l, xfoSpace)
		if s[i] == "" {
			s[i] = `""`
		}
	}
	return strings.Join(s, ", ")
}
