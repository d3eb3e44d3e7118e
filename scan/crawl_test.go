package scan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a handler that records every request it receives and counts
// the requests in flight.
type recorder struct {
	mu       sync.Mutex
	requests []string // "METHOD host path?query"
	inFlight int
	maxIn    int
	delay    time.Duration
	next     http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.requests = append(rec.requests, r.Method+" "+r.Host+" "+r.URL.RequestURI())
	rec.inFlight++
	rec.maxIn = max(rec.maxIn, rec.inFlight)
	rec.mu.Unlock()
	defer func() {
		rec.mu.Lock()
		rec.inFlight--
		rec.mu.Unlock()
	}()
	if rec.delay > 0 {
		time.Sleep(rec.delay)
	}
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) list() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.requests)
}

// crawlSite starts a small site with links of every kind, and another
// origin it links and redirects to. Pages not listed answer 200 with no
// links.
func crawlSite(t *testing.T) (site, other *httptest.Server, siteRec, otherRec *recorder) {
	t.Helper()
	otherRec = &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/x">x</a>`)
	})}
	other = httptest.NewServer(otherRec)
	t.Cleanup(other.Close)

	var siteURL string
	pages := map[string]func() string{
		"/": func() string {
			u, _ := url.Parse(siteURL)
			localhost := "http://localhost:" + u.Port()
			return `<!doctype html><title>home</title>
<a href="/a">relative to the root</a>
<a href="b">relative</a>
<a href="#top">fragment of this page</a>
<a href="/a#section">the same page again, with a fragment</a>
<a href="` + siteURL + `/c">absolute, same origin</a>
<a href="` + other.URL + `/x">another origin</a>
<a href="` + localhost + `/other-host">same server, another host name: another origin</a>
<a href="https://` + u.Host + `/https">another scheme: another origin</a>
<a href="/logout">log out</a>
<a href="/Account/Sign-Out?next=/">sign out</a>
<a href="/items/7/delete">delete</a>
<a href="/items?action=remove&amp;id=7">remove</a>
<a href="/newsletter/un%73ubscribe">unsubscribe, percent-encoded</a>
<a href="/q?action=log%6Fut&amp;x=%zz">log out, percent-encoded beside a bad escape</a>
<a href="/q2?op=d%65lete&amp;id=5&amp;pct=100%">delete, percent-encoded beside a lone %</a>
<a href="/acc%6Funt/re%6dove%zz">remove, percent-encoded in a path with a bad escape</a>
<a href="/img/logo.PNG">an image</a>
<a href="/static/app.css">a style sheet</a>
<a href="/files/report.pdf">a PDF</a>
<a href="mailto:someone@example.com">mail</a>
<a href="javascript:alert(1)">script</a>
<a>no href</a>
<map><area href="/d" alt="area"></map>
<iframe src="/e"></iframe>
<form action="/search"><input name="q"></form>
<form method="POST" action="/post-only"><input name="q"></form>
<form method="get" action="/search?in=docs"><input name="q"></form>`
		},
		"/a": func() string { return `<a href="/">home: a loop</a><a href="/f">f</a><a href="/a">itself</a>` },
		"/b": func() string {
			return `<head><base href="/sub/"><base href="/ignored/"></head><a href="g">g under the base</a>`
		},
		"/c": func() string {
			return `<a href="/away">redirects to another origin</a><a href="/moved">redirects on this origin</a>`
		},
		"/search": func() string { return `<a href="/h">h</a>` },
		"/sub/g":  func() string { return `<frameset><frame src="../i"></frameset>` },
	}
	siteRec = &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
			return
		case "/moved":
			http.Redirect(w, r, "/moved-here", http.StatusFound)
			return
		case "/go-other":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		if p, ok := pages[r.URL.Path]; ok {
			fmt.Fprint(w, p())
			return
		}
		fmt.Fprint(w, "<p>a page without links</p>")
	})}
	site = httptest.NewServer(siteRec)
	t.Cleanup(site.Close)
	siteURL = site.URL
	return site, other, siteRec, otherRec
}

