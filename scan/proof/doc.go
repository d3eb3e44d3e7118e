// Package proof loads pages in headless Chromium inside chains of framing
// ancestors and reports whether Chromium rendered them: the browser proof of
// the verdicts of package [github.com/clickguard/clickguard/scan].
//
// [Start] launches one Chromium with a fresh profile; [Browser.Load] opens a
// tab, builds the chain of ancestors and reads what the innermost frame
// committed; [Browser.Prove] does the same for a [scan.Prover]; [Browser.Close]
// stops Chromium and removes the profile.
//
// # How a chain is built
//
// The ancestors are synthetic documents that Chromium never fetches. The
// browser intercepts, through the DevTools protocol's Fetch domain, every
// request whose path starts with /__clickguard-proof-<token>/, where the
// token is random for each Browser, and answers it with a tiny HTML document
// that holds one <iframe> to the next level; the innermost one frames the
// page. So an ancestor origin such as https://attacker.example needs no DNS
// name, server or certificate, and the page's own origin can be an ancestor
// without a request to the site. A "null" ancestor is a document served with
// Content-Security-Policy: sandbox allow-scripts from opaque.invalid over the
// page's scheme, and Load checks that Chromium gave it an opaque origin. The
// page itself is fetched by Chromium over the network like any frame's
// document, with Sec-Fetch-Dest: iframe: the innermost ancestor's frame
// starts empty, and once Load has found it, it sets the frame's src to the
// page's URL from that ancestor's document. Chromium follows the URL's
// redirects in the frame, as for a victim; a redirect changes the verdict
// (Chromium then ignores the path of a frame-ancestors source), so give Load
// the URL as scanned, not the final URL.
//
// Load checks the origin of every ancestor document as Chromium reports it
// (self.origin); a chain Chromium cannot build is an error, not a verdict.
// For example an ancestor inside a "null" one is sandboxed too, so it is not
// the origin the chain names; and an http ancestor on a name, below an https
// one, is blocked as mixed content (said at once, from Chromium's report).
//
// # What the verdict means
//
// Load waits until the innermost frame commits a document and reads it from
// an isolated world (the page's scripts cannot change what is read). The
// verdict is on the first document committed for the page's URL, after its
// redirects: every document request is paused on its way out, and a later
// navigation of the innermost frame (a script setting location, a meta
// refresh) is aborted, which commits nothing, so the frame keeps that
// document.
// Chromium's error page is "blocked"; any other document is "rendered",
// whatever its origin: the proof fails closed. Chromium's error page in a
// frame reads the same ("<host> refused to connect.") for a framing refusal
// and for a refused connection, so before it answers "blocked" Load checks,
// once per page, that Chromium can load the page as a top-level document;
// when it cannot (a network or certificate error) Load returns an error.
// When it can, but Chromium failed the frame's navigation with another
// error than its framing refusal (net::ERR_BLOCKED_BY_RESPONSE), such as
// net::ERR_TOO_MANY_REDIRECTS for a cookie wall whose cookie a frame of
// another site does not get, Load returns an error too.
// Chromium runs with its reload of error pages off, which would otherwise
// replace that top-level error page a second after it commits, with the
// reload's outcome. A chain not complete before the context's deadline is
// an error too.
//
// A frame that commits nothing keeps its initial empty document. Load
// answers "blocked" at once, without loading the page outside a frame, when
// Chromium says why:
//
//   - Chromium blocked the frame's request as mixed content (an http URL
//     below an https page): Load reads Chromium's report, a DevTools issue,
//     and sets [Frame.MixedContent];
//   - the page answered, but with no document: a response with status 204,
//     205 or 304 (from Chromium's Network events for the frame's
//     navigation: the response, then the request's end without a commit),
//     or a download, which Chromium refuses (a Content-Disposition type
//     other than inline, or a type it does not render, such as
//     application/octet-stream or text/csv; from its
//     Browser.downloadWillBegin event, which names the frame). Load sets
//     [Frame.NoDocument]: nothing of the page is in the frame, whatever its
//     framing headers say;
//   - the page's URL, or one it redirected to, is on a bad port (such as
//     6000 or 6666), from which Chromium fetches nothing
//     (net::ERR_UNSAFE_PORT, from its Network events), or the page answered
//     with status 407, a proxy's challenge that no proxy sent
//     (net::ERR_UNEXPECTED_PROXY_AUTH), or 101, an upgrade that no
//     navigation asks for (net::ERR_INVALID_HTTP_RESPONSE), or redirected to a URL of another
//     scheme than http and https that Chromium refuses (data:, about:;
//     net::ERR_UNSAFE_REDIRECT) or cannot load (ws:;
//     net::ERR_UNKNOWN_URL_SCHEME): Load sets [Frame.NoDocument] too, and
//     the frame holds Chromium's error page;
//   - the page redirected to a URL of another scheme that Chromium does
//     not load in the frame (javascript:, mailto:, an application's own):
//     it ends the navigation (net::ERR_ABORTED) and commits nothing, and
//     Load sets [Frame.NoDocument].
//
// A frame that commits nothing and for which Chromium says nothing is an
// error at the deadline. A download with an error status (a 404
// application/octet-stream) shows Chromium's error page in the frame, for no
// framing rule: Chromium reports the response, then the error it failed the
// request with (net::ERR_INVALID_RESPONSE), and Load answers "blocked" at
// once with [Frame.NoDocument] set, as the framing model predicts. Any other
// response that Chromium reports and then fails with another error than a
// framing refusal (net::ERR_BLOCKED_BY_RESPONSE) is an error at once, with
// no verdict.
//
// JavaScript dialogs that the page opens (alert, confirm, prompt) are
// dismissed as they open: left open, one would stall the page, and the
// reading of its frame, until the deadline.
//
// A request for HTTP credentials (a 401 with WWW-Authenticate, for the page
// or anything it loads) is refused, as a visitor who cancels the browser's
// prompt refuses it: Chromium then commits the 401 response, which is
// judged like any other. Left unanswered, headless Chromium would wait for
// credentials until the deadline, in a frame of the page's own origin and
// outside a frame (in a frame of another site it asks for none).
//
// # What the browser sends
//
// Chromium sends what a victim's browser would: no extra request headers.
// [Options.Cookie] is stored in Chromium's cookie jar for the origin of the
// URL Load is given: host-only and bound to its scheme and port (Chromium's
// origin-bound cookies are turned on), and not for where the URL redirects,
// so the cookie reaches no other origin. It is stored
// without a SameSite attribute, so Chromium's default (Lax) applies: the
// cookie reaches the page in a frame of its own site, and not in a frame of
// another site, just as a victim's Lax session cookie would not. A cookie
// named __Host-… or __Secure-… is stored with the Secure attribute, as its
// prefix demands: Chromium takes it for an https URL, and for an http one
// only on the local machine. The page may
// then answer the frame with other headers than the scanner's request (which
// sends the cookie always); a disagreement finding says so.
//
// # Security model
//
// The pages loaded are untrusted and run with JavaScript in Chromium, which
// is as safe as Chromium is. Chromium's sandbox stays on, except when the
// process runs as root, where Chromium cannot start with it and chromedp
// turns it off: scan as an ordinary user. Chromium's Local Network Access
// checks are turned off, so that a page on a loopback or private address is
// judged by its framing headers alone (a real attacker's page on the public
// internet would also need the user's permission to frame it). With
// [Options.Insecure] Chromium accepts any certificate. Downloads are
// refused: a page answered as an attachment, or a script's download, leaves
// no file on the machine that scans (Chromium starts a download as a
// temporary file, which it removes as it refuses the download; that file
// goes to a directory of the profile, not the user's Downloads).
//
// The proof is one browser: headless Chromium of the version installed.
// Firefox and Safari may decide otherwise (see the scanner's
// browser-difference finding), and headful Chrome with extensions or
// enterprise policies may too. Frame-busting scripts run, but Chromium stops
// a cross-origin frame from navigating its top without a user's click.
package proof
