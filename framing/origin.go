package framing

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Origin is a web origin: a scheme, host and port triple, or an opaque
// origin (serialised as "null") such as that of a data: URL document or a
// sandboxed frame.
//
// Host is lower-case; an IPv6 address keeps its brackets ("[::1]"). Port is
// the effective port: the explicit one, or the scheme's default (80 for http
// and ws, 443 for https and wss, 21 for ftp), or 0 for a scheme without a
// default. The fields of an opaque origin other than Opaque are empty.
//
// Two non-opaque origins are the same origin exactly when their values are
// equal (==). An opaque origin is never the same origin as anything, not even
// another opaque origin, since nothing in a header can name it.
type Origin struct {
	Scheme string
	Host   string
	Port   int
	Opaque bool
}

// String returns the origin's serialisation: "null" for an opaque origin,
// otherwise scheme://host with ":port" only when the port is not the scheme's
// default. ParseOrigin(o.String()) returns o for any origin ParseOrigin made.
func (o Origin) String() string {
	if o.Opaque {
		return "null"
	}
	if o.Port == 0 || o.Port == defaultPort(o.Scheme) {
		return o.Scheme + "://" + o.Host
	}
	return o.Scheme + "://" + o.Host + ":" + strconv.Itoa(o.Port)
}

// IsSameOrigin reports whether o and other are the same origin. It is
// false whenever either is opaque.
func (o Origin) IsSameOrigin(other Origin) bool {
	return !o.Opaque && !other.Opaque && o == other
}

// defaultPort returns the default port of a scheme, or 0 if it has none.
func defaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	}
	return 0
}

// errNotOrigin is wrapped by every error of ParseOrigin.
var errNotOrigin = errors.New("not an origin")

// ParseOrigin parses a serialised origin such as "https://a.example" or
// "http://127.0.0.1:8080". A trailing "/" is accepted; a path, query,
// fragment or user name is an error, as is a host outside ASCII (write
// the xn-- form). Surrounding spaces are ignored. "null", or any text
// starting with "null" (such as "null (sandboxed frame)"), is an opaque
// origin.
func ParseOrigin(s string) (Origin, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "null") {
		return Origin{Opaque: true}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Origin{}, fmt.Errorf("parse origin %q: %w: %w", s, errNotOrigin, err)
	}
	switch {
	case u.Scheme == "" || u.Opaque != "" || u.Host == "":
		return Origin{}, fmt.Errorf("parse origin %q: %w: want scheme://host[:port]", s, errNotOrigin)
	case u.User != nil:
		return Origin{}, fmt.Errorf("parse origin %q: %w: has a user name", s, errNotOrigin)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.RawFragment != "":
		return Origin{}, fmt.Errorf("parse origin %q: %w: has a path, query or fragment", s, errNotOrigin)
	}
	o := Origin{Scheme: lowerASCII(u.Scheme)}
	host := lowerASCII(u.Hostname())
	if host == "" || !isOriginHost(host) {
		return Origin{}, fmt.Errorf("parse origin %q: %w: bad host %q", s, errNotOrigin, host)
	}
	if strings.Contains(host, ":") {
		// Only a bracketed IPv6 literal may hold a colon.
		if a, err := netip.ParseAddr(host); err != nil || a.Zone() != "" || !strings.HasPrefix(u.Host, "[") {
			return Origin{}, fmt.Errorf("parse origin %q: %w: bad host %q", s, errNotOrigin, u.Host)
		}
		host = "[" + host + "]"
	}
	o.Host = host
	o.Port = defaultPort(o.Scheme)
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Origin{}, fmt.Errorf("parse origin %q: %w: bad port %q", s, errNotOrigin, p)
		}
		o.Port = n
	}
	return o, nil
}

// isOriginHost reports whether h, a lower-cased host without brackets,
// contains only characters that survive a round trip through String and
// ParseOrigin: letters, digits, '-', '.', '_' and, for IPv6, ':'.
func isOriginHost(h string) bool {
	for _, c := range []byte(h) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}
