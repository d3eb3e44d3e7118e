package framing

import (
	"fmt"
	"net/url"
)

// unfollowedRedirect returns the verdict for a response whose URL a
// redirect led to (Redirects or Redirected) and whose scheme is neither
// http nor https, and false for any other response. Browsers follow no
// redirect there, in a frame or a tab; as measured in Chromium, it
//
//   - fails a redirect to data:, about:, blob:, file:, filesystem: or
//     chrome: (net::ERR_UNSAFE_REDIRECT), and one to ws: or wss:
//     (net::ERR_UNKNOWN_URL_SCHEME), and shows its error page;
//   - ends the navigation at a redirect to any other scheme, such as
//     javascript:, mailto:, tel: or an application's own (net::ERR_ABORTED;
//     the system may be asked to open the URL), and commits nothing.
//
// Either way nothing of the page is in the frame, whatever the headers of
// the response that redirected say.
func unfollowedRedirect(resp Response) (Verdict, bool) {
	if len(resp.Redirects) == 0 && !resp.Redirected {
		return Verdict{}, false
	}
	u, err := url.Parse(resp.URL)
	if err != nil || u.Scheme == "" || u.Scheme == "http" || u.Scheme == "https" {
		return Verdict{}, false
	}
	what := "ends the navigation there (net::ERR_ABORTED) and commits nothing in the frame"
	switch u.Scheme {
	case "data", "about", "blob", "file", "filesystem", "chrome":
		what = "refuses it (net::ERR_UNSAFE_REDIRECT) and shows " + errorShown(resp)
	case "ws", "wss":
		what = "cannot load it as a page (net::ERR_UNKNOWN_URL_SCHEME) and shows " + errorShown(resp)
	}
	return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
		Reason: fmt.Sprintf("browsers follow no redirect to a URL of another scheme than http and https (here %s:): Chromium %s, so nothing of the page renders, whatever the headers say",
			u.Scheme, what)}, true
}
