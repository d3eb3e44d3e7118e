package framing

import (
	"strconv"
	"strings"
)

// Policy is one Content Security Policy: one comma-separated part of a
// Content-Security-Policy header value.
type Policy struct {
	// Text is the policy as written, trimmed of ASCII whitespace.
	// ParseCSP(p.Text) returns exactly p.
	Text string
	// Directives are every non-empty ";"-separated directive, in order,
	// duplicates and unknown names included. Browsers obey only the first
	// directive of each name; see [Policy.FrameAncestors].
	Directives []Directive
}

// FrameAncestors returns the frame-ancestors directive a browser obeys: the
// first one in the policy. ok is false when the policy has none, and also when
// the first one's value holds a character browsers reject (anything but
// ASCII whitespace and printable ASCII, so U+000B (VT) too); Chromium then
// drops the directive and ignores any later duplicate, so the policy has no
// frame-ancestors at all.
func (p Policy) FrameAncestors() (d Directive, ok bool) {
	for _, d := range p.Directives {
		if d.Name == "frame-ancestors" {
			if !IsDirectiveValue(d.Value) {
				return Directive{}, false
			}
			return d, true
		}
	}
	return Directive{}, false
}

// IgnoredFrameAncestors returns the policy's first frame-ancestors directive
// when browsers drop it for a character they reject in its value (see
// [Policy.FrameAncestors]), with the first such byte. ok is false when the
// policy has no frame-ancestors, or browsers obey it.
func (p Policy) IgnoredFrameAncestors() (d Directive, bad byte, ok bool) {
	for _, d := range p.Directives {
		if d.Name == "frame-ancestors" {
			if c, found := invalidDirectiveByte(d.Value); found {
				return d, c, true
			}
			return Directive{}, 0, false
		}
	}
	return Directive{}, 0, false
}

// Directive is one directive of a policy.
type Directive struct {
	// Name is the directive name, lower-cased ("frame-ancestors").
	Name string
	// Value is the rest of the directive, trimmed of ASCII whitespace.
	Value string
	// Sources is Value split on ASCII whitespace, each token parsed by
	// [ParseSource]. It is meaningful for source-list directives such as
	// frame-ancestors and the fetch directives.
	Sources []Source
}

// SourceKind classifies a source expression.
type SourceKind int

// The kinds of source expression.
const (
	SourceNone    SourceKind = iota // 'none'
	SourceSelf                      // 'self'
	SourceStar                      // *
	SourceScheme                    // a scheme-source such as https:
	SourceHost                      // a host-source such as https://*.a.example:443/path
	SourceKeyword                   // any other quoted keyword ('unsafe-inline', 'nonce-…'); frame-ancestors ignores it
	SourceInvalid                   // not a source expression; browsers ignore it
)

// String returns the kind's name ("none", "self", "star", "scheme", "host",
// "keyword", "invalid").
func (k SourceKind) String() string {
	switch k {
	case SourceNone:
		return "none"
	case SourceSelf:
		return "self"
	case SourceStar:
		return "star"
	case SourceScheme:
		return "scheme"
	case SourceHost:
		return "host"
	case SourceKeyword:
		return "keyword"
	case SourceInvalid:
		return "invalid"
	}
	return "SourceKind(" + strconv.Itoa(int(k)) + ")"
}

// Source is one source expression.
type Source struct {
	// Text is the token as written.
	Text string
	// Kind says what the token is.
	Kind SourceKind
	// Scheme is the lower-cased scheme of a scheme-source or of a
	// host-source that names one; "" for a host-source without a scheme,
	// which takes the protected page's scheme.
	Scheme string
	// Host is the lower-cased host of a host-source; it may start with
	// "*." (any subdomain, not the domain itself) or be "*" (any host).
	Host string
	// Port is "" (the scheme's default port only), "*" (any port) or the
	// digits as written.
	Port string
	// Path is the path as written, starting with "/", or "". A query or
	// fragment is not part of it: browsers drop everything from the first
	// '?' or '#' after the host and port ("https://a.example/?x" has the
	// path "/"). Right after the host or the port, '?' and '#' are not
	// allowed: "https://a.example?x" is SourceInvalid.
	Path string
}

// ParseCSP parses one Content-Security-Policy (or -Report-Only) header value.
// Commas split it into policies, as in CSP Level 3 and Chromium; empty
// policies are dropped. Within a policy, ";" splits directives; a directive's
// name is its text up to the first ASCII whitespace.
//
// ASCII whitespace is Infra's: TAB, LF, FF, CR and SPACE. U+000B (VT) is not
// one of them, as Chromium measures: "frame-ancestors\v'none'" is a directive
// of that whole name, unknown to browsers, and a VT inside a frame-ancestors
// value makes the directive invalid (see [Policy.FrameAncestors]).
func ParseCSP(value string) []Policy {
	var policies []Policy
	for part := range strings.SplitSeq(value, ",") {
		text := strings.Trim(part, asciiSpace)
		if text == "" {
			continue
		}
		policies = append(policies, parsePolicy(text))
	}
	return policies
}

