// Package scan predicts, from a site's real HTTP responses, whether browsers
// let other origins frame its pages, and explains why.
//
// [Run] fetches each URL the way a frame of another site navigates to it
// (GET, following redirects, browser-like Accept headers, Sec-Fetch-Dest:
// iframe, Sec-Fetch-Site: cross-site), hands the final response to the
// [framing] model, and reports verdicts for framing chains and findings:
// missing or ignored protection, risky policies, and places where browsers
// disagree (Chromium and Firefox, measured, and the specifications). It fetches each URL a second time as a top-level
// navigation (Sec-Fetch-Dest: document) and reports when the server
// answers the two differently.
//
// # Security model
//
// The scanner only reads: it sends GET requests with the headers and cookie
// it is given, at most [Options.Rate] a second when that is set, follows at
// most [Options.MaxRedirects] redirects, reads at most
// [Options.MaxBodyBytes] of each body and [Options.MaxHeaderBytes] of headers,
// and gives up on a URL after [Options.Timeout]. Responses are untrusted:
// they are parsed by bounded code and only ever printed as text, JSON,
// SARIF or escaped HTML.
// Certificates are verified unless [Options.Insecure] is set. The cookie
// and extra headers go only to the origin of the URL given (or its
// https:// upgrade, the same host on the default ports): a redirect to
// another origin, the rest of its chain, and the error-page probe of
// another origin are fetched without them.
//
// # Crawling
//
// With [Options.Crawl] set to N, Run also scans up to N more pages per URL
// given, breadth-first from it, reported right after it in the order they
// were found, each with [Result.FoundOn]. Links are read from the HTML the
// scanner already reads (the first [Options.MaxBodyBytes] of the top-level
// navigation's body): <a href>, <area href>, <iframe src>, <frame src>,
// and the action URL of a <form> whose method is GET (the URL alone: no
// form is ever filled in or submitted, and POST forms are ignored). Links
// resolve against <base href> and the final URL; only http(s) URLs of
// exactly the crawl's origin are kept, without their fragment. The crawl's
// origin is the start URL's, or, when the start URL redirects to another
// origin of the same site (the same host, or the same registrable domain
// by the public suffix list: http:// to https://, example.com to
// www.example.com), that origin, which the start URL's [Result.Crawl]
// names; a start URL that redirects to another site is not crawled, and
// its Result.Crawl says so. The crawl carries the cookie and headers (to
// the start URL's origin only), so it stays away from links whose
// path or query contains, case-insensitively and percent-decoded, a word
// of a state change (logout, logoff, signout, signoff, each also with "-"
// or "_" inside, delete, remove, destroy, erase, purge, unsubscribe,
// deactivate, disable, revoke, cancel, reset: applications still change
// state on GET), from non-pages by extension
// (images, fonts, CSS, JavaScript, media, PDF and office documents,
// archives), and a crawled page may not redirect to another origin (it is
// reported with [Result.Skipped], not as an error, and its Err wraps
// [ErrLeftOrigin]). Each page is scanned once per URL given; the
// pages found share the Concurrency bound and the Timeout of the URLs.
//
// The verdicts are predictions from headers. They cannot see frame-busting
// scripts (a [Prover] runs them, and says when a page hid itself: see
// [BrowserVerdict.Hidden]), and they assume the browser behaves as
// Chromium did when the project's corpus was measured.
//
// # Reports
//
// [Report] writes results as they arrive, as text, JSON, JSON lines or a
// SARIF 2.1.0 log for code-scanning dashboards ([FormatSARIF]): one run
// whose tool lists one rule per finding id ([Rules]), one result per
// finding located at the page's final URL, and the URLs that could not be
// fetched or proved as notifications of the invocation; or as one HTML page
// ([FormatHTML]) that runs no script and loads nothing, whatever the
// scanned sites sent.
package scan

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clickguard/clickguard/framing"
)