// crawlRun scans urls with opts and returns "url <- found_on" per result,
// and the results.
func crawlRun(t *testing.T, opts Options, urls ...string) ([]string, []Result) {
	t.Helper()
	var got []string
	var results []Result
	err := Run(context.Background(), opts, urls, func(r Result) {
		line := r.URL
		if r.FoundOn != "" {
			line += " <- " + r.FoundOn
		}
		got = append(got, line)
		results = append(results, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, results
}

func TestCrawl_site(t *testing.T) {
	site, other, siteRec, otherRec := crawlSite(t)
	s := site.URL
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			siteRec.mu.Lock()
			siteRec.requests = nil
			siteRec.mu.Unlock()
			got, results := crawlRun(t, Options{Crawl: 50, Concurrency: conc}, s+"/")
			// Breadth-first, in the order of discovery: the links of "/"
			// in document order, then those of /a, /b, /c, ...
			want := []string{
				s + "/",
				s + "/a <- " + s + "/",
				s + "/b <- " + s + "/",
				s + "/c <- " + s + "/",
				s + "/d <- " + s + "/",
				s + "/e <- " + s + "/",
				s + "/search <- " + s + "/",
				s + "/search?in=docs <- " + s + "/",
				s + "/f <- " + s + "/a",
				s + "/sub/g <- " + s + "/b",
				s + "/away <- " + s + "/c",
				s + "/moved <- " + s + "/c",
				s + "/h <- " + s + "/search",
				s + "/i <- " + s + "/sub/g",
			}
			if !slices.Equal(got, want) {
				t.Errorf("scanned:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, r := range results {
				switch {
				case strings.HasSuffix(r.URL, "/away"):
					// Not followed on purpose: not an error.
					if !errors.Is(r.Err, ErrLeftOrigin) || r.Error != "" || !strings.Contains(r.Skipped, other.URL+"/landing") {
						t.Errorf("%s: error %v, Error %q, Skipped %q; want ErrLeftOrigin, no Error, and Skipped naming the target", r.URL, r.Err, r.Error, r.Skipped)
					}
				case r.Error != "":
					t.Errorf("%s: %s", r.URL, r.Error)
				case strings.HasSuffix(r.URL, "/moved") && r.FinalURL != s+"/moved-here":
					t.Errorf("%s: final URL %s, want the redirect on the same origin followed", r.URL, r.FinalURL)
				}
			}

			// Only GET, never a state-changing or skipped link, never
			// another host name of the same server.
			for _, req := range siteRec.list() {
				method, rest, _ := strings.Cut(req, " ")
				host, uri, _ := strings.Cut(rest, " ")
				if method != http.MethodGet {
					t.Errorf("request %s: only GET is allowed", req)
				}
				if host != site.Listener.Addr().String() {
					t.Errorf("request %s: to another host name", req)
				}
				for _, bad := range []string{"logout", "Sign-Out", "delete", "remove", "subscribe", "post-only", ".PNG", ".css", ".pdf", "other-host", "/https", "#", "/q?", "/q2?", "/acc"} {
					if strings.Contains(uri, bad) {
						t.Errorf("request %s: the crawl must not follow it", req)
					}
				}
				if strings.HasPrefix(uri, "/ignored/") {
					t.Errorf("request %s: only the first <base> counts", req)
				}
			}
		})
	}
	// The other origin is never requested: not the link to it, not the
	// redirect of a crawled page.
	if reqs := otherRec.list(); len(reqs) != 0 {
		t.Errorf("requests to the other origin: %q", reqs)
	}
}

func TestCrawl_limit(t *testing.T) {
	site, _, _, _ := crawlSite(t)
	s := site.URL
	got, _ := crawlRun(t, Options{Crawl: 3, SkipErrorPage: true}, s+"/")
	want := []string{s + "/", s + "/a <- " + s + "/", s + "/b <- " + s + "/", s + "/c <- " + s + "/"}
	if !slices.Equal(got, want) {
		t.Errorf("-crawl 3 scanned %q, want %q", got, want)
	}

	// The limit is per URL given; each is followed by its own pages, in
	// the order of the URLs.
	got, _ = crawlRun(t, Options{Crawl: 1, SkipErrorPage: true}, s+"/b", s+"/a")
	want = []string{s + "/b", s + "/sub/g <- " + s + "/b", s + "/a", s + "/ <- " + s + "/a"}
	if !slices.Equal(got, want) {
		t.Errorf("two URLs scanned %q, want %q", got, want)
	}
}

func TestCrawl_zeroChangesNothing(t *testing.T) {
	site, _, siteRec, _ := crawlSite(t)
	got, results := crawlRun(t, Options{SkipErrorPage: true}, site.URL+"/", site.URL+"/a")
	if want := []string{site.URL + "/", site.URL + "/a"}; !slices.Equal(got, want) {
		t.Errorf("scanned %q, want %q", got, want)
	}
	for _, r := range results {
		if r.FoundOn != "" {
			t.Errorf("%s: found_on %q without a crawl", r.URL, r.FoundOn)
		}
	}
	// Two fetches per URL (framed and top-level), nothing else.
	if reqs := siteRec.list(); len(reqs) != 4 {
		t.Errorf("requests %q, want 4", reqs)
	}
}

// TestCrawl_startRedirects: a URL given that redirects to another origin
// of its site (here the same host on another port, as http:// to https://
// or example.com to www.example.com) is crawled where it landed, and its
// Result says so; one that redirects to another site is judged there, as
// without a crawl, but not crawled, and its Result says so too.
func TestCrawl_startRedirects(t *testing.T) {
	site, other, _, otherRec := crawlSite(t)
	got, results := crawlRun(t, Options{Crawl: 5, SkipErrorPage: true}, site.URL+"/go-other")
	if want := []string{site.URL + "/go-other", other.URL + "/x <- " + site.URL + "/go-other"}; !slices.Equal(got, want) {
		t.Errorf("same site: scanned %q, want %q", got, want)
	}
	if r := results[0]; r.FinalURL != other.URL+"/landing" || !strings.Contains(r.Crawl, "follows the links of "+other.URL) {
		t.Errorf("same site: final URL %s, crawl %q; want %s/landing and the crawl's origin named", r.FinalURL, r.Crawl, other.URL)
	}
	if reqs := otherRec.list(); len(reqs) != 4 { // /landing and /x, framed and top-level
		t.Errorf("same site: requests %q, want 4", reqs)
	}

	// 127.0.0.2 is another site than 127.0.0.1.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	elsewhereRec := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/y">y</a>`)
	})}
	elsewhere := httptest.NewUnstartedServer(elsewhereRec)
	elsewhere.Listener.Close()
	elsewhere.Listener = l
	elsewhere.Start()
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/landing", http.StatusFound))
	defer redirect.Close()
	got, results = crawlRun(t, Options{Crawl: 5, SkipErrorPage: true}, redirect.URL+"/")
	if want := []string{redirect.URL + "/"}; !slices.Equal(got, want) {
		t.Errorf("another site: scanned %q, want %q", got, want)
	}
	if r := results[0]; r.FinalURL != elsewhere.URL+"/landing" || !strings.Contains(r.Crawl, "not crawled") {
		t.Errorf("another site: final URL %s, crawl %q; want %s/landing and why it was not crawled", r.FinalURL, r.Crawl, elsewhere.URL)
	}
	for _, req := range elsewhereRec.list() {
		if !strings.HasSuffix(req, " /landing") {
			t.Errorf("request %s to the other site: only the redirect's target may be fetched", req)
		}
	}
}

