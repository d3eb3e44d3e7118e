package scan

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clickguard/clickguard/framing"
)

// UserAgent is sent with every request. It looks enough like a browser for
// servers that vary on it, and names clickguard so site owners can tell.
const UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 clickguard-scan/1"

// navigation is the set of request headers of one kind of navigation.
type navigation struct {
	name    string // as the findings call it
	headers [][2]string
}

// Navigations, with the headers Chromium sends for them when the page's
// site differs from the initiator's.
var (
	// frameNavigation is a frame of another site navigating to the page:
	// what an attacker's frame receives, and so what the verdicts judge.
	frameNavigation = navigation{"framed navigation", navigationHeaders("iframe", "cross-site")}
	// topNavigation is a top-level navigation to the page from a link on
	// another site that the user clicked: what a visitor, or a check made
	// without Fetch Metadata in mind, sees.
	topNavigation = navigation{"top-level navigation", navigationHeaders("document", "cross-site")}
	// directNavigation is the page opened from the address bar or a
	// bookmark, with no other site involved: asked for only when the server
	// refuses the top-level navigation from another site too.
	directNavigation = navigation{"navigation from the address bar", navigationHeaders("document", "none")}
)

// navigationHeaders are the headers of a navigation to dest (iframe,
// document) whose Sec-Fetch-Site is site. A top-level one (document) is
// the user's own: a click on a link or a button of another site, or the
// address bar (site none), which Chromium says with Sec-Fetch-User, as it
// does for a page of another site that window.open or a script opens in
// the click's handler; a frame's own navigation has no user activation and
// no Sec-Fetch-User.
func navigationHeaders(dest, site string) [][2]string {
	h := [][2]string{
		{"User-Agent", UserAgent},
		{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"},
		{"Accept-Language", "en-US,en;q=0.9"},
		{"Sec-Fetch-Dest", dest},
		{"Sec-Fetch-Mode", "navigate"},
		{"Sec-Fetch-Site", site},
	}
	if dest == "document" {
		h = append(h, [2]string{"Sec-Fetch-User", "?1"})
	}
	return append(h, [2]string{"Upgrade-Insecure-Requests", "1"})
}

// page is one fetched document.
type page struct {
	resp      framing.Response
	final     *url.URL
	redirects []Redirect
	// isHTML reports whether the body was HTML (by Content-Type, or sniffed
	// when there is none), so that <meta> tags were looked for.
	isHTML bool
	// truncated reports whether the body was longer than MaxBodyBytes.
	truncated bool
	// unfinished, when not zero, is the Timeout option, within which the
	// body did not end, as that of a page that streams: the part read was
	// judged.
	unfinished time.Duration
	// metaBase is the base URL of the <meta> tags of an HTML body.
	metaBase metaBase
	// body is the prefix of an HTML body that was read, kept only when
	// the Crawl option is on, for its links.
	body []byte
	// notFetched, when not empty, says why nothing was fetched from final,
	// a URL where browsers load nothing: one on a bad port, or one of
	// another scheme than http and https that a redirect led to. resp then
	// holds only the URLs (see unfetched).
	notFetched string
}

// badPorts are the ports browsers fetch nothing from (framing.BadPorts).
var badPorts = framing.BadPorts()

// onBadPort reports whether u is on a bad port of the Fetch standard.
// Browsers fetch nothing from such a URL, in a frame or a tab, so that no
// page can make them talk to a service of another protocol (mail, IRC);
// nor does the scanner, which sends no request a browser would not.
func onBadPort(u *url.URL) bool {
	n, err := strconv.Atoi(u.Port())
	return err == nil && slices.Contains(badPorts, n)
}

// isHTTP reports whether u is an http or https URL, the schemes browsers
// fetch a page from and follow a redirect to.
func isHTTP(u *url.URL) bool { return u.Scheme == "http" || u.Scheme == "https" }

// unfollowable reports whether browsers follow no redirect to u: it is of
// another scheme than http and https (data:, javascript:, mailto:, an
// application's own), or on a bad port. They show nothing of the page then
// (see framing.Evaluate), and the scanner follows no such redirect either.
func unfollowable(u *url.URL) bool {
	return !isHTTP(u) || onBadPort(u)
}

// unfollowedError stops a redirect to a URL that browsers do not follow
// (see unfollowable): the navigation ends there, for the scanner too.
type unfollowedError struct{ url *url.URL }

func (e *unfollowedError) Error() string { return "redirect not followed: " + whyNotFetched(e.url) }

// whyNotFetched says why the scanner fetches nothing from u, a URL given on
// a bad port or one that a redirect led to and that browsers do not follow.
func whyNotFetched(u *url.URL) string {
	if !isHTTP(u) {
		return fmt.Sprintf("browsers follow no redirect to a URL of another scheme than http and https (here %s:), so neither does the scanner", u.Scheme)
	}
	return fmt.Sprintf("port %s is a bad port of the Fetch standard, from which browsers fetch nothing, so neither does the scanner", u.Port())
}

// unfetched is the page of u, a URL where browsers load nothing (on a bad
// port, or of another scheme than http and https), reached through
// redirects: nothing was fetched from it, so its response has a URL and no
// status, header or body, and every verdict on it is decided by the URL.
func unfetched(u *url.URL, redirects []Redirect) *page {
	p := &page{final: u, redirects: redirects, notFetched: whyNotFetched(u)}
	p.resp = p.response()
	return p
}

// home is the URL whose origin is the page's in the standard chains: its
// final URL, or, when that is of another scheme than http and https (a
// redirect not followed), the last URL that redirected there.
func (p *page) home() *url.URL {
	if n := len(p.redirects); n > 0 && !isHTTP(p.final) {
		if u, err := url.Parse(p.redirects[n-1].URL); err == nil {
			return u
		}
	}
	return p.final
}

// response is the framing.Response of p's URL and redirects, which the
// fetch completes with what it read. The URL is redacted: the verdicts'
// reasons quote it, and the model needs no password.
func (p *page) response() framing.Response {
	resp := framing.Response{URL: p.final.Redacted(), Redirected: len(p.redirects) > 0}
	for _, r := range p.redirects {
		resp.Redirects = append(resp.Redirects, r.URL)
	}
	return resp
}

// cookieWall returns, for a fetch stopped after too many redirects, a
// [CookieWallError] naming the cookies the redirect responses set, or nil
// when they set none.
func cookieWall(req *http.Request, via []*http.Request) error {
	var names []string
	for _, r := range slices.Concat(via, []*http.Request{req}) {
		if r.Response == nil {
			continue // the first request
		}
		for _, c := range r.Response.Cookies() {
			if !slices.Contains(names, c.Name) {
				names = append(names, c.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	return &CookieWallError{Names: names}
}

func newClient(opts Options, limit *limiter) *http.Client {
	rt := opts.Transport
	if rt == nil {
		dialer := &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}
		rt = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dialer.DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        2 * opts.Concurrency,
			MaxIdleConnsPerHost: opts.Concurrency,
			MaxConnsPerHost:     opts.Concurrency,
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: opts.Timeout,
			// No ResponseHeaderTimeout: the per-URL deadline covers the
			// headers, and a second clock would only change the message.
			MaxResponseHeaderBytes: opts.MaxHeaderBytes,
			// Fail closed: certificates are verified unless asked not to.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: opts.Insecure}, //nolint:gosec // opt-in -insecure
		}
	}
	if limit != nil {
		rt = rateTransport{base: rt, l: limit}
	}
	max := opts.MaxRedirects
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// Follow the Location a browser would: net/http resolved it
			// as Go's parser reads it, with a '\' in the path as
			// written.
			if resp := req.Response; resp != nil && resp.Request != nil {
				if loc := resp.Header.Get("Location"); browserRef(loc) != loc {
					if u, err := resp.Request.URL.Parse(browserRef(loc)); err == nil {
						req.URL, req.Host = u, ""
					}
				}
			}
			origin, crawled := req.Context().Value(originKey{}).(string)
			// leaves is the crawl's refusal of a redirect, for a URL as
			// the browser writes it.
			leaves := func(u *url.URL) error {
				switch {
				case !crawled:
					return nil
				case originOf(u) != origin:
					return fmt.Errorf("%w: %s (the crawl stays on %s)", ErrLeftOrigin, u.Redacted(), origin)
				case isUnsafeLink(u):
					return fmt.Errorf("%w: %s", ErrUnsafeRedirect, u.Redacted())
				}
				return nil
			}
			if max == 0 {
				// Not followed; a crawled page's redirect off the origin
				// is still the crawl's choice, not an error.
				if u := *req.URL; isHTTP(&u) && u.Hostname() != "" && asBrowser(&u) == nil {
					if err := leaves(&u); errors.Is(err, ErrLeftOrigin) {
						return err
					}
				}
				return http.ErrUseLastResponse
			}
			if len(via) > max {
				if wall := cookieWall(req, via); wall != nil {
					return fmt.Errorf("%w (more than %d): %w", ErrTooManyRedirects, max, wall)
				}
				return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, max)
			}
			if isHTTP(req.URL) {
				// net/http would dial the local machine (http://:80/);
				// browsers refuse the URL (Chromium: net::ERR_INVALID_REDIRECT).
				if req.URL.Hostname() == "" {
					return fmt.Errorf("redirect to %s, a URL with no host, which browsers refuse", req.URL.Redacted())
				}
				// A browser follows http://bücher.example/ to
				// xn--bcher-kva.example, the origin the verdicts compare,
				// with its query percent-encoded.
				if err := asBrowser(req.URL); err != nil {
					return fmt.Errorf("redirect to %s: %w, so they refuse the redirect", req.URL.Redacted(), err)
				}
			}
			if err := leaves(req.URL); err != nil {
				return err
			}
			if unfollowable(req.URL) {
				return &unfollowedError{req.URL}
			}
			// A browser keeps a navigation's referrer through its redirects
			// (the scanner's first request has none, as one typed in the
			// address bar); net/http would send the URL redirected from,
			// query and all, to the next site.
			if ref := via[0].Header.Get("Referer"); ref != "" {
				req.Header.Set("Referer", ref)
			} else {
				req.Header.Del("Referer")
			}
			if c, ok := req.Context().Value(credentialsKey{}).(credentials); ok && !c.allRecipients(via, req) {
				c.strip(req)
			}
			return nil
		},
	}
}