// Defaults used when an [Options] field is zero.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 4
	// DefaultMaxRedirects is the most redirects Chromium follows for a
	// navigation: it fails the navigation at the 20th.
	DefaultMaxRedirects = 19
	DefaultMaxBodyBytes = 256 << 10
	// DefaultMaxHeaderBytes is Chromium's own limit on a response's
	// headers: a page Chromium would show is one the scanner can judge.
	DefaultMaxHeaderBytes = 256 << 10
)

// MaxURLBytes is the length of the longest URL the scanner takes, given or
// read from a list: Chromium's own bound (url::kMaxURLChars, 2 MiB), beyond
// which it loads nothing. Run reports a longer one as an error, shown cut.
const MaxURLBytes = 2 << 20

// ForeignOrigin is the host of the attacker origin in the standard framing
// chains; the .example top-level domain is reserved and never a real site.
const ForeignOrigin = "attacker.example"

// Options configures [Run]. The zero value is ready to use: the three
// standard chains, the defaults above, verified certificates.
type Options struct {
	// Chains are the ancestor chains to report verdicts for: each one is a
	// list of origins, parent first, top last ("null" for an opaque origin),
	// reported as browsers serialise them (see [ParseChainOrigin]); a chain
	// given twice is reported once.
	// When empty (the default), Run reports the three standard chains: a
	// foreign origin, the page's own origin, and the page's own origin
	// inside a foreign top. Findings are always computed from the standard
	// chains.
	Chains [][]string

	// Header holds extra request headers, sent after the browser-like
	// defaults, so they can replace them, on every request to the origin
	// of the URL given (see the package's security model) and on no other.
	// The default is none.
	Header http.Header

	// Cookie is sent as the Cookie header when not empty, to the origin of
	// the URL given only, as Header is. The default is none.
	Cookie string

	// Timeout bounds each fetch (the framed navigation, the top-level one
	// and the error-page probe): connection, redirects, headers and reading
	// the body, but not the waits of the Rate option. A response whose
	// headers came in time but whose body did not end (a page that streams
	// or stalls) is judged on its headers and the part of its body read,
	// with a body-truncated finding, as browsers show such a page; one
	// whose headers did not come is an error. The default is
	// DefaultTimeout.
	Timeout time.Duration

	// Concurrency is the number of URLs fetched at once; all of them share
	// one connection pool with at most this many connections per host.
	// The default is DefaultConcurrency.
	Concurrency int

	// Insecure accepts any TLS certificate. The default is false.
	Insecure bool

	// MaxRedirects is the number of redirects followed before giving up.
	// The default is DefaultMaxRedirects; a negative value follows none.
	// A redirect that is not followed is reported as an error wrapping
	// ErrRedirectNotFollowed (with no verdict: browsers never render a
	// redirect), and one more than MaxRedirects as ErrTooManyRedirects.
	MaxRedirects int

	// MaxBodyBytes is how much of a body is read to find <meta> tags.
	// The default is DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MaxHeaderBytes bounds the size of response headers.
	// The default is DefaultMaxHeaderBytes.
	MaxHeaderBytes int64

	// SkipErrorPage turns off the probe that fetches a missing page
	// (/clickguard-scan-<random>) once per origin to compare its framing
	// protection with the page's. The default is false: probe.
	SkipErrorPage bool

	// Transport, when not nil, replaces the transport Run builds from the
	// fields above (Insecure and MaxHeaderBytes are then the transport's
	// business). The default is nil.
	Transport http.RoundTripper

	// Browser, when not nil, proves every verdict in a real browser: Run
	// calls its Prove once per verdict of a fetched page, each bounded by
	// Timeout, records the outcome in [Verdict.Browser], and adds a
	// browser-disagrees finding where the browser contradicts the
	// prediction. The default is nil: predictions only.
	Browser Prover

	// Crawl, when positive, also scans up to Crawl more pages per URL
	// given, found by following its links breadth-first: see [Run]. The
	// default is 0: only the URLs given.
	Crawl int

	// Rate, when not 0, is the most requests a second the Run sends to
	// the sites, from MinRate to MaxRate: every request (each fetch's
	// redirects and the error-page probes included) waits for its turn,
	// and turns are 1/Rate apart, in the order asked for, with no burst.
	// No wait, on any redirect, counts against Timeout. With Browser,
	// each proof also waits for a turn before it starts (a proof loads the
	// page once, or twice when the browser refused it); the requests the
	// browser then sends for it (redirects, images) are not spaced. The
	// default is 0: no limit.
	Rate float64
}

