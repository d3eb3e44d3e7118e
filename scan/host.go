package scan

import (
	"fmt"
	"net"
	"net/url"

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
