package scan

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/publicsuffix"
)

// ErrLeftOrigin is wrapped by the Err of a crawled page (see
// [Options.Crawl]) that redirected to another origin: the crawl does not
// follow it, so there is no page to judge. It is not an error of the
// scan: the Result has Skipped, not Error.
var ErrLeftOrigin = errors.New("redirect to another origin not followed by the crawl")

// ErrUnsafeRedirect is wrapped by the Err of a crawled page that redirected
// to a URL the crawl does not follow for its words (a logout, a delete: see
// [Options.Crawl]), as it does not follow such a link. Like ErrLeftOrigin,
// it is not an error of the scan: the Result has Skipped.
var ErrUnsafeRedirect = errors.New("redirect to a URL whose words say it changes something (a logout, a delete) not followed by the crawl")

// maxLinkBytes is the longest crawled link the crawl keeps: a page whose
// <base href> is long would otherwise make every short relative link as
// long, thousands of them, held in the crawl's queue (a hostile page could
// make hundreds of megabytes of one of 256 KiB).
const maxLinkBytes = 2048

// browserRef returns a URL reference as a browser reads it in an http(s)
// document: without the tabs and line breaks it drops, and with each '\'
// before the query or the fragment read as '/' (the URL Standard, for
// special schemes: /\host/x is //host/x, another host). Go's parser keeps
// both as written.
func browserRef(ref string) string {
	ref = dropTabsAndBreaks(ref)
	end := len(ref)
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		end = i
	}
	return strings.ReplaceAll(ref[:end], "\\", "/") + ref[end:]
}

// crawl is the state of the crawl from one start URL: its origin and the
// pages already taken, bounded by the Crawl option.
type crawl struct {
	// origin, scheme://host[:port] with the default port dropped, is the
	// start URL's, or the one of its site it redirected to.
	origin string
	// given is the start URL's origin, the only one that gets the cookie
	// and headers.
	given   string
	left    int // pages that may still be scheduled
	visited map[string]bool
}

func newCrawl(start *url.URL, n int) *crawl {
	c := &crawl{origin: originOf(start), given: originOf(start), left: n, visited: make(map[string]bool, n+2)}
	c.visited[normalizeURL(start)] = true
	return c
}

// take reports whether u is a page not seen yet and there is room for it,
// and marks it seen.
func (c *crawl) take(u string) bool {
	if c.left <= 0 || c.visited[u] {
		return false
	}
	c.visited[u] = true
	c.left--
	return true
}

// seen marks u, such as the final URL of a redirected page, as scanned
// without counting it against the limit; the set stays bounded by twice
// the limit plus two.
func (c *crawl) seen(u string) { c.visited[u] = true }

// originOf returns u's origin as the crawl compares it: lower-case scheme
// and host, the port only when it is not the scheme's default.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	return scheme + "://" + host
}

// sameSite reports whether a and b are of the same site, whatever their
// schemes and ports: the same registrable domain (example.com and
// www.example.com, by the public suffix list), or the same host when it
// has none (an IP address, localhost).
func sameSite(a, b *url.URL) bool {
	ha, hb := strings.ToLower(a.Hostname()), strings.ToLower(b.Hostname())
	if ha == hb {
		return true
	}
	sa, err := publicsuffix.EffectiveTLDPlusOne(ha)
	if err != nil || net.ParseIP(ha) != nil || net.ParseIP(hb) != nil {
		return false
	}
	sb, err := publicsuffix.EffectiveTLDPlusOne(hb)
	return err == nil && sa == sb
}

// normalizeURL returns u in the form the crawl compares pages by: its
// origin as originOf writes it, the path ("/" when empty) and the query as
// written, no fragment. Two links to the same page differ only when their
// paths or queries are spelled differently.
func normalizeURL(u *url.URL) string {
	n := &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, ForceQuery: u.ForceQuery && u.RawQuery == ""}
	if n.Path == "" {
		n.Path = "/"
	}
	if u.User != nil {
		// Keep the credentials the start URL carried, so that each
		// crawled page is fetched as it was; reports redact them.
		o, _ := url.Parse(originOf(u))
		o.User = u.User
		return o.String() + n.String()
	}
	return originOf(u) + n.String()
}

// unsafeWords are the words that, found anywhere in a link's path or query
// (case-insensitively, after percent-decoding), keep the crawl away from
// it: real applications still sign out, delete or unsubscribe on a GET, and
// the crawl carries the user's cookie. Matching is by substring, so the
// rule errs on the side of skipping (/removed-features is skipped too).
var unsafeWords = []string{
	"logout", "log-out", "log_out", "logoff", "log-off", "log_off",
	"signout", "sign-out", "sign_out", "signoff", "sign-off", "sign_off",
	"delete", "remove", "destroy", "erase", "purge",
	"unsubscribe", "deactivate", "disable", "revoke", "cancel", "reset",
}

// isUnsafeLink reports whether u's path or query suggests that a GET of it
// changes state: an unsafe word in them as written, or percent-decoded.
func isUnsafeLink(u *url.URL) bool {
	raw := strings.ToLower(u.EscapedPath() + "?" + u.RawQuery)
	decoded := strings.ToLower(unescapeEach(raw))
	for _, w := range unsafeWords {
		if strings.Contains(raw, w) || strings.Contains(decoded, w) {
			return true
		}
	}
	return false
}