// Result is what Run reports for one URL. When Error is not empty the URL
// could not be fetched and only URL and Error are meaningful.
//
// FinalURL, Status, Redirects, the verdicts and the findings are those of
// the framed navigation: the URL fetched as a frame of another site
// (Sec-Fetch-Dest: iframe) fetches it, which is what an attacker's frame
// receives. TopLevel is the same URL fetched as a top-level navigation.
type Result struct {
	URL string `json:"url"`
	// FoundOn, for a page found by [Options.Crawl], is the URL (as in
	// the URL field of its Result) of the page that linked to it; empty
	// for a URL given.
	FoundOn  string `json:"found_on,omitempty"`
	FinalURL string `json:"final_url"`
	Status   int    `json:"status"`
	// NotFetched, when not empty, says why nothing was fetched from
	// FinalURL: it is on a bad port, from which browsers fetch nothing
	// (framing.BadPorts), or a redirect led to it and it is of another
	// scheme than http and https (data:, mailto:, an application's own),
	// where browsers follow no redirect. Status is then 0, and every
	// verdict blocked.
	NotFetched string    `json:"not_fetched,omitempty"`
	TopLevel   *TopLevel `json:"top_level,omitempty"`
	// AddressBar, when the server answered both the framed and the
	// top-level navigation with a 4xx status, is the same URL fetched as a
	// navigation from the address bar (Sec-Fetch-Site: none): served there,
	// the page opens only from its own site (the finding
	// cross-site-navigation-refused); refused there too, it refuses every
	// visitor. Nil otherwise.
	AddressBar *TopLevel  `json:"address_bar,omitempty"`
	Redirects  []Redirect `json:"redirects,omitempty"`
	Verdicts   []Verdict  `json:"verdicts"`
	Findings   []Finding  `json:"findings"`
	Error      string     `json:"error"`
	// Skipped, for a page found by [Options.Crawl] that redirected to
	// another origin, says so: the crawl chose not to follow, which is not
	// an error. Error is then empty and Err wraps [ErrLeftOrigin]; only
	// URL and FoundOn are meaningful.
	Skipped string `json:"skipped,omitempty"`
	// Crawl, for a URL given with [Options.Crawl] that redirected to
	// another origin, says where the crawl from it went: to the pages of
	// that origin when it is of the same site (see [Options.Crawl]),
	// else nowhere.
	Crawl string `json:"crawl,omitempty"`

	// Err is the error behind Error or Skipped, for errors.Is and
	// errors.As.
	Err error `json:"-"`
}

// TopLevel is the response to a URL fetched as a top-level navigation
// (Sec-Fetch-Dest: document), from another site or from the address bar,
// for comparison with the framed navigation that the verdicts judge. When
// Error is not empty that fetch failed and only Error is meaningful.
type TopLevel struct {
	FinalURL string `json:"final_url"`
	Status   int    `json:"status"`
	Error    string `json:"error,omitempty"`
}

// Redirect is one redirect followed on the way to the final response.
type Redirect struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Location string `json:"location"`
}

