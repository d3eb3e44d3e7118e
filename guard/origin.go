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
// address; IPv6 addresses are refused, because CSP source expressions (and
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
// that looks like a dotted number must be a valid IPv4 address.
func checkHostname(h string) error {
	if h == "" {
		return originError("host is required")
	}
	if len(h) > 253 {
		return originError("host name too long")
	}
	allDigits := true
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
			case c >= 'a' && c <= 'z', c == '-':
				allDigits = false
			case c >= '0' && c <= '9':
			default:
				return originError("invalid character in host name")
			}
		}
	}
	if allDigits {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is4() {
			return originError("invalid IPv4 address")
		}
	}
	return nil
}