// credentialsKey is the context key of a fetch's [credentials].
type credentialsKey struct{}

// credentials are the Cookie and Header options of a fetch, and the one
// origin they may go to: that of the URL given (for a page found by the
// crawl, of the URL it was found from), or its https:// upgrade, the
// same host on the default ports.
type credentials struct {
	origin string
	cookie string
	header http.Header
	nav    navigation // the defaults that Header replaced
}

// mayReceive reports whether u may receive the credentials.
func (c credentials) mayReceive(u *url.URL) bool { return mayReceive(c.origin, u) }

// mayReceive reports whether u may receive credentials meant for origin:
// it is that origin, or its https:// upgrade.
func mayReceive(origin string, u *url.URL) bool {
	o := originOf(u)
	if o == origin {
		return true
	}
	// http://host to https://host is the upgrade sites redirect every
	// visitor to; the credentials were offered to that host in clear, so
	// TLS to it exposes them no more. The reverse would.
	if host, ok := strings.CutPrefix(origin, "http://"); ok && o == "https://"+host {
		ou, err := url.Parse(origin)
		return err == nil && ou.Port() == "" // originOf dropped port 80
	}
	return false
}

// allRecipients reports whether every request of a redirect chain, the
// next one (req) included, may receive the credentials. Once a chain left
// their origin it gets none: a site it passed through may have chosen the
// way back.
func (c credentials) allRecipients(via []*http.Request, req *http.Request) bool {
	for _, r := range via {
		if !c.mayReceive(r.URL) {
			return false
		}
	}
	return c.mayReceive(req.URL)
}