// Verdict says whether the page may be rendered in a frame whose ancestors
// are Ancestors (parent first, top last), and which header decided.
type Verdict struct {
	Chain     string   `json:"chain,omitempty"`
	Ancestors []string `json:"ancestors"`
	Framable  bool     `json:"framable"`
	DecidedBy string   `json:"decided_by"`
	Reason    string   `json:"reason"`

	// FrameURL is the URL a frame of this chain loads, when it is not the
	// URL as scanned: Chromium blocks that URL, or one its redirects lead
	// through, as mixed content in this chain (an http URL in a frame of an
	// https page), so an attacker frames the final URL itself, and the
	// verdict, and the browser's proof, are for that frame.
	FrameURL string `json:"frame_url,omitempty"`

	// Browser is what a real browser did in this chain, when
	// [Options.Browser] is set.
	Browser *BrowserVerdict `json:"browser,omitempty"`
}

// Standard chain names, as reported in [Verdict.Chain].
const (
	ChainForeign = "foreign origin"
	ChainSelf    = "own origin"
	ChainDouble  = "own origin inside foreign top"
)

// Finding is one problem or remark about a page's framing protection.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence"`
	// Fix is the header lines to send, one a line (a line in parentheses
	// is a note), or empty: sent as the page's only framing headers, they
	// keep a foreign site from framing it.
	Fix string `json:"fix"`
}

// ErrTooManyRedirects is wrapped by a Result's Err when a URL redirected more
// often than [Options.MaxRedirects].
var ErrTooManyRedirects = errors.New("too many redirects")

// CookieWallError is wrapped by a Result's Err, beside ErrTooManyRedirects,
// when the redirect responses set cookies: a site that redirects until the
// browser sends its cookie back (a cookie wall, such as a consent page's)
// loops for the scanner, which keeps no cookie between redirects. Sending
// the cookie with [Options.Cookie] gets the page a browser gets.
type CookieWallError struct {
	// Names are the names of the cookies set, in the order first set.
	// Their values, which may be sessions, are not kept.
	Names []string
}

func (e *CookieWallError) Error() string {
	return fmt.Sprintf("the redirects set the cookie %s, which the scanner does not send back (it keeps no cookie between redirects), as a cookie wall expects", strings.Join(e.Names, ", "))
}

// ErrRedirectNotFollowed is wrapped by a Result's Err when a URL answered
// with a redirect and redirects are off (a negative [Options.MaxRedirects]):
// browsers never render a redirect response, so there is nothing to judge.
var ErrRedirectNotFollowed = errors.New("redirect not followed")

// ErrRateLimited is wrapped by a Result's Err when the server answered 429
// Too Many Requests: it was limiting the scanner's requests, and its
// answer is not the page. A 429 that asks for a short wait is asked again
// first (see [MaxRetryWait]). Scan it again later, or with a lower
// [Options.Rate].
var ErrRateLimited = errors.New("rate limited")

// Run scans urls and calls emit once per URL, in the order of urls, from
// the calling goroutine (with [Options.Crawl], each URL is followed by the
// pages found from it, in the order they were found). At most Concurrency URLs are in flight and at most
// twice that many results wait to be emitted, so memory stays flat however
// long the list; the price of the order is that a slow URL holds back the
// results after it: each of its requests (the framed fetch, and the
// top-level, address-bar and error-page fetches the checks need, up to
// four) has its own Timeout, and a 429's short waits come on top (see
// [MaxRetryWait]).
//
// Run returns when every URL was emitted, or early with ctx's error when
// ctx is done (results not yet emitted are then dropped). A URL that
// cannot be fetched is reported through Result.Error, never as Run's
// error. Run validates its options first and returns an error for an
// invalid chain. Each call builds its own connection pool and closes it
// on return.
func Run(ctx context.Context, opts Options, urls []string, emit func(Result)) error {
	return RunSeq(ctx, opts, slices.Values(urls), emit)
}

