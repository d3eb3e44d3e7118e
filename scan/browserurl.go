package scan

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/clickguard/clickguard/framing"

	"golang.org/x/net/idna"
)

// hostIDNA maps a host name to the ASCII form browsers use, as the URL
// Standard's "domain to ASCII" does: UTS #46 processing, nontransitional
// (ß stays ß, and becomes xn--), with the Bidi and joiner checks, and no
// STD3 or hyphen rules.
var hostIDNA = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
	idna.VerifyDNSLength(false),
)

// asBrowser rewrites the parts of u that a browser's URL parser writes
// otherwise before it fetches u: the host in ASCII (see asciiHost), and the
// query percent-encoded (see encodeQuery). It fails for a host that
// browsers refuse.
func asBrowser(u *url.URL) error {
	if err := asciiHost(u); err != nil {
		return err
	}
	u.RawQuery = encodeQuery(u.RawQuery)
	return nil
}

// encodeQuery percent-encodes the bytes of a raw query that the URL
// Standard's special-query percent-encode set holds, as browsers do for an
// http or https URL: controls, space, the double and single quotes, '#',
// '<', '>' and every byte outside ASCII (UTF-8 of non-ASCII characters).
// net/http sends RawQuery as it is, so "?q=a b" would break the request
// line, and the server would answer 400 where a browser gets the page.
// Other bytes, '%' included, are kept (checked against Chromium's URL
// parser).
func encodeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > 0x20 && c < 0x7f && c != '"' && c != '#' && c != '<' && c != '>' && c != '\'' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(q)+16), q[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return q
	}
	return string(b)
}

// asciiHost rewrites u's host in the ASCII form browsers give it, when it
// holds a character outside ASCII (bücher.example becomes
// xn--bcher-kva.example), as a browser's URL parser does before anything
// is fetched or compared: origins are compared in that form. It fails for
// a name that browsers refuse.
func asciiHost(u *url.URL) error {
	host := u.Hostname()
	ascii := true
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return nil
	}
	a, err := hostIDNA.ToASCII(host)
	if err != nil {
		return fmt.Errorf("host %q is not a domain name browsers accept: %w", host, err)
	}
	if p := u.Port(); p != "" {
		a = net.JoinHostPort(a, p)
	}
	u.Host = a
	return nil
}

// ParseChainOrigin checks one origin of a framing chain (see
// [Options.Chains]) as [framing.ParseOrigin] does, and returns it as
// browsers serialise it, the form [Run] reports: scheme and host in lower
// case, without a default port or a trailing "/", and a host name outside
// ASCII in its xn-- form ("https://bücher.example" becomes
// "https://xn--bcher-kva.example"). An opaque origin keeps its label
// ("null (sandboxed)"). It fails for a name that browsers refuse.
func ParseChainOrigin(s string) (string, error) {
	t := strings.TrimSpace(s)
	if u, err := url.Parse(t); err == nil && u.Host != "" && !strings.HasPrefix(t, "null") {
		host := u.Host
		if err := asciiHost(u); err != nil {
			return "", fmt.Errorf("parse origin %q: %w", s, err)
		}
		if u.Host != host {
			t = u.String()
		}
	}
	o, err := framing.ParseOrigin(t)
	if err != nil {
		return "", err
	}
	if o.Opaque {
		return t, nil
	}
	return o.String(), nil
}
