package framing

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// badPorts are the Fetch standard's bad ports as Chromium applies them, in
// increasing order: browsers fetch nothing from an http or https URL whose
// port is one of them (Chromium fails the request with
// net::ERR_UNSAFE_PORT), in a frame or not, so that no page can make them
// speak to a service of another protocol. Chromium 156 does not block 4190
// and 6679, which the standard added in 2024 (measured), so neither does
// the model.
var badPorts = []int{
	0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
	101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179,
	389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601,
	636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 5060, 5061, 6000, 6566,
	6665, 6666, 6667, 6668, 6669, 6697, 10080,
}

// BadPorts returns the bad ports of the Fetch standard that Chromium
// blocks, in increasing order: it loads nothing from an http or https URL
// on one of them.
func BadPorts() []int { return slices.Clone(badPorts) }

// badPort returns the verdict for a page whose URL (of origin page), or a
// URL it was redirected through, is on a bad port, and false when none is:
// browsers fetch nothing there, so the frame shows an error page whatever
// the headers say.
func badPort(resp Response, page Origin) (Verdict, bool) {
	for _, raw := range resp.Redirects {
		if isBadPort(raw, pageOrigin(raw)) {
			return badPortVerdict(raw, fmt.Sprintf(", on the way to %s", resp.URL)), true
		}
	}
	if isBadPort(resp.URL, page) {
		return badPortVerdict(resp.URL, ""), true
	}
	return Verdict{}, false
}

// isBadPort reports whether rawURL, of origin o, is an http or https URL on
// a bad port. Port 0, which no origin has (o is then opaque), is read from
// the URL itself.
func isBadPort(rawURL string, o Origin) bool {
	if o.Opaque {
		u, err := url.Parse(rawURL)
		if err != nil {
			return false
		}
		if port, err := strconv.Atoi(u.Port()); err != nil || port != 0 {
			return false
		}
		o = Origin{Scheme: u.Scheme, Port: 0}
	}
	return (o.Scheme == "http" || o.Scheme == "https") && slices.Contains(badPorts, o.Port)
}

func badPortVerdict(rawURL, via string) Verdict {
	return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
		Reason: fmt.Sprintf("browsers fetch nothing from %s%s: its port is a bad port of the Fetch standard, so the frame shows an error page, and so would a tab",
			rawURL, via)}
}