// RunSeq is [Run] for URLs that arrive one by one, such as the lines of a
// file: it asks urls for the next URL only when a worker is free, so a list
// of any length is never held in memory.
func RunSeq(ctx context.Context, opts Options, urls iter.Seq[string], emit func(Result)) error {
	s, err := newScanner(opts)
	if err != nil {
		return err
	}
	defer s.client.CloseIdleConnections()

	n := s.opts.Concurrency
	type job struct {
		url  string // as reported, for the pages it links to
		done chan Result
		// links, with the Crawl option, receives the pages the job's
		// page links to (see crawlLinks) once it is scanned.
		links chan crawled
	}
	// order carries jobs in input order to the emitter; its buffer and the
	// semaphore bound how far fetching runs ahead of emitting.
	order := make(chan job, n)
	sem := make(chan struct{}, n)
	stop := make(chan struct{})
	producerDone := make(chan struct{})
	var wg sync.WaitGroup
	// start scans raw on a worker once one is free and queues its result
	// for the emitter; false means the Run is over.
	start := func(raw, foundOn string, c *crawl) (job, bool) {
		select {
		case sem <- struct{}{}:
		case <-stop:
			return job{}, false
		}
		j := job{done: make(chan Result, 1)}
		if c != nil {
			j.links = make(chan crawled, 1)
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r, links := s.scanOne(ctx, raw, c, foundOn != "")
			r.FoundOn = foundOn
			j.done <- r
			if j.links != nil {
				j.links <- links
			}
		})
		j.url = shownURL(raw)
		select {
		case order <- j:
			return j, true
		case <-stop:
			return job{}, false
		}
	}
	go func() {
		defer close(producerDone)
		defer close(order)
		for raw := range urls {
			var c *crawl
			if s.opts.Crawl > 0 {
				if u, err := parseTarget(raw); err == nil {
					c = newCrawl(u, s.opts.Crawl)
				}
			}
			j, ok := start(raw, "", c)
			if !ok {
				return
			}
			if c == nil {
				continue
			}
			// Breadth-first: the pages linked from each page, in the
			// order the pages were found, each page's links in document
			// order. Only the expansion waits for a page; the pages found
			// so far are being fetched meanwhile.
			queue := []job{j}
			for len(queue) > 0 {
				parent := queue[0]
				queue = queue[1:]
				var found crawled
				select {
				case found = <-parent.links:
				case <-stop:
					return
				}
				if found.origin != "" {
					c.origin = found.origin
				}
				if found.final != "" {
					c.seen(found.final)
				}
				for _, l := range found.links {
					if !c.take(l) {
						continue
					}
					j, ok := start(l, parent.url, c)
					if !ok {
						return
					}
					queue = append(queue, j)
				}
			}
		}
	}()
	defer func() {
		// The producer must be gone before Wait: it is the only caller of
		// wg.Go.
		close(stop)
		<-producerDone
		wg.Wait()
	}()
	for j := range order {
		r := <-j.done
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		emit(r)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return nil
}

// scanner holds what the URLs of one Run share: options, the client and
// its connection pool, and the error-page probes per origin.
type scanner struct {
	opts   Options
	chains [][]string
	client *http.Client
	// ctlClient asks again for a response whose header net/http refused
	// for a control character in a value (see newCTLTransport); nil with
	// Options.Transport.
	ctlClient *http.Client
	limit     *limiter // nil without the Rate option

	mu     sync.Mutex
	probes map[string]*probe
}

type probe struct {
	done chan struct{}
	resp framing.Response
	err  error
}

// withDefaults returns o with the defaults in place of zero fields, and
// MaxRedirects as the number of redirects followed (0 for none).
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	} else if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return o
}