// parsePolicy parses one policy without commas.
func parsePolicy(text string) Policy {
	p := Policy{Text: text}
	for part := range strings.SplitSeq(text, ";") {
		tok := strings.Trim(part, asciiSpace)
		if tok == "" {
			continue
		}
		name, value := tok, ""
		if i := strings.IndexAny(tok, asciiSpace); i >= 0 {
			name, value = tok[:i], strings.Trim(tok[i+1:], asciiSpace)
		}
		d := Directive{Name: lowerASCII(name), Value: value}
		for _, t := range strings.FieldsFunc(value, isASCIISpace) {
			d.Sources = append(d.Sources, ParseSource(t))
		}
		p.Directives = append(p.Directives, d)
	}
	return p
}

func isASCIISpace(r rune) bool { return strings.ContainsRune(asciiSpace, r) }

// IsDirectiveValue reports whether v holds only ASCII whitespace and
// printable ASCII other than ',' and ';', the characters Chromium accepts
// in a directive value: a frame-ancestors directive with any other byte is
// ignored.
func IsDirectiveValue(v string) bool {
	_, found := invalidDirectiveByte(v)
	return !found
}

// invalidDirectiveByte returns the first byte of v that Chromium does not
// accept in a directive value (see IsDirectiveValue).
func invalidDirectiveByte(v string) (byte, bool) {
	for _, c := range []byte(v) {
		if !(strings.IndexByte(asciiSpace, c) >= 0 || (c >= 0x20 && c <= 0x7e && c != ',' && c != ';')) {
			return c, true
		}
	}
	return 0, false
}

// ParseSource parses one source expression, following CSP Level 3's grammar
// as Chromium implements it: keywords are case-insensitive; "scheme:" is a
// scheme-source; otherwise [scheme "://"] host [":" port] [path] is a
// host-source, where host is "*", "*." followed by a name, or dot-separated
// labels of letters, digits and '-' (IP addresses included), and path starts
// with '/' and ends before any '?' or '#'; anything else is SourceInvalid. A bare word such as none or self is a host named so.
func ParseSource(token string) Source {
	s := Source{Text: token}
	lower := lowerASCII(token)
	switch {
	case lower == "'none'":
		s.Kind = SourceNone
		return s
	case lower == "'self'":
		s.Kind = SourceSelf
		return s
	case token == "*":
		s.Kind = SourceStar
		return s
	case len(token) >= 2 && token[0] == '\'' && token[len(token)-1] == '\'':
		s.Kind = SourceKeyword
		return s
	}
	if parseHostSource(token, &s) {
		return s
	}
	return Source{Text: token, Kind: SourceInvalid}
}

// parseHostSource fills s from a scheme-source or host-source and reports
// whether token is one.
func parseHostSource(token string, s *Source) bool {
	rest := token
	if i := strings.IndexAny(rest, ":/"); i >= 0 && rest[i] == ':' {
		switch {
		case i+1 == len(rest): // "scheme:"
			if !isScheme(rest[:i]) {
				return false
			}
			s.Kind, s.Scheme = SourceScheme, lowerASCII(rest[:i])
			return true
		case rest[i+1] == '/': // "scheme://"
			if !strings.HasPrefix(rest[i+1:], "//") || !isScheme(rest[:i]) {
				return false
			}
			s.Scheme = lowerASCII(rest[:i])
			rest = rest[i+3:]
		}
	}
	hostEnd := strings.IndexAny(rest, ":/")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	if !isSourceHost(rest[:hostEnd]) {
		return false
	}
	s.Host = lowerASCII(rest[:hostEnd])
	rest = rest[hostEnd:]
	if strings.HasPrefix(rest, ":") {
		portEnd := strings.IndexByte(rest, '/')
		if portEnd < 0 {
			portEnd = len(rest)
		}
		port := rest[1:portEnd]
		if !isSourcePort(port) {
			return false
		}
		s.Port = port
		rest = rest[portEnd:]
	}
	// rest is "" or starts with "/": the path, up to any query or fragment,
	// which Chromium drops (with a console message) as CSP3 requires.
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	s.Path = rest
	s.Kind = SourceHost
	return true
}

// isScheme reports whether s matches scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// isSourceHost reports whether h is a host-part: "*", or an optional "*."
// followed by dot-separated labels of letters, digits and '-', where only
// the last label may be empty (a trailing dot).
func isSourceHost(h string) bool {
	if h == "*" {
		return true
	}
	h = strings.TrimPrefix(h, "*.")
	if h == "" {
		return false
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		if l == "" && i+1 < len(labels) {
			return false
		}
		for _, c := range []byte(l) {
			if !isAlpha(c) && !isDigit(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// isSourcePort reports whether p is "*" or digits that fit a 32-bit int.
func isSourcePort(p string) bool {
	if p == "*" {
		return true
	}
	if p == "" {
		return false
	}
	for _, c := range []byte(p) {
		if !isDigit(c) {
			return false
		}
	}
	_, err := strconv.ParseInt(p, 10, 32)
	return err == nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
