// Package framing models how browsers decide whether a document may be
// rendered inside a frame: the HTML standard's X-Frame-Options processing and
// Content Security Policy Level 3 frame-ancestors, as Chromium implements
// them. It is pure: standard library only, no I/O, no global state, safe for
// concurrent use.
//
// Give [Evaluate] a [Response] (its final URL and the URLs that redirected
// to it, its header lines in order and the <meta http-equiv> tags of its
// body) and a chain of ancestor origins, parent first and top-level document
// last; it returns a [Verdict]: whether the document renders, what decided
// ("csp", "xfo", "none", "status", "mixed-content" or "no-document"), and a reason a web
// developer can act on. [ParseXFO], [ParseCSP], [ParseSource]
// and [ParseOrigin] expose the parsers for tools that report on headers,
// and [ContentType] the MIME type the model takes from Content-Type.
//
// The verdicts are those of Chromium 156 ([Chromium]), in which the corpora
// were measured; [AsChromium] says how older versions (measured in
// Chromium 148 and 150) read three shapes of response otherwise.
//
// # Security model
//
// The model answers one question: given these response headers, will the
// browser refuse to render this document for this chain of ancestors? A
// verdict of Framable means a page of any listed origin can overlay the
// document and trick a user into clicking it (clickjacking). The rules:
//
//   - A bad port comes first: browsers fetch nothing from an http or https
//     URL on a bad port of the Fetch standard (such as 6000 or 6666; the
//     list as Chromium applies it, see BadPorts), in a frame or not, whether
//     the frame was given that URL or a redirect led there. The verdict is
//     "no-document": no header plays a part.
//   - Mixed content comes next: in a frame whose parent or top-level
//     document is https, Chromium blocks the request for an http URL that
//     is not on the local machine (localhost, *.localhost, a loopback
//     address), whether the frame was given that URL or a redirect led
//     there, before any response: no header plays a part.
//   - A redirect to a URL of another scheme than http and https (data:,
//     javascript:, mailto:, an application's own) comes next: browsers
//     follow none, so the frame shows an error page or commits nothing.
//   - A response that is no document comes then: status 204, 205 or 304
//     commits nothing in the frame, and neither does a download (a
//     Content-Disposition type other than inline; a MIME type Chromium does
//     not render, such as application/octet-stream or text/csv). A
//     download with an error status shows Chromium's error page instead,
//     and so does a 407, which Chromium takes for a proxy's challenge, and
//     a 101, an upgrade that no navigation asks for.
//     Nothing of the page renders, so no header plays a part.
//   - An enforced Content-Security-Policy with frame-ancestors takes over:
//     X-Frame-Options is then ignored, whatever the directive allows. Every
//     enforced policy must allow every ancestor. A comma splits one header
//     into several policies; the first frame-ancestors of a policy wins;
//     'none' beside other sources is ignored; an empty list blocks; a source
//     without a port matches only the scheme's default port; an opaque
//     ancestor (a data: URL document, a sandboxed frame) matches nothing,
//     not even *.
//   - Otherwise X-Frame-Options decides. Its values, across all lines and
//     commas, form a set: DENY blocks; SAMEORIGIN requires every ancestor,
//     not only the top, to be same-origin with the page; ALLOWALL, and values
//     browsers do not know (ALLOW-FROM, "DENY;", quoted or empty values),
//     leave the page framable; several distinct values including a known one
//     block every frame. Lines are split as Fetch's "get, decode, and split"
//     does: commas inside a "quoted string" do not split ("a,DENY is one
//     unknown value), single quotes are ordinary characters, and each value
//     is trimmed of ASCII whitespace, VT included, as Chromium does.
//   - In a Content Security Policy, whitespace is Infra's ASCII whitespace
//     (TAB, LF, FF, CR, SPACE), not VT: a VT in a frame-ancestors value drops
//     the directive. A source's path ends before any '?' or '#'
//     (https://a.example/?x has the path "/").
//   - Content-Security-Policy-Report-Only and <meta http-equiv> tags never
//     block and never switch X-Frame-Options off.
//   - The rules are the same for every frame element, but an <object>
//     ([Response.Element]) renders a document only for a 2xx status: for a
//     404, a 500 or even a 300 it shows its fallback content. An iframe or
//     embed renders error pages, so the status protects nothing.
//
// Where Chromium departs from the specifications, the model follows Chromium,
// as measured: SAMEORIGIN and 'self' compare the page's URL origin (a
// sandboxed same-origin frame still renders); IP-address host sources match;
// a source with a path never matches an ancestor unless the document was
// reached through a redirect ([Response.Redirected]); http://host:port
// does not match https://host:port (the http-to-https upgrade applies only
// with default ports or a wildcard port); and mixed content is judged by the
// parent and the top-level document only, not the ancestors between them,
// which the Mixed Content standard also checks. An opaque ancestor never
// makes mixed content here: Chromium judges it by the scheme of the document
// it was made from, which "null" does not name.
//
// What the model does not do: it does not fetch, follow redirects or read
// HTML (the caller supplies the final response and the meta tags); it follows
// Chromium only, so where Firefox or Safari differ its verdict is
// Chromium's (Firefox, measured against the corpora in
// testdata/firefox.json, shares the first two departures above, ignores
// a source's path on any page, lets http://host:port match
// https://host:port as CSP 3 says, and reads X-Frame-Options as
// [FirefoxXFO] says; WebKit, the engine Safari is built on, measured in
// WebKitGTK in testdata/webkit.json, shares the first two, never matches a
// source with a path, follows CSP 3 on the http-to-https upgrade and on
// ws: and wss:, which it matches against http and https ancestors, reads a
// VT in a policy as whitespace and splits X-Frame-Options at every comma;
// Safari itself was not measured); and it knows
// nothing of framing by browser extensions, fenced frames or the
// Permissions Policy.
// Its truth is a corpus of measurements in headless Chromium, kept beside the
// module as ../shared/corpus/chromium-framing.jsonl, and the project's own
// further measurements in testdata/chromium-extra.jsonl (X-Frame-Options
// quoting, queries in sources, VT in CSP, <object> and status),
// testdata/mixed-content.json and testdata/no-document.json, which
// internal/chromiumlive measures again in the local Chromium; the tests
// require agreement with every line.
//
// # References
//
//   - HTML, "The X-Frame-Options header": https://html.spec.whatwg.org/multipage/document-lifecycle.html#the-x-frame-options-header
//   - Content Security Policy Level 3, frame-ancestors: https://www.w3.org/TR/CSP3/#directive-frame-ancestors
//   - Fetch, "get, decode, and split": https://fetch.spec.whatwg.org/#header-value-get-decode-and-split
//   - Infra, ASCII whitespace: https://infra.spec.whatwg.org/#ascii-whitespace
//   - Mixed Content: https://w3c.github.io/webappsec-mixed-content/
//   - Secure Contexts, potentially trustworthy URLs: https://w3c.github.io/webappsec-secure-contexts/#is-url-trustworthy
//   - RFC 7034, HTTP Header Field X-Frame-Options: https://www.rfc-editor.org/rfc/rfc7034
//   - MDN, X-Frame-Options: https://developer.mozilla.org/docs/Web/HTTP/Headers/X-Frame-Options
//   - MDN, CSP frame-ancestors: https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy/frame-ancestors
package framing