func newScanner(opts Options) (*scanner, error) {
	opts = opts.withDefaults()
	var chains [][]string
	for _, chain := range opts.Chains {
		if len(chain) == 0 {
			return nil, errors.New("scan: empty framing chain")
		}
		c := make([]string, len(chain))
		for i, o := range chain {
			a, err := ParseChainOrigin(o)
			if err != nil {
				return nil, fmt.Errorf("scan: chain origin %q: %w", o, err)
			}
			c[i] = a
		}
		// The same chain written twice (or two ways) is judged once.
		if !slices.ContainsFunc(chains, func(d []string) bool { return slices.Equal(c, d) }) {
			chains = append(chains, c)
		}
	}
	s := &scanner{opts: opts, chains: chains, probes: make(map[string]*probe)}
	if opts.Rate != 0 {
		l, err := newLimiter(opts.Rate)
		if err != nil {
			return nil, err
		}
		s.limit = l
	}
	s.client = newClient(opts, s.limit)
	if opts.Transport == nil {
		ctl := opts
		ctl.Transport = newCTLTransport(opts)
		s.ctlClient = newClient(ctl, s.limit)
	}
	return s, nil
}

// crawled is what the crawl learns from a scanned page: its final URL,
// normalised, when of the crawl's origin, and the links it may follow;
// for a URL given, origin is the crawl's new origin when the URL
// redirected to another origin of its site.
type crawled struct {
	final  string
	links  []string
	origin string
}

// scanOne fetches and judges one URL. With c, it also returns the page's
// links for the crawl; a page found by the crawl (inner) may not redirect
// off the crawl's origin.
func (s *scanner) scanOne(ctx context.Context, raw string, c *crawl, inner bool) (Result, crawled) {
	// Empty lists, not nil: JSON readers get [] for a failed URL too.
	res := Result{URL: shownURL(raw), Verdicts: []Verdict{}, Findings: []Finding{}}
	var found crawled
	u, err := parseTarget(raw)
	if err != nil {
		res.Err = err
		res.Error = err.Error()
		return res, found
	}
	// The cookie and headers go to the origin of the URL given only.
	creds := originOf(u)
	if inner {
		ctx = stayOn(ctx, c.origin)
		creds = c.given
	}
	page, err := s.fetch(ctx, u, frameNavigation, creds)
	if err != nil {
		res.Err = err
		if errors.Is(err, ErrLeftOrigin) || errors.Is(err, ErrUnsafeRedirect) {
			// Not an error: the crawl chose not to follow.
			res.Skipped = errors.Unwrap(err).Error()
			return res, found
		}
		res.Error = err.Error()
		return res, found
	}
	res.FinalURL = page.final.Redacted()
	res.Status = page.resp.Status
	res.Redirects = page.redirects
	res.NotFetched = page.notFetched
	// The same URL as a top-level navigation, to tell when the server
	// answers frames differently.
	top, err := s.fetch(ctx, u, topNavigation, creds)
	if err != nil {
		res.TopLevel = &TopLevel{Error: err.Error()}
		top = nil
	} else {
		res.TopLevel = &TopLevel{FinalURL: top.final.Redacted(), Status: top.resp.Status}
	}
	direct, err := s.directPage(ctx, u, page, top, creds)
	switch {
	case err != nil:
		res.AddressBar = &TopLevel{Error: err.Error()}
	case direct != nil:
		res.AddressBar = &TopLevel{FinalURL: direct.final.Redacted(), Status: direct.resp.Status}
		if direct.resp.Status >= 400 {
			direct = nil // a refusal: neither judged nor crawled
		}
	}
	if c != nil {
		// The links a visitor follows are those of the top-level
		// navigation; a server that refuses frames shows them only there,
		// and one that refuses other sites only from the address bar.
		from := page
		if direct != nil {
			from = direct
		} else if top != nil {
			from = top
		}
		scope := c.origin
		if from.notFetched != "" {
			res.Crawl = "not crawled: nothing was fetched from " + from.final.Redacted()
		} else if final := originOf(from.final); !inner && final != scope {
			// A URL given that redirects to another origin of its site
			// (http:// to https://, example.com to www.example.com) is
			// crawled where it landed; one that lands on another site
			// (a login service) is not crawled at all.
			if sameSite(from.final, u) {
				scope, found.origin = final, final
				res.Crawl = "the crawl follows the links of " + final + ", where the URL redirected"
				if s.hasCredentials() && !mayReceive(creds, from.final) {
					res.Crawl += ", without the cookie and headers, which go to " + creds + " only"
				}
			} else {
				res.Crawl = "not crawled: the URL redirected to " + final + ", another site than " + c.origin
			}
		}
		if from.notFetched == "" && originOf(from.final) == scope {
			found.final = normalizeURL(from.final)
			// Up to 2*Crawl+2 of them may have been seen already (the
			// visited set's bound): so many more leave room for Crawl new
			// ones, however many links every page repeats.
			found.links = crawlLinks(from.body, from.final, scope, 3*s.opts.Crawl+2)
			// The refresh browsers take (the Refresh header, or else the
			// first <meta> refresh; they ignore any other) leads on as a
			// link does, and browsers follow it first.
			if r, ok := pageRefresh(from.resp, from.final, from.metaBase, from.isHTML); ok {
				if n, ok := crawlable(r.target, scope); ok && !slices.Contains(found.links, n) {
					found.links = append([]string{n}, found.links...)
				}
			}
		}
		page.body, from.body = nil, nil
	}
	if direct != nil {
		direct.body = nil
	}

	var (
		errPage  *framing.Response
		probeErr error
	)
	// Nothing to probe where nothing was fetched: a bad port's error pages
	// are on the same port, and a URL of another scheme has none.
	if !s.opts.SkipErrorPage && page.notFetched == "" {
		p, err := s.errorPage(ctx, page.final, creds)
		if err == nil {
			errPage = &p
		} else {
			// The page is judged all the same, saying what was not
			// checked (error-page-unchecked).
			probeErr = err
		}
	}
	if err := judge(&res, page, top, direct, errPage, probeErr, s.chains); err != nil {
		res.Err = err
		res.Error = err.Error()
		return res, found
	}
	if s.opts.Browser != nil {
		prove(ctx, s.opts.Browser, s.opts.Timeout, s.limit, &res, page.resp, creds, len(s.opts.Header) > 0)
	}
	return res, found
}