// apply sets the credentials on req, after the navigation's headers, so
// that Header can replace them.
func (c credentials) apply(req *http.Request) {
	for name, values := range c.header {
		if http.CanonicalHeaderKey(name) == "Host" && len(values) > 0 {
			req.Host = values[0] // net/http sends req.Host, never Header["Host"]
			continue
		}
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
}

// strip removes the credentials from a redirected request, which net/http
// built with the first request's headers (it drops Cookie and
// Authorization only on the way to another domain, and keeps every other
// header), and puts back the navigation's headers that Header replaced.
func (c credentials) strip(req *http.Request) {
	for name := range c.header {
		req.Header.Del(name)
	}
	req.Header.Del("Cookie")
	for _, h := range c.nav.headers {
		if req.Header.Get(h[0]) == "" {
			req.Header.Set(h[0], h[1])
		}
	}
}

// fetch navigates to u as nav does and reads the final response's headers
// and a bounded prefix of its body. The whole navigation, body included, is
// bounded by the Timeout option: a body that has not ended by then is
// judged on the part read (see page.unfinished). With the Rate option,
// every request waits for its turn, and no wait counts against the
// Timeout. The Cookie and Header options are sent only to credOrigin (see
// [credentials]): not to u when it is of another origin, nor on a redirect
// that leaves it.
func (s *scanner) fetch(ctx context.Context, u *url.URL, nav navigation, credOrigin string) (*page, error) {
	if onBadPort(u) {
		return unfetched(u, nil), nil
	}
	ctx, b := withBudget(ctx, s.opts.Timeout)
	defer b.release()
	creds := credentials{origin: credOrigin, cookie: s.opts.Cookie, header: s.opts.Header, nav: nav}
	if creds.cookie != "" || len(creds.header) > 0 {
		ctx = context.WithValue(ctx, credentialsKey{}, creds)
	}
	var (
		resp *http.Response
		err  error
	)
	get := func(client *http.Client) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		for _, h := range nav.headers {
			req.Header.Set(h[0], h[1])
		}
		if creds.mayReceive(u) {
			creds.apply(req)
		}
		return client.Do(req)
	}
	for tries := 1; ; tries++ {
		resp, err = get(s.client)
		if err != nil && s.ctlClient != nil && ctlHeaderError(err) {
			// Chromium reads the header net/http refused: ask again,
			// through a transport that reads it (see newCTLTransport).
			resp, err = get(s.ctlClient)
		}
		if stop, ok := errors.AsType[*unfollowedError](err); ok && resp != nil {
			return unfetched(stop.url, append(redirectsTo(resp), asRedirect(resp))), nil
		}
		if err != nil {
			return nil, fetchError(ctx, u, err, s.opts.Timeout)
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			break
		}
		// The server is limiting the scanner's own requests: its answer
		// says nothing of the page a victim's browser would get. When it
		// says how long to wait, and that is not long, the scanner waits
		// and asks again, as a person reloading the page would.
		resp.Body.Close()
		wait, asked, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok || wait > MaxRetryWait || tries > MaxRetries {
			return nil, rateLimitedError(u, asked, tries)
		}
		if err := b.sleep(ctx, wait); err != nil {
			return nil, fetchError(ctx, u, err, s.opts.Timeout)
		}
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" && isRedirectStatus(resp.StatusCode) {
		// Only reached with redirects off: the client follows every other
		// redirect or fails. A browser never renders a redirect, so there is
		// no page to judge.
		return nil, fmt.Errorf("fetch %s: %w: status %d to %s", u.Redacted(), ErrRedirectNotFollowed, resp.StatusCode, redact(loc))
	}

	p := &page{final: resp.Request.URL, redirects: redirectsTo(resp)}

	// After a 101 the connection speaks another protocol, which net/http
	// hands over as the body, out of reach of the request's deadline:
	// browsers fail the navigation at the status, so the verdict needs
	// nothing of it, and nothing is read.
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, err = io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxBodyBytes+1))
	}
	if err != nil {
		// Browsers commit a page when its headers arrive and show its body
		// as it comes: a page whose body does not end in time (one that
		// streams, or stalls) is in a frame all the same, and its headers
		// decide. Any other failure to read the body is the fetch's.
		if !errors.Is(context.Cause(ctx), errOutOfTime) {
			return nil, fetchError(ctx, u, fmt.Errorf("reading body: %w", err), s.opts.Timeout)
		}
		p.unfinished = s.opts.Timeout
	}
	if int64(len(body)) > s.opts.MaxBodyBytes {
		body = body[:s.opts.MaxBodyBytes]
		p.truncated = true
	}
	p.resp = p.response()
	p.resp.Status = resp.StatusCode
	p.resp.Headers = headerLines(resp.Header)
	mt, params := framing.ContentType(p.resp.Headers)
	p.isHTML = isHTML(mt, body, framing.Nosniff(p.resp.Headers))
	// What browsers sniff tells a download from a page where the type
	// does not (see framing.Response).
	p.resp.Sniffed = framing.Sniff(body)
	if p.isHTML {
		doc := htmlText(body, params)
		h := readHead(doc)
		p.resp.Meta, p.metaBase = h.meta, newMetaBase(h, p.final)
		if s.opts.Crawl > 0 {
			p.body = doc
		}
	}
	return p, nil
}

