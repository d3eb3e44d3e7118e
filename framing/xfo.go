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
	// Tokens are the distinct values of every line, split on commas,
	// trimmed and lower-cased, in first-seen order. An empty line or an
	// empty item between commas is the token "".
	Tokens []string
	// Mode is what the browser makes of Tokens.
	Mode XFOMode
}

// ParseXFO parses the values of every X-Frame-Options header line of one
// response, in order (pass nil when there is none).
//
// As the HTML standard's "get, decode and split" and Chromium do, each value
// is split on commas and each item is trimmed of ASCII whitespace and
// compared case-insensitively; quotes are not special ("\"DENY\"" is an
// unknown value). A lone known value gives its mode; only unknown values
// give XFOInvalid; known and other values together give XFOConflict.
func ParseXFO(values []string) XFO {
	if len(values) == 0 {
		return XFO{Mode: XFOAbsent}
	}
	var x XFO
	seen := make(map[string]bool)
	mode := XFOAbsent
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			tok := lowerASCII(strings.Trim(item, asciiSpace))
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

// asciiSpace is the set of characters Chromium trims as ASCII whitespace.
const asciiSpace = "\t\n\v\f\r "

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