// unescapeEach decodes each %XX escape of s by itself and leaves a '%' that
// starts none as it is (100%, %zz), as servers read such a URL:
// url.QueryUnescape refuses the whole string for one bad escape, so that
// the words around it would go unseen.
func unescapeEach(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if c, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(c))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// nonPageExt are the file extensions (of the last path segment,
// case-insensitively) that the crawl takes for something other than a
// page: images, fonts, style sheets, scripts, media, documents, archives
// and binaries.
var nonPageExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".avif": true,
	".svg": true, ".ico": true, ".bmp": true, ".tif": true, ".tiff": true,
	".css": true, ".js": true, ".mjs": true, ".map": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp3": true, ".mp4": true, ".m4a": true, ".webm": true, ".ogg": true, ".wav": true, ".avi": true, ".mov": true,
	".pdf": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true, ".pptx": true,
	".zip": true, ".gz": true, ".tgz": true, ".tar": true, ".bz2": true, ".xz": true, ".7z": true, ".rar": true,
	".exe": true, ".dmg": true, ".iso": true, ".apk": true, ".msi": true, ".deb": true, ".rpm": true,
}

// crawlLinks returns the links of an HTML prefix that the crawl may follow,
// normalised, deduplicated and in document order, at most limit of them:
// <a href>, <area href>, <iframe src>, <frame src>, the action of
// <form method=get> (the URL alone: no field is ever filled in or
// submitted); only those crawlable. docURL is not among them, nor a
// refresh's URL (the crawl adds the one refresh browsers take, see
// pageRefresh). They resolve as in browsers (measured in Chromium): a
// frame's URL when the parser reaches it, against the first <base href>
// before it (or else docURL); a link and a form's action when they are
// followed, against the first <base href> of the whole document, wherever
// it is (see baseURL).
func crawlLinks(body []byte, docURL *url.URL, origin string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	// found are the URLs as written, each with the base it resolves
	// against, or nil for the document's, known only at its end.
	type ref struct {
		url  string
		base *url.URL
	}
	var found []ref
	var base *url.URL // set by the first <base href>, unless ignored
	baseSeen := false
	soFar := func() *url.URL {
		if base != nil {
			return base
		}
		return docURL
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		attrs := map[string]string{}
		for {
			k, v, more := z.TagAttr()
			if _, dup := attrs[string(k)]; !dup {
				attrs[string(k)] = string(v)
			}
			if !more {
				break
			}
		}
		switch string(name) {
		case "base":
			if h, ok := attrs["href"]; ok && !baseSeen {
				baseSeen, base = true, baseURL(h, docURL)
			}
		case "a", "area":
			if h, ok := attrs["href"]; ok {
				found = append(found, ref{url: h}) // "" is the base URL itself
			}
		case "iframe", "frame":
			if src := attrs["src"]; strings.TrimSpace(src) != "" {
				found = append(found, ref{url: src, base: soFar()})
			}
		case "form":
			if m := strings.ToLower(strings.TrimSpace(attrs["method"])); m != "" && m != "get" {
				continue // POST, dialog: never
			}
			// Without an action, or with an empty one, the form goes to
			// the page itself.
			if a := attrs["action"]; strings.TrimSpace(a) != "" {
				found = append(found, ref{url: a})
			}
		}
	}
	docBase := soFar()
	seen := map[string]bool{normalizeURL(docURL): true}
	// longBase tells, once per base, whether a relative link resolved
	// against it would be longer than maxLinkBytes.
	longBase := map[*url.URL]bool{}
	var links []string
	for _, f := range found {
		if len(links) == limit {
			break
		}
		b := f.base
		if b == nil {
			b = docBase
		}
		long, ok := longBase[b]
		if !ok {
			long = len(b.String()) > maxLinkBytes
			longBase[b] = long
		}
		ref := browserRef(strings.TrimSpace(f.url))
		if long && !strings.HasPrefix(ref, "/") && !hasScheme(ref) {
			continue // it would be longer still: not parsed at all
		}
		u, err := b.Parse(ref)
		if err != nil || len(u.String()) > maxLinkBytes {
			continue
		}
		if u.User != nil && (docURL.User == nil || u.User.String() != docURL.User.String()) {
			// Credentials the start URL did not carry: the same page as
			// without them, or another account's.
			continue
		}
		n, ok := crawlable(u, origin)
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		links = append(links, n)
	}
	return links
}

// dropTabsAndBreaks removes the tabs and line breaks of a URL reference,
// which the URL parser drops wherever they are.
var dropTabsAndBreaks = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace

// hasScheme reports whether a URL reference starts with a scheme (see
// isScheme).
func hasScheme(ref string) bool {
	i := strings.IndexByte(ref, ':')
	return i > 0 && isScheme(ref[:i])
}

// crawlable returns u in the form the crawl keeps (see normalizeURL) if the
// crawl may follow it: an http(s) URL of origin, as a browser writes it,
// without unsafe words or a non-page extension. It may rewrite u.
func crawlable(u *url.URL, origin string) (string, bool) {
	if !asPage(u) || originOf(u) != origin || isUnsafeLink(u) || nonPageExt[strings.ToLower(path.Ext(u.Path))] {
		return "", false
	}
	return normalizeURL(u), true
}

// asPage reports whether u is an http(s) URL that a browser would fetch as
// a page, and rewrites it as the browser writes it (see asBrowser),
// without its fragment.
func asPage(u *url.URL) bool {
	if !isHTTP(u) || u.Opaque != "" || asBrowser(u) != nil {
		return false
	}
	u.Fragment, u.RawFragment = "", ""
	return true
}

// originKey is the context key of the origin a crawled page's fetches may
// not leave.
type originKey struct{}

// stayOn returns ctx with the origin that redirects may not leave.
func stayOn(ctx context.Context, origin string) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}
