package scan

import (
	"net/url"
	"strings"

	"github.com/clickguard/clickguard/framing"
)

// refresh is the declarative refresh a page asks for: the Refresh header,
// or else the first <meta http-equiv="refresh"> that browsers take. It
// navigates the page's frame to target after delay seconds, and the
// target's own headers then decide whether it shows there.
type refresh struct {
	target   *url.URL
	delay    string // whole seconds, as written
	evidence string // the header line or the tag
	meta     bool
}

// metaBase is the base URL of a page's <meta> tags from the at'th on (see
// head), or nil for the page's URL.
type metaBase struct {
	url *url.URL
	at  int
}

// noBase stands for a base URL that does not parse: nothing relative
// resolves against it to an http or https URL.
var noBase = &url.URL{Scheme: "invalid", Opaque: "base"}

// newMetaBase returns the metaBase of h, the head of a page whose final URL
// is final (see baseURL).
func newMetaBase(h head, final *url.URL) metaBase {
	if h.baseAt < 0 {
		return metaBase{}
	}
	if b := baseURL(h.baseHref, final); b != nil {
		return metaBase{url: b, at: h.baseAt}
	}
	return metaBase{}
}

// baseURL returns the base URL that a <base href> sets in a page whose
// final URL is final, or nil when browsers ignore it: one of a data: or
// javascript: URL, as the HTML standard's frozen base URL says. One that
// does not parse leaves the page without a base (noBase): Chromium then
// resolves no relative URL, neither a refresh nor a link (measured; the
// standard would fall back to the page's URL).
func baseURL(href string, final *url.URL) *url.URL {
	b, err := final.Parse(strings.TrimSpace(href))
	switch {
	case err != nil:
		return noBase
	case b.Scheme == "data" || b.Scheme == "javascript":
		return nil
	}
	return b
}

// pageRefresh returns the refresh of a response whose final URL is final
// and whose body is HTML if isHTML, when it leads to an http or https URL
// other than the page itself (a refresh of the page reloads it). As in
// browsers, the Refresh header, read when the document is made, wins over
// any <meta> tag, and resolves against the page's URL; a <meta> refresh
// resolves against the base URL of the document so far, which a <base
// href> before it sets (mb) and one after it does not.
func pageRefresh(resp framing.Response, final *url.URL, mb metaBase, isHTML bool) (refresh, bool) {
	for _, h := range resp.Headers {
		if strings.EqualFold(h.Name, "Refresh") {
			if delay, target, ok := parseRefresh(h.Value, final); ok {
				return elsewhere(refresh{target: target, delay: delay, evidence: line(h)}, final)
			}
			break // only the first line is read
		}
	}
	if !isHTML {
		return refresh{}, false
	}
	for i, m := range resp.Meta[:min(len(resp.Meta), maxMeta)] {
		if !strings.EqualFold(strings.TrimSpace(m.HTTPEquiv), "refresh") {
			continue
		}
		base := final
		if mb.url != nil && i >= mb.at {
			base = mb.url
		}
		if delay, target, ok := parseRefresh(m.Content, base); ok {
			return elsewhere(refresh{target: target, delay: delay, evidence: metaTag(m), meta: true}, final)
		}
	}
	return refresh{}, false
}

// elsewhere returns r if its target is an http or https URL of another
// page than final, as a browser writes it.
func elsewhere(r refresh, final *url.URL) (refresh, bool) {
	if r.target == nil || !asPage(r.target) || normalizeURL(r.target) == normalizeURL(final) {
		return refresh{}, false
	}
	return r, true
}

// asciiSpace is ASCII whitespace as the HTML standard defines it.
const asciiSpace = "\t\n\f\r "

// parseRefresh parses the value of a Refresh header or of a refresh <meta>
// tag's content as the HTML standard's shared declarative refresh steps
// do: a delay in seconds (digits, then any digits and dots, which do not
// count), then optionally a separator, "URL=" (any case, with spaces
// around the "=") and the URL, in quotes or not, resolved against base.
// ok is false when browsers do not refresh at all; target is nil when
// they reload the page itself.
func parseRefresh(value string, base *url.URL) (delay string, target *url.URL, ok bool) {
	s := strings.TrimLeft(value, asciiSpace)
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	delay = s[:i]
	if delay == "" {
		if i == len(s) || s[i] != '.' {
			return "", nil, false
		}
		delay = "0"
	}
	for i < len(s) && ('0' <= s[i] && s[i] <= '9' || s[i] == '.') {
		i++
	}
	s = s[i:]
	if s == "" {
		return delay, nil, true
	}
	if s[0] != ';' && s[0] != ',' && !strings.ContainsRune(asciiSpace, rune(s[0])) {
		return "", nil, false
	}
	s = strings.TrimLeft(s, asciiSpace)
	if s != "" && (s[0] == ';' || s[0] == ',') {
		s = s[1:]
	}
	s = strings.TrimLeft(s, asciiSpace)
	if s == "" {
		return delay, nil, true
	}
	ref := s // "parse": the rest as it is, when "URL" is not followed by "="
	if rest, ok := cutURLPrefix(s); ok {
		// "skip quotes"
		quote := byte(0)
		if rest != "" && (rest[0] == '\'' || rest[0] == '"') {
			quote, rest = rest[0], rest[1:]
		}
		if quote != 0 {
			if q := strings.IndexByte(rest, quote); q >= 0 {
				rest = rest[:q]
			}
		}
		ref = rest
	}
	// The URL parser drops leading and trailing spaces and controls, and
	// tabs and line breaks anywhere.
	ref = strings.Trim(ref, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	ref = dropTabsAndBreaks(ref)
	u, err := base.Parse(ref)
	if err != nil {
		return "", nil, false
	}
	return delay, u, true
}

// cutURLPrefix returns s after a leading "URL" (any case), spaces and "="
// and spaces, with ok true; or s itself with ok true when s does not start
// with "U" or "u"; ok is false when s starts with "U" but not with such a
// prefix, where the standard takes all of s as the URL.
func cutURLPrefix(s string) (string, bool) {
	if s == "" || (s[0] != 'U' && s[0] != 'u') {
		return s, true
	}
	if len(s) < 3 || !strings.EqualFold(s[:3], "url") {
		return s, false
	}
	rest := strings.TrimLeft(s[3:], asciiSpace)
	if rest == "" || rest[0] != '=' {
		return s, false
	}
	return strings.TrimLeft(rest[1:], asciiSpace), true
}