// directPage fetches u as a navigation from the address bar when the
// server refused both its framed navigation p and its top-level navigation
// from another site top (a 4xx status; a 5xx is the server's failure):
// served there, the page opens only from its own site (see
// facts.shutOut). It returns nil, nil when it need not ask.
func (s *scanner) directPage(ctx context.Context, u *url.URL, p, top *page, creds string) (*page, error) {
	refused := func(p *page) bool { return p.resp.Status >= 400 && p.resp.Status <= 499 }
	if top == nil || !refused(p) || !refused(top) {
		return nil, nil
	}
	return s.fetch(ctx, u, directNavigation, creds)
}

// hasCredentials reports whether the Cookie or Header option is set.
func (s *scanner) hasCredentials() bool {
	return s.opts.Cookie != "" || len(s.opts.Header) > 0
}

// errorPage fetches, once per origin of the Run, a path that should not
// exist, and returns its response. The probe is a page of final's origin:
// it carries the cookie and headers only when credOrigin may receive them,
// and is fetched once more for the URLs that may send them there.
func (s *scanner) errorPage(ctx context.Context, final *url.URL, credOrigin string) (framing.Response, error) {
	key := originOf(final)
	if s.hasCredentials() && mayReceive(credOrigin, final) {
		key += " with credentials"
	}
	s.mu.Lock()
	p, ok := s.probes[key]
	if !ok {
		p = &probe{done: make(chan struct{})}
		s.probes[key] = p
	}
	s.mu.Unlock()
	if ok {
		select {
		case <-p.done:
			return p.resp, p.err
		case <-ctx.Done():
			return framing.Response{}, ctx.Err()
		}
	}
	defer close(p.done)
	u := &url.URL{Scheme: final.Scheme, Host: final.Host, Path: "/clickguard-scan-" + randomToken()}
	page, err := s.fetch(ctx, u, frameNavigation, credOrigin)
	if err != nil {
		p.err = err
		return framing.Response{}, err
	}
	// Keep only what the checks read: the probes live as long as the Run.
	p.resp = framing.Response{URL: page.resp.URL, Status: page.resp.Status, Sniffed: page.resp.Sniffed,
		Headers: headersNamed(page.resp.Headers, hdrXFO, hdrCSP, hdrCSPRO, hdrType, hdrDisposition, hdrNosniff)}
	return p.resp, nil
}