// cookieProver records, for each URL it is asked to prove, whether the
// cookie may be stored for it.
type cookieProver struct {
	mu     sync.Mutex
	cookie map[string]bool
}

func (p *cookieProver) Prove(_ context.Context, url string, _ []string, cookie bool) (BrowserVerdict, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if had, ok := p.cookie[url]; ok && had != cookie {
		return BrowserVerdict{}, fmt.Errorf("%s proved with and without the cookie", url)
	}
	p.cookie[url] = cookie
	return BrowserVerdict{Browser: "Fake 1", What: "blocked"}, nil
}

// TestCrawl_proofCookie: with -browser, the cookie is offered to Chromium
// for the URL given, and not for the pages the crawl found on the other
// origin of the site it redirected to.
func TestCrawl_proofCookie(t *testing.T) {
	site, other, _, _ := crawlSite(t)
	p := &cookieProver{cookie: map[string]bool{}}
	crawlRun(t, Options{Crawl: 5, SkipErrorPage: true, Cookie: "sid=1", Browser: p}, site.URL+"/go-other")
	want := map[string]bool{site.URL + "/go-other": true, other.URL + "/x": false}
	if !maps.Equal(p.cookie, want) {
		t.Errorf("proofs with the cookie: %v, want %v", p.cookie, want)
	}
}