// redirectsTo returns the redirects that led to resp, oldest first: each
// request after the first carries the response that sent the client there.
func redirectsTo(resp *http.Response) []Redirect {
	var out []Redirect
	for r := resp.Request; r.Response != nil; r = r.Response.Request {
		out = append([]Redirect{asRedirect(r.Response)}, out...)
	}
	return out
}

// asRedirect describes resp, a redirect.
func asRedirect(resp *http.Response) Redirect {
	return Redirect{URL: resp.Request.URL.Redacted(), Status: resp.StatusCode, Location: redact(resp.Header.Get("Location"))}
}

// isRedirectStatus reports whether browsers follow a response with this
// status and a Location header (the Fetch standard's redirect statuses).
func isRedirectStatus(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// How the scanner answers a 429 Too Many Requests: when its Retry-After
// asks for a wait of at most MaxRetryWait, the scanner waits that long and
// asks again, up to MaxRetries times; the waits do not count against the
// Timeout option. A longer wait, a Retry-After it cannot read, or none, and
// a 429 after the last try make the fetch fail with [ErrRateLimited].
const (
	MaxRetryWait = 10 * time.Second
	MaxRetries   = 2
)

// retryAfter reads a Retry-After value, a number of seconds or an HTTP date
// (RFC 9110, section 10.2.3), as the wait it asks for from now (none for a
// date already past) and as what it asked, in words ("wait 30 seconds",
// "wait until Sun, 06 Dec 2026 21:00:00 GMT"); ok is false when it is
// neither.
func retryAfter(v string, now time.Time) (wait time.Duration, asked string, ok bool) {
	if n, err := strconv.ParseUint(v, 10, 63); err == nil {
		unit := "seconds"
		if n == 1 {
			unit = "second"
		}
		return time.Duration(min(n, uint64(math.MaxInt64/time.Second))) * time.Second, fmt.Sprintf("wait %d %s", n, unit), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), "wait until " + t.UTC().Format(http.TimeFormat), true
	}
	return 0, "", false
}

