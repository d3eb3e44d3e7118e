package framing

import (
	"strconv"
	"strings"
)

// XFOMode is what a response's X-Frame-Options header lines mean to a
// browser, taken together.
type XFOMode int

// The X-Frame-Options modes, as the HTML standard and Chromium derive them
// from the set of values.
const (
	// XFOAbsent: there is no X-Frame-Options header line.
	XFOAbsent XFOMode = iota
	// XFODeny: the only value is DENY; no frame may render the page.
	XFODeny
	// XFOSameOrigin: the only value is SAMEORIGIN; every ancestor must be
	// same-origin with the page.
	XFOSameOrigin
	// XFOAllowAll: the only value is ALLOWALL (a non-standard value the HTML
	// standard keeps for compatibility); no restriction.
	XFOAllowAll
	// XFOInvalid: only values browsers do not know (ALLOW-FROM, "DENY;",
	// an empty line, ...); the header is ignored, as if absent.
	XFOInvalid
	// XFOConflict: several distinct values, at least one of them known;
	// browsers then block every frame.
	XFOConflict
)

// String returns the mode's name in lower case ("deny", "conflict", ...).
func (m XFOMode) String() string {
	switch m {
	case XFOAbsent:
		return "absent"
	case XFODeny:
		return "deny"
	case XFOSameOrigin:
		return "sameorigin"
	case XFOAllowAll:
		return "allowall"
	case XFOInvalid:
		return "invalid"
	case XFOConflict:
		return "conflict"
	}
	return "XFOMode(" + strconv.Itoa(int(m)) + ")"
}

// XFO is the parsed X-Frame-Options of one response.
type XFO struct {
	// Tokens are the distinct values of every line, split on commas
	// outside quoted strings, trimmed and lower-cased, in first-seen order.
	// An empty line or an empty item between commas is the token "".
	Tokens []string
	// Mode is what the browser makes of Tokens.
	Mode XFOMode
}

// ParseXFO parses the values of every X-Frame-Options header line of one
// response, in order (pass nil when there is none).
//
// Each line is split as Fetch's "get, decode, and split" does and the HTML
// standard requires: on commas, except inside a quoted string, which starts
// at a '"' and runs to the next '"' not escaped by a backslash, or to the end
// of the line when there is none; the quotes stay part of the value, so
// "\"a, DENY\"" is one unknown value, not DENY. Single quotes are ordinary
// characters. Each item is trimmed of tabs, spaces and, as Chromium does
// (Fetch trims only tabs and spaces), the other ASCII whitespace including
// U+000B, then compared case-insensitively. A lone known value gives its
// mode; only unknown values give XFOInvalid; known and other values together
// give XFOConflict.
func ParseXFO(values []string) XFO {
	return parseXFO(values, splitHeaderValue, xfoSpace)
}

// FirefoxXFO parses X-Frame-Options as Firefox reads it, which the model
// does not follow (measured in Firefox 153 ESR against the corpora, see
// testdata/firefox.json): as [ParseXFO] does, but every comma splits, inside
// quotes too, and each item is trimmed of tabs and spaces only, as Fetch
// says, so that "\vDENY\v" is an unknown value and "\"a, DENY, \"" holds
// DENY.
func FirefoxXFO(values []string) XFO {
	return parseXFO(values, func(v string) []string { return strings.Split(v, ",") }, " \t")
}

// parseXFO parses X-Frame-Options lines, split into items by split and
// trimmed of the bytes in space, as the HTML standard derives a mode from
// the set of values.
func parseXFO(values []string, split func(string) []string, space string) XFO {
	if len(values) == 0 {
		return XFO{Mode: XFOAbsent}
	}
	var x XFO
	seen := make(map[string]bool)
	mode := XFOAbsent
	for _, v := range values {
		for _, item := range split(v) {
			tok := lowerASCII(strings.Trim(item, space))
			if seen[tok] {
				continue
			}
			seen[tok] = true
			x.Tokens = append(x.Tokens, tok)
			cur := xfoTokenMode(tok)
			switch mode {
			case XFOAbsent:
				mode = cur
			case cur:
			default:
				mode = XFOConflict
			}
		}
	}
	x.Mode = mode
	return x
}

// xfoTokenMode classifies one lower-cased, trimmed X-Frame-Options value.
func xfoTokenMode(tok string) XFOMode {
	switch tok {
	case "deny":
		return XFODeny
	case "sameorigin":
		return XFOSameOrigin
	case "allowall":
		return XFOAllowAll
	}
	return XFOInvalid
}

// splitHeaderValue splits one header line as Fetch's "get, decode, and
// split" does (https://fetch.spec.whatwg.org/#header-value-get-decode-and-split),
// without trimming: on commas outside quoted strings. A quoted string starts
// at '"' and ends at the next '"' not preceded by a backslash escape, or at
// the end of the value; it stays in the item as written, quotes and
// backslashes included. The items, joined with commas, give v back.
func splitHeaderValue(v string) []string {
	var items []string
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			// Skip the quoted string: i ends on its closing quote, or
			// past the end when it is unterminated.
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' {
					i++ // the escaped character, if any
				}
			}
		case ',':
			items = append(items, v[start:i])
			start = i + 1
		}
	}
	return append(items, v[start:])
}

// xfoSpace is what Chromium trims around an X-Frame-Options value: every
// ASCII whitespace character of its base library, U+000B (VT) included.
// Fetch trims only tabs and spaces; header lines cannot hold CR or LF.
const xfoSpace = "\t\n\v\f\r "

// asciiSpace is Infra's ASCII whitespace (TAB, LF, FF, CR, SPACE; not VT),
// which separates and surrounds the parts of a Content Security Policy.
const asciiSpace = "\t\n\f\r "

// lowerASCII lower-cases ASCII letters only, as browsers do for header
// values and CSP keywords: strings.ToLower would also fold look-alikes such
// as U+0130 (İ) into ASCII and rewrite invalid UTF-8.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