// TestCrawl_sameSite checks which origins are of one site.
func TestCrawl_sameSite(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"http://example.com/", "https://example.com/", true},
		{"http://example.com/", "https://www.example.com/", true},
		{"https://a.example.com:8443/", "http://b.example.com/", true},
		{"https://example.com/", "https://example.org/", false},
		{"https://a.github.io/", "https://b.github.io/", false}, // a public suffix
		{"http://127.0.0.1:1/", "http://127.0.0.1:2/", true},
		{"http://127.0.0.1/", "http://127.0.0.2/", false},
		{"http://localhost/", "http://localhost:8080/", true},
		{"http://[::1]/", "http://[::2]/", false},
	}
	for _, tc := range tests {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := sameSite(a, b); got != tc.want {
			t.Errorf("sameSite(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestCrawl_concurrency: URLs given and crawled pages share one bound.
func TestCrawl_concurrency(t *testing.T) {
	site, _, siteRec, _ := crawlSite(t)
	siteRec.delay = 20 * time.Millisecond
	s := site.URL
	got, _ := crawlRun(t, Options{Crawl: 50, Concurrency: 2, SkipErrorPage: true}, s+"/", s+"/c", s+"/a")
	if len(got) != 14+3+14 { // the site from /, /c and its two links, the site from /a
		t.Errorf("%d results: %q", len(got), got)
	}
	if siteRec.maxIn > 2 {
		t.Errorf("%d requests at once, want at most 2", siteRec.maxIn)
	}
}

func TestCrawl_links(t *testing.T) {
	doc, _ := url.Parse("http://Example.COM:80/dir/page?x=1")
	body := `<base href="https://example.com/elsewhere/">` // another origin: nothing is kept
	if got := crawlLinks([]byte(body+`<a href="a">`), doc, originOf(doc), 10); len(got) != 0 {
		t.Errorf("links under a base of another origin: %q", got)
	}
	body = `<a href="a"><a href="./a"><a href="/dir/a#x"><a href="?x=1"><a href="page?x=1#f">` +
		`<a href="http://example.com/dir/b"><a href=" /c "><a href="HTTP://EXAMPLE.COM:80/d">` +
		`<form method=dialog action=/dialog></form><form action></form><form method=GET action="/s">` +
		`<a href="/Reset-Password"><a href="/js/app.JS"><a href="/e"><a href="/f">`
	got := crawlLinks([]byte(body), doc, originOf(doc), 5)
	want := []string{"http://example.com/dir/a", "http://example.com/dir/b", "http://example.com/c", "http://example.com/d", "http://example.com/s"}
	if !slices.Equal(got, want) {
		t.Errorf("links:\n got %q\nwant %q", got, want)
	}
}

// TestIsUnsafeLink: the words match the path and query as written and
// percent-decoded, each escape by itself, so that a bad escape elsewhere
// (which fails url.QueryUnescape on the whole) hides none.
func TestIsUnsafeLink(t *testing.T) {
	for _, tc := range []struct {
		link   string
		unsafe bool
	}{
		{"/q?action=log%6Fut&x=%zz", true},
		{"/q2?op=d%65lete&id=5&pct=100%", true},
		{"/re%6Dove?x=%", true},
		{"/a?x=%2", false},
		{"/%4Cog%4Fut?x=%", true},
		{"/log%2Dout?x=%", true},
		{"/p?x=%25zz&y=reset", true},
		{"/p?x=%6", false},
		{"/100%25?q=%E2%82%AC", false},
	} {
		u, err := url.Parse("http://example.com" + tc.link)
		if err != nil {
			t.Fatalf("%s: %v", tc.link, err)
		}
		if got := isUnsafeLink(u); got != tc.unsafe {
			t.Errorf("isUnsafeLink(%s) = %v, want %v", tc.link, got, tc.unsafe)
		}
	}
}

// TestCrawl_base: links resolve against the document's base URL as
// Chromium resolves them (measured): a link or a form's action against the
// first <base href> of the whole document, even one after it; a frame's
// URL against the base before it; a base of a data: or javascript: URL is
// ignored, and one that does not parse resolves no relative URL.
func TestCrawl_base(t *testing.T) {
	doc, _ := url.Parse("http://example.com/d/page")
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"late base", `<a href="g"><form action="fa"></form><iframe src="fi"></iframe><base href="/sub/">` +
			`<a href="g2"><iframe src="fj"></iframe><base href="/ignored/"><a href="g3">`,
			[]string{"/sub/g", "/sub/fa", "/d/fi", "/sub/g2", "/sub/fj", "/sub/g3"}},
		{"empty URLs", `<base href="/sub/"><a href=""><form action=" "></form><iframe src=""></iframe>`,
			[]string{"/sub/"}},
		{"unparsable base", `<base href="http://[/"><a href="g"><a href="http://example.com/abs"><iframe src="fi"></iframe>`,
			[]string{"/abs"}},
		{"unparsable late base", `<a href="g"><iframe src="fi"></iframe><base href="http://[/"><a href="/h">`,
			[]string{"/d/fi"}},
		{"data: base", `<base href="data:text/html,x/"><a href="g">`, []string{"/d/g"}},
		{"javascript: base", `<a href="g"><base href="javascript:x/"><iframe src="fi"></iframe>`, []string{"/d/g", "/d/fi"}},
	} {
		var want []string
		for _, p := range c.want {
			want = append(want, "http://example.com"+p)
		}
		if got := crawlLinks([]byte(c.body), doc, originOf(doc), 10); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, want)
		}
	}
}