// rateLimitedError is the error of a fetch of u that the server answered
// with a 429 on the last of tries, having asked, in words, what
// retryAfter read ("" when it asked nothing the scanner could read).
func rateLimitedError(u *url.URL, asked string, tries int) error {
	var wait string
	if asked != "" {
		wait = ", and asked to " + asked
	}
	if tries > 1 {
		wait += fmt.Sprintf(" (the scanner waited as asked and tried %d times)", tries)
	}
	return fmt.Errorf("fetch %s: %w: the server answered 429 Too Many Requests, limiting the scan's requests%s: its answer is not the page", u.Redacted(), ErrRateLimited, wait)
}

// fetchError turns a client error into one that says what went wrong in
// words, keeping the cause for errors.Is.
func fetchError(ctx context.Context, u *url.URL, err error, timeout time.Duration) error {
	if ne, ok := errors.AsType[net.Error](err); (ok && ne.Timeout() || errors.Is(context.Cause(ctx), context.DeadlineExceeded)) && !errors.Is(err, ErrTooManyRedirects) {
		return fmt.Errorf("fetch %s: no response within %s: %w", u.Redacted(), timeout, context.DeadlineExceeded)
	}
	// *url.Error repeats the method and URL; say them once.
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("fetch %s: %w", u.Redacted(), err)
}