// shownURL is raw as a report shows a URL given: its password redacted,
// and, when it is too long to scan (see MaxURLBytes), only its start.
func shownURL(raw string) string {
	s := redact(raw)
	if len(raw) <= MaxURLBytes {
		return s
	}
	return runePrefix(s, 256) + "…"
}

// CheckURL reports why raw cannot be scanned, or nil: it must be an
// absolute http or https URL with a host (a Unicode host name is scanned in
// the ASCII form browsers give it, and must have one), and a port from 1 to
// 65535 if any, of at most MaxURLBytes. Run reports such a URL through Result.Error; a command
// line can call CheckURL first to treat it as a usage error.
func CheckURL(raw string) error {
	_, err := parseTarget(raw)
	return err
}

// parseTarget checks that raw is an absolute http or https URL. Its
// errors show raw as given, its password redacted (see shownURL).
func parseTarget(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("invalid URL %q: empty", raw)
	}
	shown := shownURL(raw)
	if len(raw) > MaxURLBytes {
		return nil, fmt.Errorf("invalid URL %q: longer than 2 MiB (%d bytes), the most Chromium takes in a URL", shown, MaxURLBytes)
	}
	lower := strings.ToLower(raw)
	if !strings.Contains(raw, "://") && !strings.HasPrefix(lower, "http:") && !strings.HasPrefix(lower, "https:") {
		switch colon := strings.IndexByte(raw, ':'); {
		case strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "?") || strings.HasPrefix(raw, "#"):
			return nil, fmt.Errorf("invalid URL %q: a relative URL; scheme must be http or https, with a host", shown)
		case colon > 0 && (colon == len(raw)-1 || raw[colon+1] < '0' || raw[colon+1] > '9'):
			// A scheme of its own: "javascript:…", "data:…", "mailto:…".
			return nil, fmt.Errorf("invalid URL %q: scheme must be http or https", shown)
		}
		// "example.com", "127.0.0.1:8080/ok" and "localhost:8080" are host
		// names without a scheme, whatever url.Parse makes of them.
		return nil, fmt.Errorf("invalid URL %q: no http:// or https:// scheme (did you mean %q?)", shown, shownURL("https://"+raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		err = errors.Unwrap(err)
		if esc, ok := errors.AsType[url.EscapeError](err); ok {
			if i, j, ok := passwordAt(raw); ok && strings.Contains(raw[i:j], string(esc)) {
				// The escape quoted is part of the password.
				err = errors.New("invalid URL escape in the password (write % as %25)")
			}
		}
		return nil, fmt.Errorf("invalid URL %q: %w", shown, err)
	}
	if !isHTTP(u) {
		return nil, fmt.Errorf("invalid URL %q: scheme must be http or https", shown)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("invalid URL %q: no host", shown)
	}
	// url.Parse takes any digits for a port; the dialer would refuse them
	// only once the scan runs.
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid URL %q: port %s is not between 1 and 65535", shown, p)
		}
	}
	// Origins are compared in their ASCII form, which a browser's address
	// bar gives a host name too, and its query is sent percent-encoded.
	if err := asBrowser(u); err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", shown, err)
	}
	return u, nil
}