// TestCrawl_shutOut: a page that opens only from its own site (refused to
// frames and to top-level navigations from other sites, served from the
// address bar) is crawled from the page the address bar gets.
func TestCrawl_shutOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		switch {
		case r.URL.Path == "/next":
			fmt.Fprint(w, `<!doctype html><p>next`)
		case r.Header.Get("Sec-Fetch-Site") != "none":
			http.Error(w, "Forbidden", http.StatusForbidden)
		default:
			fmt.Fprint(w, `<!doctype html><a href="/next">next</a>`)
		}
	}))
	defer srv.Close()
	got, _ := crawlRun(t, Options{Crawl: 5, SkipErrorPage: true}, srv.URL+"/confirm")
	if want := []string{srv.URL + "/confirm", srv.URL + "/next <- " + srv.URL + "/confirm"}; !slices.Equal(got, want) {
		t.Errorf("scanned:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestCrawl_unicodeHost: a link that names the page's host in Unicode is
// of the page's origin, as a browser's URL parser maps it to ASCII; one
// whose host browsers refuse is no link.
func TestCrawl_unicodeHost(t *testing.T) {
	doc, _ := url.Parse("http://xn--bcher-kva.example/")
	body := `<a href="http://bücher.example/a"><a href="http://BÜCHER.example/b"><a href="http://b%C3%BCcher.example/c">` +
		"<a href=\"http://a\u200db.example/d\"><a href=\"http://b\u00fccher.example:8080/e\">"
	got := crawlLinks([]byte(body), doc, originOf(doc), 10)
	want := []string{"http://xn--bcher-kva.example/a", "http://xn--bcher-kva.example/b", "http://xn--bcher-kva.example/c"}
	if !slices.Equal(got, want) {
		t.Errorf("links:\n got %q\nwant %q", got, want)
	}
}

// TestEncodeQuery: a query is percent-encoded as Chromium's URL parser
// does it (new URL(…).search, measured): space, quotes, '<', '>' and
// non-ASCII; '%', backquote, braces, '|', '^', the backslash and
// sub-delimiters kept.
func TestEncodeQuery(t *testing.T) {
	for q, want := range map[string]string{
		"":                       "",
		"q=ä b":                  "q=%C3%A4%20b",
		`a="x"&b=<y>&c='z'`:      "a=%22x%22&b=%3Cy%3E&c=%27z%27",
		"p=%zz%41":               "p=%zz%41",
		"u=`{|}^\\":              "u=`{|}^\\",
		"v=~!$()*,;:@/?":         "v=~!$()*,;:@/?",
		"already=%C3%A4%20b&x=1": "already=%C3%A4%20b&x=1",
	} {
		if got := encodeQuery(q); got != want {
			t.Errorf("encodeQuery(%q) = %q, want %q", q, got, want)
		}
	}
	got := crawlLinks([]byte(`<a href="/p?q=a b&r=ä">`), &url.URL{Scheme: "http", Host: "example.com", Path: "/"}, "http://example.com", 5)
	if want := []string{"http://example.com/p?q=a%20b&r=%C3%A4"}; !slices.Equal(got, want) {
		t.Errorf("crawled link %q, want %q", got, want)
	}
}

// TestParseTarget_unicodeHost: a host name given in Unicode is scanned in
// the ASCII form browsers give it (checked against Chromium's URL parser);
// one browsers refuse is an error.
func TestParseTarget_unicodeHost(t *testing.T) {
	for _, tc := range []struct{ raw, host string }{
		{"http://bücher.example/", "xn--bcher-kva.example"},
		{"https://BÜCHER.example:8443/p", "xn--bcher-kva.example:8443"},
		{"http://faß.example/", "xn--fa-hia.example"}, // nontransitional, as Chromium
		{"http://ＥＸＡＭＰＬＥ．com/", "example.com"},
		{"http://a_b.ü.example/", "a_b.xn--tda.example"},
		{"http://xn--bcher-kva.example/", "xn--bcher-kva.example"},
	} {
		u, err := parseTarget(tc.raw)
		if err != nil || u.Host != tc.host {
			t.Errorf("parseTarget(%q) = %v, %v; want host %q", tc.raw, u, err, tc.host)
		}
	}
	for _, raw := range []string{"http://a\u200db.example/", "http://\u05d0a.example/"} {
		if u, err := parseTarget(raw); err == nil || !strings.Contains(err.Error(), "not a domain name browsers accept") {
			t.Errorf("parseTarget(%q) = %v, %v; want an error", raw, u, err)
		}
	}
}

func TestCrawl_visitedBounded(t *testing.T) {
	start, _ := url.Parse("http://example.com/")
	c := newCrawl(start, 2)
	if c.take("http://example.com/") {
		t.Error("the start URL taken again")
	}
	for i, want := range []bool{true, true, false, false} {
		if got := c.take(fmt.Sprintf("http://example.com/%d", i)); got != want {
			t.Errorf("take %d = %v, want %v", i, got, want)
		}
	}
	if len(c.visited) != 3 {
		t.Errorf("visited holds %d URLs, want 3", len(c.visited))
	}
}

// FuzzCrawlLinks: any HTML gives at most limit links, each once, none the
// page itself, each an http(s) URL of the page's origin in the form the
// crawl keeps (parsing it and normalising it again changes nothing) and
// none with a word of an unsafe link or a non-page extension.
func FuzzCrawlLinks(f *testing.F) {
	for _, body := range []string{
		`<a href="g"><base href="/sub/"><a href="h"><iframe src="i"></iframe>`,
		`<base href="http://[/"><a href="g"><a href="http://a.example/abs"><form action="s"></form>`,
		`<base href="data:x/"><area href="../../x?q=a b#f"><frame src="//a.example/f">`,
		`<a href=""><a href=" /p "><a href="/p#x"><a href="/logout"><a href="/x.png"><a href="HTTP://A.EXAMPLE:80/u">`,
		`<form method=post action=/p></form><form action></form><form method=GET action="?q=1">`,
		`<base href="https://b.example/"><a href="/other">`,
	} {
		f.Add(body, 5)
	}
	doc, _ := url.Parse("http://a.example/dir/page")
	origin := originOf(doc)
	self := normalizeURL(doc)
	f.Fuzz(func(t *testing.T, body string, limit int) {
		limit %= 20
		links := crawlLinks([]byte(body), doc, origin, limit)
		if len(links) > max(limit, 0) {
			t.Errorf("%d links, limit %d", len(links), limit)
		}
		seen := map[string]bool{}
		for _, l := range links {
			if seen[l] || l == self {
				t.Errorf("link %q twice, or the page itself", l)
			}
			seen[l] = true
			u, err := url.Parse(l)
			if err != nil {
				t.Errorf("link %q does not parse: %v", l, err)
				continue
			}
			if n, ok := crawlable(u, origin); !ok || n != l {
				t.Errorf("link %q: crawlable gives %q, %v", l, n, ok)
			}
		}
	})
}

// TestCrawl_linksAsBrowsers: links are read as a browser reads them: a '\'
// in the path is a '/' (so /\other.test/x is another host), tabs and line
// breaks are dropped; links with credentials the page did not carry are
// skipped (the same page again, or another account's); and links longer
// than maxLinkBytes, such as every relative one under a long <base href>,
// are not kept at all.
func TestCrawl_linksAsBrowsers(t *testing.T) {
	doc, _ := url.Parse("http://site.test/dir/page")
	body := `<a href="/\other.test/x"><a href="\up"><a href="/a\b?q=\"><a href="/t` + "\t\n" + `ab">` +
		`<a href="http://u1@site.test/"><a href="http://u2:pw@site.test/private"><a href="/ok">`
	got := crawlLinks([]byte(body), doc, originOf(doc), 10)
	want := []string{"http://site.test/up", "http://site.test/a/b?q=\\", "http://site.test/tab", "http://site.test/ok"}
	if !slices.Equal(got, want) {
		t.Errorf("links:\n got %q\nwant %q", got, want)
	}

	var b strings.Builder
	b.WriteString(`<base href="/` + strings.Repeat("p", 150<<10) + `/">`)
	for i := 0; b.Len() < DefaultMaxBodyBytes-64; i++ {
		fmt.Fprintf(&b, "<a href=%d>", i)
	}
	b.WriteString(`<a href="/short">`)
	got = crawlLinks([]byte(b.String()), doc, originOf(doc), 3*1000+2)
	if !slices.Equal(got, []string{"http://site.test/short"}) {
		total := 0
		for _, l := range got {
			total += len(l)
		}
		t.Errorf("a page of %d KiB under a long <base href> gave %d links, %d KiB in all; want /short alone", b.Len()>>10, len(got), total>>10)
	}
}

// TestCrawl_redirects: a crawled page that redirects, on its origin, to a
// URL the crawl would not follow as a link (a logout) is skipped, not
// followed with the cookie; one that redirects off the origin is skipped
// also with redirects off (-max-redirects 0), not an error; and a Location
// with a '\' goes where a browser goes.
func TestCrawl_redirects(t *testing.T) {
	t.Parallel()
	other := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<p>the landing page`)
	})}
	otherSrv := httptest.NewServer(other)
	t.Cleanup(otherSrv.Close)
	otherHost := strings.TrimPrefix(otherSrv.URL, "http://")
	site := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/account/switch">switch</a><a href="/away">away</a>`)
		case "/account/switch":
			http.Redirect(w, r, "/logout", http.StatusFound)
		case "/away":
			http.Redirect(w, r, otherSrv.URL+"/", http.StatusFound)
		case "/slash":
			w.Header().Set("Location", `/\`+otherHost+`/landing`)
			w.WriteHeader(http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<p>page`)
		}
	})}
	siteSrv := httptest.NewServer(site)
	t.Cleanup(siteSrv.Close)
	for _, maxRedirects := range []int{0, -1} {
		var results []Result
		err := Run(t.Context(), Options{Crawl: 5, SkipErrorPage: true, Cookie: "session=SECRET", MaxRedirects: maxRedirects}, []string{siteSrv.URL + "/"}, func(r Result) { results = append(results, r) })
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			switch {
			case strings.HasSuffix(r.URL, "/away") && (r.Error != "" || !errors.Is(r.Err, ErrLeftOrigin)):
				t.Errorf("MaxRedirects %d: %s: Error %q, Err %v; want skipped, left the origin", maxRedirects, r.URL, r.Error, r.Err)
			case strings.HasSuffix(r.URL, "/account/switch") && maxRedirects != -1 && (r.Error != "" || !errors.Is(r.Err, ErrUnsafeRedirect)):
				t.Errorf("MaxRedirects %d: %s: Error %q, Err %v; want skipped, a logout", maxRedirects, r.URL, r.Error, r.Err)
			}
		}
	}
	for _, req := range site.list() {
		if strings.Contains(req, "/logout") {
			t.Errorf("the crawl followed a redirect to the logout: %s", req)
		}
	}
	var results []Result
	if err := Run(t.Context(), Options{SkipErrorPage: true}, []string{siteSrv.URL + "/slash"}, func(r Result) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].FinalURL != otherSrv.URL+"/landing" || results[0].Status != 200 {
		t.Errorf(`Location /\host/landing: judged %q (status %d), want %s/landing, where a browser goes`, results[0].FinalURL, results[0].Status, otherSrv.URL)
	}
}

// TestErrorPage_oncePerOrigin: the error-page probe is fetched once per
// origin, however the URLs spell it (host case, the default port).
func TestErrorPage_oncePerOrigin(t *testing.T) {
	t.Parallel()
	rec := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("X-Frame-Options", "DENY")
		fmt.Fprint(w, `<p>page`)
	})}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr) // every host name is this server
	}}
	err := Run(t.Context(), Options{Transport: transport, Concurrency: 1}, []string{"http://site.test/a", "http://SITE.test/b", "http://site.test:80/c"}, func(Result) {})
	if err != nil {
		t.Fatal(err)
	}
	var probes []string
	for _, r := range rec.list() {
		if strings.Contains(r, "/clickguard-scan-") {
			probes = append(probes, r)
		}
	}
	if len(probes) != 1 {
		t.Errorf("one origin probed %d times: %q", len(probes), probes)
	}
}
