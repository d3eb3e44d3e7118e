package guard

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseOrigin validates an exact origin of the form scheme://host[:port] and
// returns it in the form browsers send in the Origin header: scheme and host
// in lower case, the default port (80 for http, 443 for https) removed.
//
// Only the http and https schemes are accepted. The host is an ASCII domain
// name (internationalised names must be given in their xn-- form) or an IPv4
// address in dotted decimal. A host whose last label is a number, such as
// 0x7f000001 or a.example.1, is refused unless it is such an address, since
// browsers read it as an IPv4 address, which they send in dotted decimal, or
// refuse it. IPv6 addresses are refused, because CSP source expressions (and
// so frame-ancestors) cannot name them. User information, paths (even "/"),
// queries, fragments and wildcards are refused, because a frame-ancestors
// source or a trusted origin must name exactly one origin.
func ParseOrigin(s string) (string, error) {
	o, err := parseOrigin(s)
	if err != nil {
		return "", fmt.Errorf("invalid origin %q: %w", s, err)
	}
	return o, nil
}

type originError string

func (e originError) Error() string { return string(e) }

func parseOrigin(s string) (string, error) {
	if strings.Contains(s, "*") {
		return "", originError("wildcards are not allowed: give each origin")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", originError("scheme is required")
	}
	scheme = strings.ToLower(scheme)
	var defPort string
	switch scheme {
	case "http":
		defPort = "80"
	case "https":
		defPort = "443"
	default:
		return "", originError("scheme must be http or https")
	}
	if rest == "" {
		return "", originError("host is required")
	}
	if strings.ContainsAny(rest, "/?#@\\ \t\r\n") {
		return "", originError("user information, path, query and fragment are not allowed")
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		// CSP's host-source grammar has no IPv6 literals, so such an origin
		// could never appear in frame-ancestors; refusing it here keeps one
		// notion of "origin" for allowlists and trusted origins alike.
		return "", originError("IPv6 addresses are not supported")
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
		if port == "" {
			return "", originError("empty port")
		}
	}
	host = strings.ToLower(host)
	if err := checkHostname(host); err != nil {
		return "", err
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || port[0] == '0' || strings.ContainsAny(port, "+-") {
			return "", originError("invalid port")
		}
		if port == defPort {
			port = ""
		}
	}
	if port != "" {
		return scheme + "://" + host + ":" + port, nil
	}
	return scheme + "://" + host, nil
}

// checkHostname accepts dot-separated labels of letters, digits and hyphens,
// neither starting nor ending with a hyphen, and no trailing dot. A name
// whose last label is a number must be an IPv4 address in dotted decimal.
func checkHostname(h string) error {
	if h == "" {
		return originError("host is required")
	}
	if len(h) > 253 {
		return originError("host name too long")
	}
	var last string
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return originError("invalid host name")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return originError("invalid host name")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			case c >= 0x80:
				return originError("non-ASCII host name: give it in its xn-- (punycode) form")
			default:
				return originError("invalid character in host name")
			}
		}
		last = label
	}
	// Browsers read a host that ends in a number as an IPv4 address, which
	// they send in dotted decimal ("0x7f000001" is http://127.0.0.1), or
	// refuse the URL ("a.example.1"): no other spelling can match the
	// Origin they send or the frame-ancestors source they compare.
	if isNumber(last) {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is4() {
			return originError("a host ending in a number must be an IPv4 address in dotted decimal")
		}
	}
	return nil
}

// isNumber reports whether the lower-case label is a number to the URL
// standard's IPv4 parser: decimal digits, or 0x and hexadecimal digits.
func isNumber(label string) bool {
	digits := "0123456789"
	if strings.HasPrefix(label, "0x") {
		label, digits = label[2:], "0123456789abcdef"
	} else if label == "" {
		return false
	}
	for i := 0; i < len(label); i++ {
		if strings.IndexByte(digits, label[i]) < 0 {
			return false
		}
	}
	return true
}
