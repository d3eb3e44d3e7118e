package framing

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// mixedContent returns the verdict for a frame whose request Chromium
// blocks as mixed content, and false when it does not: when the frame's
// parent or the top-level document has an https origin, Chromium refuses to
// request, in the frame, an http URL that is not on the local machine,
// whether it is the URL the frame was given or one a redirect sent it to.
// It checks only those two ancestors, where the Mixed Content standard
// checks them all (measured: an http page on 127.0.0.1 inside an https
// frame inside an http top may frame any http page). An opaque ancestor
// never restricts: Chromium judges it by the scheme of the document it was
// made from, which an opaque origin does not name.
func mixedContent(chain []Origin, resp Response) (Verdict, bool) {
	var secure string // the ancestor that restricts, named as in reasons
	switch {
	case isHTTPS(chain[0]):
		secure = ancestorName(0, len(chain)) + " " + chain[0].String()
	case isHTTPS(chain[len(chain)-1]):
		secure = ancestorName(len(chain)-1, len(chain)) + " " + chain[len(chain)-1].String()
	default:
		return Verdict{}, false
	}
	for _, u := range slices.Concat(resp.Redirects, []string{resp.URL}) {
		if !isInsecure(u) {
			continue
		}
		via := ""
		if u != resp.URL {
			via = fmt.Sprintf(", on the way to %s", resp.URL)
		}
		return Verdict{Framable: false, DecidedBy: DecidedByMixedContent,
			Reason: fmt.Sprintf("the %s was loaded over HTTPS, so Chromium blocks the frame's request for %s%s as mixed content before any response: an http URL is not loaded in a frame below an https page unless its host is on the local machine; the headers play no part",
				secure, u, via)}, true
	}
	return Verdict{}, false
}

func isHTTPS(o Origin) bool { return !o.Opaque && o.Scheme == "https" }

// isInsecure reports whether rawURL is an http URL whose host is not on the
// local machine (localhost, a name ending in .localhost, a loopback
// address): not potentially trustworthy, so mixed content below an https
// page.
func isInsecure(rawURL string) bool {
	o := pageOrigin(rawURL)
	if o.Opaque || o.Scheme != "http" {
		return false
	}
	if o.Host == "localhost" || strings.HasSuffix(o.Host, ".localhost") {
		return false
	}
	a, err := netip.ParseAddr(strings.Trim(o.Host, "[]"))
	return err != nil || !a.Unmap().IsLoopback()
}
