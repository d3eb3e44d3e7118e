package guard

import "strings"

// mergeCSP returns one Content-Security-Policy header value that keeps every
// directive of the application's policies (the header's values, each of
// which may hold several comma-separated policies) except frame-ancestors,
// and adds fa, guard's frame-ancestors directive, to the first policy.
// Joining the values with ", " is how a serialized policy list is written, so
// the browser enforces the same policies as before, from one header line.
// dropped reports whether a directive was left out for a byte no header
// value may carry (see withoutFrameAncestors).
func mergeCSP(values []string, fa string) (merged string, dropped bool) {
	var b strings.Builder
	first := true
	for _, v := range values {
		for policy := range strings.SplitSeq(v, ",") {
			p, bad := withoutFrameAncestors(policy)
			dropped = dropped || bad
			if first {
				first = false
				if p != "" {
					b.WriteString(p)
					b.WriteString("; ")
				}
				b.WriteString(fa)
				continue
			}
			if p != "" {
				b.WriteString(", ")
				b.WriteString(p)
			}
		}
	}
	if first {
		return fa, dropped
	}
	return b.String(), dropped
}

// stripFrameAncestors removes frame-ancestors from report-only policies, so
// that guard alone speaks about framing. It returns "" when nothing is left,
// and reports dropped as mergeCSP does.
func stripFrameAncestors(values []string) (stripped string, dropped bool) {
	var b strings.Builder
	for _, v := range values {
		for policy := range strings.SplitSeq(v, ",") {
			p, bad := withoutFrameAncestors(policy)
			dropped = dropped || bad
			if p != "" {
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(p)
			}
		}
	}
	return b.String(), dropped
}

// withoutFrameAncestors returns one serialized policy with its directives
// trimmed, empty ones dropped and every frame-ancestors directive removed,
// joined by "; ".
//
// Guard's frame-ancestors shares the header line with the application's
// directives, so none of them may hold a byte that makes the line invalid:
// Go's HTTP/2 server drops such a line whole, guard's directive with it. A
// CR, LF or FF inside a directive, which CSP reads as whitespace, becomes a
// space, which it reads the same way. A directive that still holds a
// control character other than a tab is dropped, and dropped is true: a
// vertical tab, for one, is whitespace to WebKit and older Chromium, which
// would read "frame-ancestors<VT>*" as a second frame-ancestors, and a
// name of an unknown directive to Chromium 156.
func withoutFrameAncestors(policy string) (p string, dropped bool) {
	var b strings.Builder
	for d := range strings.SplitSeq(policy, ";") {
		d = strings.Trim(d, cspSpace)
		if d == "" || isDirective(d, "frame-ancestors") {
			continue
		}
		if strings.ContainsAny(d, "\r\n\f") {
			d = cspSpaceToSpace.Replace(d)
		}
		if !validFieldValue(d) {
			dropped = true
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(d)
	}
	return b.String(), dropped
}

// cspSpace is Infra's ASCII whitespace, which CSP trims and splits on.
const cspSpace = " \t\r\n\f"

// cspSpaceToSpace turns the ASCII whitespace that no header value may carry
// into spaces.
var cspSpaceToSpace = strings.NewReplacer("\r", " ", "\n", " ", "\f", " ")

// validFieldValue reports whether s holds no control character but tabs,
// as an HTTP field value must (RFC 9110, section 5.5).
func validFieldValue(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// isDirective reports whether the trimmed directive d has the given name,
// compared ASCII case-insensitively as CSP requires.
func isDirective(d, name string) bool {
	if len(d) < len(name) || !equalFoldASCII(d[:len(name)], name) {
		return false
	}
	if len(d) == len(name) {
		return true
	}
	switch d[len(name)] {
	case ' ', '\t', '\r', '\n', '\f':
		return true
	}
	return false
}
