package guard

import "strings"

// mergeCSP returns one Content-Security-Policy header value that keeps every
// directive of the application's policies (the header's values, each of
// which may hold several comma-separated policies) except frame-ancestors,
// and adds fa, guard's frame-ancestors directive, to the first policy.
// Joining the values with ", " is how a serialized policy list is written, so
// the browser enforces the same policies as before, from one header line.
func mergeCSP(values []string, fa string) string {
	var b strings.Builder
	first := true
	for _, v := range values {
		for policy := range strings.SplitSeq(v, ",") {
			p := withoutFrameAncestors(policy)
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
		return fa
	}
	return b.String()
}

// stripFrameAncestors removes frame-ancestors from report-only policies, so
// that guard alone speaks about framing. It returns "" when nothing is left.
func stripFrameAncestors(values []string) string {
	var b strings.Builder
	for _, v := range values {
		for policy := range strings.SplitSeq(v, ",") {
			if p := withoutFrameAncestors(policy); p != "" {
				if b.Len() > 0 {
					b.WriteString(", ")
				}
				b.WriteString(p)
			}
		}
	}
	return b.String()
}

// withoutFrameAncestors returns one serialized policy with its directives
// trimmed, empty ones dropped and every frame-ancestors directive removed,
// joined by "; ".
func withoutFrameAncestors(policy string) string {
	var p strings.Builder
	for d := range strings.SplitSeq(policy, ";") {
		d = strings.Trim(d, " \t\r\n\f")
		if d == "" || isDirective(d, "frame-ancestors") {
			continue
		}
		if p.Len() > 0 {
			p.WriteString("; ")
		}
		p.WriteString(d)
	}
	return p.String()
}

// isDirective reports whether the trimmed directive d has the given name,
// compared ASCII case-insensitively as CSP requires.
func isDirective(d, name string) bool {
	if len(d) < len(name) || !strings.EqualFold(d[:len(name)], name) {
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