// redact returns raw with the password of its user information, if any,
// replaced by "xxxxx", so that reports never echo a credential: as
// url.URL.Redacted writes it when raw parses with one, and otherwise (a raw
// % in the password, a bad escape in the path, no scheme, http: without
// slashes) where passwordAt finds it without parsing.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i, j, ok := passwordAt(raw); ok {
		return raw[:i] + "xxxxx" + raw[j:]
	}
	return raw
}

// passwordAt returns where the password of raw's user information starts
// and ends, found as a browser finds the authority, whatever the rest of
// raw is: after a scheme and the slashes that follow it (http://, http:/),
// or else at the start (alice:pw@host, http:alice:pw@host); up to the
// first /, \, ? or #. The password runs from the authority's first ':' to
// its last '@'. It errs towards hiding: in mailto:a@b.example, "a" counts
// as one.
func passwordAt(raw string) (start, end int, ok bool) {
	auth := 0
	if i := strings.IndexByte(raw, ':'); i > 0 && isScheme(raw[:i]) {
		if rest := strings.TrimLeft(raw[i+1:], "/\\"); len(rest) < len(raw)-i-1 {
			auth = len(raw) - len(rest)
		}
	}
	a := raw[auth:]
	if i := strings.IndexAny(a, "/\\?#"); i >= 0 {
		a = a[:i]
	}
	at := strings.LastIndexByte(a, '@')
	colon := strings.IndexByte(a, ':')
	if at < 0 || colon < 0 || colon > at {
		return 0, 0, false
	}
	return auth + colon + 1, auth + at, true
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, '+', '-' or '.'.
func isScheme(s string) bool {
	for i, c := range []byte(s) {
		if !isASCIILetter(c) && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// headerLines lists the response's header lines. net/http keeps the order
// of the lines of one name but not across names, and canonicalises names;
// the lines are listed by name, in their order within a name, which is all
// the framing rules depend on.
func headerLines(h http.Header) []framing.Header {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	var lines []framing.Header
	for _, name := range names {
		for _, v := range h[name] {
			lines = append(lines, framing.Header{Name: name, Value: v})
		}
	}
	return lines
}

// isHTML reports whether a body is an HTML document: by mt, the MIME type
// Chromium takes from the Content-Type lines, the one the framing model
// judges (framing.ContentType: the last, across lines and commas, so that
// text/plain, text/html is HTML, and so is text/html; charset=, which
// mime.ParseMediaType refuses), or, without one or with one that asks
// browsers to sniff (framing.SniffedType: unknown/unknown, */*,
// application/unknown), by its first non-blank byte, as browsers sniff;
// unless nosniff (X-Content-Type-Options) keeps them from sniffing: a body
// without a type then shows as text, and one of those types is a download.
func isHTML(mt string, body []byte, nosniff bool) bool {
	if !framing.SniffedType(mt) {
		return mt == "text/html" || mt == "application/xhtml+xml"
	}
	if nosniff {
		return false
	}
	trimmed := strings.TrimLeft(string(body[:min(len(body), 512)]), " \t\r\n\f")
	return strings.HasPrefix(trimmed, "<")
}

// randomToken returns 16 random hex characters.
func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
