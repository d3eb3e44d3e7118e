package proof

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/chromium"
	"github.com/clickguard/clickguard/scan"
)

// ErrNoChromium is returned by [FindChromium] and [Start] when no Chromium
// is named and none is found on PATH.
var ErrNoChromium = errors.New("no Chromium found: looked for chromium, chromium-browser, google-chrome and google-chrome-stable on PATH")

// Names looked up on PATH, in order, when no Chromium is named.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// opaqueHost serves the "null" ancestors: the .invalid top-level domain is
// reserved, so its origin (the precursor of the opaque one) matches no
// source a site could name.
const opaqueHost = "opaque.invalid"

// pollInterval is how often Load looks at the frames while it waits.
const pollInterval = 50 * time.Millisecond

// Options configures [Start]. The zero value looks Chromium up on PATH,
// verifies certificates, sets no cookie and takes no screenshot.
type Options struct {
	// Chromium is the path (or name on PATH) of the Chromium or Chrome
	// executable. The default, empty, looks for chromium, chromium-browser,
	// google-chrome and google-chrome-stable on PATH.
	Chromium string

	// Insecure makes Chromium accept any TLS certificate
	// (--ignore-certificate-errors). The default is false.
	Insecure bool

	// Cookie is a Cookie header value ("name=value; name2=value2") stored
	// in Chromium's cookie jar for the origin of each URL given to Load
	// before it loads, and for no other origin (not where it redirects),
	// without a SameSite attribute (see the package documentation). The
	// default is none.
	Cookie string

	// ScreenshotDir, when not empty, makes [Browser.Prove] save a PNG of the
	// tab (the ancestors with the page inside) for each call into this
	// existing directory. The default is none.
	ScreenshotDir string
}

// Browser is a running Chromium. Its methods are safe for concurrent use;
// each Load runs in its own tab.
type Browser struct {
	opts    Options
	cookies []*http.Cookie
	version string
	prefix  string // "/__clickguard-proof-<token>/"
	profile string

	// bctx is the chromedp context of Chromium's first tab: not a
	// request's context but the handle through which chromedp opens tabs
	// in this browser, which is why it is kept. stop ends it and Chromium,
	// once, when Close is called or the context given to Start is done,
	// whichever comes first; unwatch forgets the latter.
	bctx    context.Context
	stop    func()
	unwatch func() bool
	loop    sync.WaitGroup

	mu    sync.Mutex
	next  int
	pages map[string]ancestor // by path
	// frames holds the frames of the chains being loaded (see steer): an
	// innermost one may navigate once (redirects included), an ancestor's
	// not at all; steer aborts any other navigation, so that the chain
	// keeps the documents it was built with.
	frames map[cdp.FrameID]*pageFrame
	// reached holds, by page URL, whether Chromium could load it outside
	// a frame (nil) or why not.
	reached map[string]error
	err     error // the Close error, once closed
	done    bool
}

// pageFrame is the state of one frame of a chain: the innermost one, or an
// ancestor's.
type pageFrame struct {
	// ancestor marks the frame of a synthetic ancestor: its only document
	// is the one answer serves, and any other navigation (the page busting
	// out of its frame by setting top.location) is aborted, so that the
	// chain stays as built.
	ancestor bool
	started  bool              // the frame's navigation to the page began
	request  network.RequestID // the network request of that navigation
	// download reports whether Chromium turned a navigation of the frame
	// into a download, which it refused (see Start).
	download bool
}

// ancestor is one synthetic document of a chain.
type ancestor struct {
	origin string // as the chain names it: "null" for an opaque origin
	url    string
	body   []byte
}

// Frame is what Chromium committed in the innermost frame of a chain.
type Frame struct {
	// Rendered reports whether the frame holds a document rather than
	// Chromium's error page.
	Rendered bool
	// URL is the URL of the committed document: chrome-error://chromewebdata/
	// when Chromium refused the page.
	URL string
	// Title is the document's title; Text the start of its visible text
	// (for the error page, Chromium's message).
	Title, Text string
	// Status is the HTTP status of the response whose document the frame
	// committed, after redirects, as Chromium reported it; 0 when it did
	// not say.
	Status int
	// Hidden reports that the document Chromium rendered shows nothing: its
	// root element or its body has display: none, or its body (or root) has
	// visibility: hidden and no element in it shows itself again, so
	// nothing of it can be seen or clicked in this frame. A page that hides itself unless it is
	// the top document (the defence against framing written in script, for
	// browsers without the headers) reads so in a frame. It is no verdict:
	// a page that its script hid shows itself in a frame whose sandbox
	// stops scripts; only one that its styles hide, and its script shows
	// when it is the top document, stays hidden there.
	Hidden bool
	// MixedContent, when not empty, is the URL whose request in the frame
	// Chromium blocked as mixed content (an http URL in a frame of an https
	// page), before any response: the frame then holds nothing, and
	// Rendered is false.
	MixedContent string
	// NoDocument, when not empty, says why Chromium committed no document
	// of the page in the frame although the page answered, in words taken
	// from what Chromium reported: the response was a download ("Chromium
	// turned the navigation into a download"), or its status was 204, 205
	// or 304 ("the response had status 204, which commits no document"):
	// the frame then keeps its initial empty document and URL is empty; or
	// it was a download with an error status, which Chromium fails with
	// net::ERR_INVALID_RESPONSE, or had status 407 or 101, which Chromium
	// fails with net::ERR_UNEXPECTED_PROXY_AUTH and
	// net::ERR_INVALID_HTTP_RESPONSE, or the URL is on a bad port,
	// which Chromium does not fetch (net::ERR_UNSAFE_PORT): the frame then holds
	// Chromium's error page, whose URL and Text are given. Either way
	// Rendered is false, whatever the page's framing headers say.
	NoDocument string
	// Ancestors are the origins of the ancestor documents as Chromium
	// reported them (self.origin), parent first; they are those of the
	// chain, or Load returns an error.
	Ancestors []string
	// Screenshot is a PNG of the tab, when asked for.
	Screenshot []byte
}

// What says in words what the frame holds.
func (f Frame) What() string {
	if f.MixedContent != "" {
		return fmt.Sprintf("nothing: Chromium blocked the frame's request for %s as mixed content", f.MixedContent)
	}
	if f.NoDocument != "" {
		return "nothing of the page: " + f.NoDocument
	}
	if !f.Rendered {
		return fmt.Sprintf("Chromium's error page (%s): %q", f.URL, f.Text)
	}
	if f.Hidden {
		return fmt.Sprintf("document %s titled %q, hidden: its root element or body has display: none or visibility: hidden, so nothing of it can be seen or clicked in this frame (if its script hid it, a frame sandboxed without scripts shows it)", f.URL, f.Title)
	}
	return fmt.Sprintf("document %s titled %q", f.URL, f.Title)
}

// FindChromium returns the path of the Chromium to run: name (a path, or a
// name looked up on PATH) when not empty, else the first of chromium,
// chromium-browser, google-chrome and google-chrome-stable found on PATH, or
// [ErrNoChromium].
func FindChromium(name string) (string, error) {
	if name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("chromium %q: %w", name, err)
		}
		return p, nil
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Start launches headless Chromium with a fresh profile in a temporary
// directory. The browser runs until Close, or until ctx is done, and is then
// closed cleanly (killed if it takes over five seconds); only Close removes
// the profile, so call it in either case. Start
// returns an error when no Chromium is found, when it does not start, or
// when the cookie does not parse. A goroutine answers the ancestor requests
// until Close.
func Start(ctx context.Context, opts Options) (*Browser, error) {
	path, err := FindChromium(opts.Chromium)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	b := &Browser{opts: opts, pages: map[string]ancestor{}, frames: map[cdp.FrameID]*pageFrame{}, reached: map[string]error{}}
	if opts.Cookie != "" {
		if b.cookies, err = http.ParseCookie(opts.Cookie); err != nil {
			return nil, fmt.Errorf("proof: cookie: %w", err)
		}
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:]) // crypto/rand.Read never fails (Go 1.24+)
	b.prefix = "/__clickguard-proof-" + hex.EncodeToString(tok[:]) + "/"
	if b.profile, err = os.MkdirTemp("", "clickguard-proof-"); err != nil {
		return nil, fmt.Errorf("proof: profile: %w", err)
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(b.profile),
		chromedp.WindowSize(1024, 768),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("metrics-recording-only", true),
		// Chromium reloads a tab's error page a second after it commits
		// (then after 5 s, 30 s, ...). The check that a page loads outside
		// a frame would then read the reload: a redirect chain's last URL,
		// which may load where the chain failed, or an error page that
		// never shows its text.
		chromedp.Flag("disable-auto-reload", true),
		chromedp.Flag("lang", "en-US"),
		// Judge loopback and private pages by their headers alone, and keep
		// http ancestors http (see the package documentation).
		chromedp.Flag("disable-features", "LocalNetworkAccessChecks,HttpsUpgrades,Translate"),
		// Bind cookies to the origin that set them (scheme and port too), so
		// that Options.Cookie reaches no other origin of the page's host.
		chromedp.Flag("enable-features", "EnablePortBoundCookies,EnableSchemeBoundCookies"),
	}
	if opts.Insecure {
		flags = append(flags, chromedp.Flag("ignore-certificate-errors", true))
	}
	// What Chromium prints first, to say why it did not start when chromedp
	// loses the race between the end of the pipe and the process's output,
	// and reports a lost connection instead.
	output := &startOutput{}
	flags = append(flags, chromedp.CombinedOutput(output))
	flags = append(flags, chromium.SharedMemory()...)
	if err := ctx.Err(); err != nil {
		chromium.RemoveProfile(b.profile)
		return nil, fmt.Errorf("proof: start Chromium: %w", err)
	}
	// The browser does not end with ctx by itself, which would kill it:
	// stop closes it cleanly, when ctx is done (below) or on Close.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), flags...)
	// chromedp writes its own errors (such as a write to the pipe of a
	// browser that has gone) to the standard logger, in the middle of the
	// caller's output; what matters reaches the caller as an error of Start
	// or Prove.
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	b.bctx = bctx
	b.stop = sync.OnceFunc(func() {
		// A clean shutdown first, so that Chromium removes what it keeps
		// outside the profile (its singleton socket, in a directory of
		// TMPDIR); a browser that does not stop within five seconds is
		// killed.
		chromium.Close(bctx)
		cancelBrowser()
		cancelAlloc()
	})
	b.unwatch = context.AfterFunc(ctx, b.stop)
	fail := func(what string, err error) (*Browser, error) {
		b.unwatch()
		b.stop()
		chromium.RemoveProfile(b.profile)
		return nil, fmt.Errorf("proof: %s %s: %w", what, path, err)
	}
	if err := chromedp.Do(bctx); err != nil {
		if strings.Contains(err.Error(), "lost the connection to the browser") && ctx.Err() == nil {
			// The pipe ended before chromedp read the output of a
			// process that exited. Stopping waits for the process and
			// its output.
			b.stop()
			err = fmt.Errorf("chrome failed to start: %s", output.String())
		}
		return fail("start Chromium", oneLine{err})
	}
	v, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return fail("version of", err)
	}
	b.version = "Chromium"
	if _, n, ok := strings.Cut(v.Product, "/"); ok {
		b.version += " " + n
	}
	// A site must not write files on the machine that scans it: a page
	// answered with Content-Disposition: attachment, or a script's
	// download, would otherwise land in the user's Downloads directory.
	// The behaviour is that of the default browser context, the one every
	// tab of Load opens in. Its events say which frame a download came
	// from: such a frame commits no document (see noteDownload).
	// What Chromium writes while it refuses a download stays in the
	// profile.
	downloads := chromedp.BrowserEvents(bctx, browser.DownloadWillBegin)
	dir := filepath.Join(b.profile, "Downloads")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fail("make the downloads directory of", err)
	}
	if _, err := chromedp.CallBrowser(bctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny, DownloadPath: dir, EventsEnabled: new(true),
	}); err != nil {
		return fail("deny downloads in", err)
	}
	// Subscribe before enabling, so that no request is paused unseen.
	paused := chromedp.BrowserEvents(bctx, fetch.RequestPaused)
	auths := chromedp.BrowserEvents(bctx, fetch.AuthRequired)
	// The ancestors' requests are answered by answer; every other
	// document request is paused too, so that answer can keep the
	// innermost frame on the page's document (see steer). A request for
	// HTTP credentials is paused and answered by refuseCredentials.
	_, err = chromedp.CallBrowser(bctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*" + b.prefix + "*", RequestStage: fetch.RequestStageRequest},
		{URLPattern: "*", ResourceType: network.ResourceTypeDocument, RequestStage: fetch.RequestStageRequest},
	}, HandleAuthRequests: new(true)})
	if err != nil {
		return fail("intercept requests in", err)
	}
	b.loop.Go(func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			b.answer(ev)
		}
	})
	b.loop.Go(func() {
		for ev, err := range auths {
			if err != nil {
				return
			}
			b.refuseCredentials(ev)
		}
	})
	b.loop.Go(func() {
		for ev, err := range downloads {
			if err != nil {
				return
			}
			b.noteDownload(ev)
		}
	})
	return b, nil
}

// Version names the browser, such as "Chromium 156.0.8078.114".
func (b *Browser) Version() string { return b.version }

// Close stops Chromium, closing its tabs, and removes its profile. It
// waits for calls in flight to end, which their contexts bound.
func (b *Browser) Close() error {
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return b.err
	}
	b.done = true
	b.mu.Unlock()
	b.unwatch()
	b.stop()
	b.loop.Wait()
	var err error
	if e := chromium.RemoveProfile(b.profile); e != nil {
		err = fmt.Errorf("proof: remove profile: %w", e)
	}
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
	return err
}

// answer fulfils one intercepted request with its ancestor document, or
// fails it when it names none (a stale or forged URL); any other document
// request goes to steer.
func (b *Browser) answer(ev fetch.EventRequestPaused) {
	if !strings.Contains(ev.Request.URL, b.prefix) {
		b.steer(ev)
		return
	}
	var a ancestor
	ok := false
	if u, err := url.Parse(ev.Request.URL); err == nil {
		b.mu.Lock()
		a, ok = b.pages[u.Path]
		b.mu.Unlock()
	}
	if !ok {
		// The tab is closing or the URL is not ours: errors are moot.
		_, _ = chromedp.CallBrowser(b.bctx, fetch.FailRequest, fetch.FailRequestParams{
			RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient,
		})
		return
	}
	headers := []*fetch.HeaderEntry{
		{Name: "Content-Type", Value: "text/html; charset=utf-8"},
		{Name: "Cache-Control", Value: "no-store"},
	}
	if a.origin == "null" {
		headers = append(headers, &fetch.HeaderEntry{Name: "Content-Security-Policy", Value: "sandbox allow-scripts"})
	}
	_, _ = chromedp.CallBrowser(b.bctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID: ev.RequestID, ResponseCode: http.StatusOK, ResponseHeaders: headers, Body: a.body,
	})
}

// steer lets a document request go on, except a new navigation of the
// innermost frame of a chain after its first one: a page that navigates
// itself (by script, a meta refresh, a link the page follows) would replace
// the document committed for the page's URL, which is the one to judge. The
// navigation is aborted, which commits nothing: the frame keeps the page.
// The redirects of the first navigation go on, as Chromium follows them.
// An ancestor's frame may not navigate at all (its synthetic document is
// answered, not steered): a page busting out of its frame by setting
// top.location is aborted too.
func (b *Browser) steer(ev fetch.EventRequestPaused) {
	abort := false
	b.mu.Lock()
	if pf, ok := b.frames[ev.FrameID]; ok {
		switch {
		case pf.ancestor:
			abort = true
		case !pf.started:
			pf.started, pf.request = true, ev.NetworkID
		case ev.RedirectedRequestID == "" && ev.NetworkID != pf.request:
			abort = true
		}
	}
	b.mu.Unlock()
	// The tab may be closing: errors are moot.
	if abort {
		_, _ = chromedp.CallBrowser(b.bctx, fetch.FailRequest, fetch.FailRequestParams{
			RequestID: ev.RequestID, ErrorReason: network.ErrorReasonAborted,
		})
		return
	}
	_, _ = chromedp.CallBrowser(b.bctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
}

// refuseCredentials answers a request for HTTP credentials (a 401 with
// WWW-Authenticate) as a visitor who cancels the browser's prompt: Chromium
// then commits the response that asked, which the frame shows. Left
// unanswered, headless Chromium waits for credentials that never come, and
// the page would have no verdict before the deadline.
func (b *Browser) refuseCredentials(ev fetch.EventAuthRequired) {
	// The tab may be closing: errors are moot.
	_, _ = chromedp.CallBrowser(b.bctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{
		RequestID:             ev.RequestID,
		AuthChallengeResponse: &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseCancelAuth},
	})
}

// noteDownload records that Chromium turned a navigation of a frame into
// a download, when the frame is the innermost one of a chain: the frame
// then commits no document. Downloads are refused (see Start), so nothing
// is written; the event still names the frame.
func (b *Browser) noteDownload(ev browser.EventDownloadWillBegin) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if pf, ok := b.frames[ev.FrameID]; ok && !pf.ancestor {
		pf.download = true
	}
}

// downloaded reports whether Chromium turned a navigation of frame id, the
// innermost one of a chain, into a download.
func (b *Browser) downloaded(id cdp.FrameID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	pf, ok := b.frames[id]
	return ok && pf.download
}

// watch registers id as a frame of a chain, an ancestor's or the innermost
// one (see steer), and returns a func that forgets it.
func (b *Browser) watch(id cdp.FrameID, ancestor bool) func() {
	b.mu.Lock()
	b.frames[id] = &pageFrame{ancestor: ancestor}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.frames, id)
		b.mu.Unlock()
	}
}

// register builds the ancestor documents of one Load, top last, and
// returns them with a func that forgets them.
func (b *Browser) register(page *url.URL, ancestors []string) ([]ancestor, func(), error) {
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return nil, nil, errors.New("proof: browser closed")
	}
	b.next++
	id := b.next
	b.mu.Unlock()

	levels := make([]ancestor, len(ancestors))
	for i, o := range ancestors {
		base := o
		if o == "null" {
			base = page.Scheme + "://" + opaqueHost
		} else {
			parsed, err := framing.ParseOrigin(o)
			if err != nil || parsed.Opaque {
				return nil, nil, fmt.Errorf("proof: ancestor %q: not an origin", o)
			}
			base = parsed.String()
		}
		levels[i] = ancestor{origin: o, url: base + b.prefix + strconv.Itoa(id) + "/" + strconv.Itoa(i)}
	}
	for i := range levels {
		// The innermost frame starts empty: walk navigates it to the page
		// once it watches the frame (see steer).
		inner := ""
		if i > 0 {
			inner = levels[i-1].url
		}
		levels[i].body = ancestorDocument(levels[i].origin, inner)
	}
	b.mu.Lock()
	for _, a := range levels {
		b.pages[pathOf(a.url)] = a
	}
	b.mu.Unlock()
	return levels, func() {
		b.mu.Lock()
		for _, a := range levels {
			delete(b.pages, pathOf(a.url))
		}
		b.mu.Unlock()
	}, nil
}

func pathOf(raw string) string {
	u, _ := url.Parse(raw) // built by register from a parsed origin
	return u.Path
}

// ancestorDocument is the synthetic document of one ancestor: its origin
// as a caption (for screenshots) and one frame filling the rest, of inner,
// or empty when inner is "".
func ancestorDocument(origin, inner string) []byte {
	src := ""
	if inner != "" {
		src = ` src="` + html.EscapeString(inner) + `"`
	}
	return []byte(`<!doctype html><html><head><meta charset="utf-8"><title>clickguard proof: ` + html.EscapeString(origin) + `</title>
<style>html,body{margin:0;height:100%;font:12px sans-serif;background:#fde8e8}p{margin:0;padding:2px 6px;color:#7a1212}iframe{display:block;box-sizing:border-box;width:100%;height:calc(100% - 20px);border:2px solid #c22;background:#fff}</style>
</head><body><p>ancestor ` + html.EscapeString(origin) + `</p><iframe` + src + `></iframe></body></html>`)
}

// Load opens a tab, builds the chain of ancestors (parent first, top last,
// "null" for an opaque origin) around pageURL, an absolute http or https
// URL, and returns what Chromium committed in the innermost frame: the
// first document committed for pageURL, after its redirects. ctx
// bounds the whole call and should carry a deadline: Load waits for the
// frames until it is done. The tab is closed before Load returns.
//
// Load returns at once, with [Frame.MixedContent] or [Frame.NoDocument]
// set, when Chromium reports that the frame commits nothing of the page:
// its request was blocked as mixed content or not made (a bad port), or
// the response is a download or has status 204, 205, 304, 101 or 407, or it
// redirected to a URL of another scheme than http and https. Load
// returns an error, and no verdict, when the
// chain cannot be built as named, when the frame holds an error page that
// is not a framing refusal (such as a download with an error status), or
// when the frame commits nothing before ctx is done and Chromium has not
// said why.
func (b *Browser) Load(ctx context.Context, pageURL string, ancestors []string) (Frame, error) {
	return b.load(ctx, pageURL, ancestors, true)
}

// load is Load, storing [Options.Cookie] for pageURL's origin only when
// cookie is true.
func (b *Browser) load(ctx context.Context, pageURL string, ancestors []string, cookie bool) (Frame, error) {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Frame{}, fmt.Errorf("proof: %q is not an absolute http or https URL", pageURL)
	}
	if len(ancestors) == 0 {
		return Frame{}, errors.New("proof: empty chain of ancestors")
	}
	levels, forget, err := b.register(u, ancestors)
	if err != nil {
		return Frame{}, err
	}
	defer forget()
	if cookie {
		if err := b.setCookies(ctx, u); err != nil {
			return Frame{}, err
		}
	}

	var tab context.Context
	// The walker exists before the tab, whose events it reads.
	w := &walker{b: b, attached: map[target.ID]context.Context{}, mixed: map[cdp.FrameID]string{}}
	tab, closeTab := chromedp.NewContext(b.bctx, chromedp.WithListener(dismissDialogs(&tab)),
		chromedp.WithListener(w.noteMixedContent), chromedp.WithListener(w.noteNavigation))
	defer closeTab()
	// The tab's context descends from the browser's; end it with ctx.
	defer context.AfterFunc(ctx, closeTab)()
	if err := clearServiceWorkers(tab, u); err != nil {
		return Frame{}, err
	}
	w.tab = tab
	defer w.close()
	f, err := w.walk(levels, u.String())
	if err != nil {
		if ctx.Err() != nil {
			return Frame{}, fmt.Errorf("proof: %s: no verdict before the deadline (%s): %w", pageURL, w.state, ctx.Err())
		}
		return Frame{}, fmt.Errorf("proof: %s: %w", pageURL, err)
	}
	if b.opts.ScreenshotDir != "" {
		// Best effort: the verdict stands without the picture.
		if png, err := chromedp.Run(tab, chromedp.CaptureScreenshot()); err == nil {
			f.Screenshot = png
		}
	}
	// Chromium said why the frame holds nothing: no refusal to tell from a
	// network error.
	if !f.Rendered && f.MixedContent == "" && f.NoDocument == "" {
		failed := w.failure() // before reachable follows the top frame
		if err := b.reachable(w, u.String()); err != nil {
			if ctx.Err() != nil {
				return Frame{}, fmt.Errorf("proof: %s: no verdict before the deadline (%s): %w", pageURL, w.state, ctx.Err())
			}
			return Frame{}, fmt.Errorf("proof: %s: %w", pageURL, err)
		}
		// Chromium names its framing refusal: another error is not one,
		// even where the page loads outside a frame (a redirect loop of a
		// cookie that a frame of another site does not get).
		if failed != "" && failed != "net::ERR_BLOCKED_BY_RESPONSE" {
			return Frame{}, fmt.Errorf("proof: %s: chromium failed the page in its frame with %s, which is no framing refusal (net::ERR_BLOCKED_BY_RESPONSE), and loads it outside a frame", pageURL, failed)
		}
	}
	return f, nil
}

// dismissDialogs returns a listener for the events of the tab *tab that
// dismisses every JavaScript dialog (alert, confirm, prompt) as it opens,
// whichever frame of the tab opened it. With the DevTools Page domain on,
// an open dialog stalls the page until a client answers it, and with it
// every read of the frame: a page that calls alert() would have no verdict
// before the deadline.
func dismissDialogs(tab *context.Context) func(ev any) {
	return func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			// A listener may not send commands itself. The tab may be
			// closing: errors are moot.
			go func() { _, _ = chromedp.Call(*tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{}) }()
		}
	}
}

// reachable checks, once per page for the Browser's life, that Chromium
// can load pageURL outside a frame, in w's tab: Chromium's error page in a
// frame reads the same for a framing refusal and for a refused connection,
// so "blocked" needs the page to load where no framing rule applies.
func (b *Browser) reachable(w *walker, pageURL string) error {
	b.mu.Lock()
	err, ok := b.reached[pageURL]
	b.mu.Unlock()
	if ok {
		return err
	}
	w.state = "loading " + pageURL + " outside a frame, to tell a refusal from a network error"
	ft, err := chromedp.Call(w.tab, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("frame tree: %w", err)
	}
	top := ft.FrameTree.Frame
	w.follow(top.ID) // for Chromium's error code, which its page may cut
	if _, err := chromedp.Call(w.tab, page.Navigate, page.NavigateParams{URL: pageURL}); err != nil {
		return fmt.Errorf("navigate to %s: %w", pageURL, err)
	}
	w.hosts = []context.Context{w.tab}
	_, d, err := w.waitDocument(top.ID, func(d document) bool { return d.URL != top.URL })
	if err != nil {
		return err
	}
	if d = w.settle(top.ID, d); d.isErrorPage() {
		why := strconv.Quote(d.Text)
		if code := w.failure(); code != "" {
			why = code + ": " + why
		}
		err = fmt.Errorf("chromium cannot load the page even outside a frame: %s", why)
	}
	b.mu.Lock()
	b.reached[pageURL] = err
	b.mu.Unlock()
	return err
}

// setCookies stores the cookie for u's origin, as a Set-Cookie without
// attributes from u would: host-only, and bound to u's scheme and port
// (Start turns origin-bound cookies on), so that it reaches no other origin,
// not even another port of the host.
func (b *Browser) setCookies(ctx context.Context, u *url.URL) error {
	if len(b.cookies) == 0 {
		return nil
	}
	scheme, port := network.CookieSourceSchemeNonSecure, 80
	if u.Scheme == "https" {
		scheme, port = network.CookieSourceSchemeSecure, 443
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	}
	params := storage.SetCookiesParams{}
	for _, c := range b.cookies {
		src := scheme
		if securePrefix(c.Name) {
			src = network.CookieSourceSchemeSecure
		}
		params.Cookies = append(params.Cookies, &network.CookieParam{
			Name: c.Name, Value: c.Value, URL: u.Scheme + "://" + u.Host + "/",
			SourceScheme: src, SourcePort: int64(port),
			// A __Host- or __Secure- cookie is stored only with Secure
			// (and __Host- only host-only, with the path /, as the URL
			// gives): a site sets its session cookie so. Chromium takes a
			// Secure cookie from https, and from http on the local machine.
			Secure: u.Scheme == "https" || securePrefix(c.Name),
		})
	}
	cctx, cancel := context.WithCancel(b.bctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	if _, err := chromedp.CallBrowser(cctx, storage.SetCookies, params); err != nil {
		for _, c := range b.cookies {
			if securePrefix(c.Name) && u.Scheme != "https" {
				return fmt.Errorf("proof: set cookie for %s: %w (a cookie named %s… needs an https URL, or http on the local machine)", u.Host, err, c.Name[:strings.IndexByte(c.Name, '-')+1])
			}
		}
		return fmt.Errorf("proof: set cookie for %s: %w", u.Host, err)
	}
	return nil
}

// securePrefix reports whether a cookie name has a prefix that requires the
// Secure attribute: __Secure- or __Host-, in any case, as Chromium matches
// them.
func securePrefix(name string) bool {
	for _, p := range []string{"__Secure-", "__Host-"} {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	return false
}

// clearServiceWorkers unregisters, from tab, the service workers of u's
// origin: one that the site registered in an earlier proof would answer
// this proof's navigations to that origin itself, the synthetic ancestors
// of the page's own origin included, and the frame would never be found.
func clearServiceWorkers(tab context.Context, u *url.URL) error {
	origin := u.Scheme + "://" + u.Host
	if _, err := chromedp.Call(tab, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{Origin: origin, StorageTypes: "service_workers"}); err != nil {
		return fmt.Errorf("proof: clear the service workers of %s: %w", origin, err)
	}
	return nil
}

// Prove implements [scan.Prover]: it loads url inside ancestors, storing
// the cookie for url's origin only when cookie is true, and, when
// [Options.ScreenshotDir] is set, saves the screenshot there.
func (b *Browser) Prove(ctx context.Context, url string, ancestors []string, cookie bool) (scan.BrowserVerdict, error) {
	bv := scan.BrowserVerdict{Browser: b.version}
	f, err := b.load(ctx, url, ancestors, cookie)
	if err != nil {
		return bv, err
	}
	bv.Rendered, bv.Hidden, bv.Status, bv.What = f.Rendered, f.Hidden, f.Status, f.What()
	if f.Screenshot != nil {
		path := filepath.Join(b.opts.ScreenshotDir, screenshotName(url, ancestors))
		if err := os.WriteFile(path, f.Screenshot, 0o644); err != nil {
			return bv, fmt.Errorf("proof: save screenshot: %w", err)
		}
		bv.Screenshot = path
	}
	return bv, nil
}

// screenshotName names the PNG of a page in a chain: readable, safe in a
// file name, and unique through a hash of the exact URL and chain.
func screenshotName(pageURL string, ancestors []string) string {
	sum := sha256.Sum256([]byte(pageURL + "\n" + strings.Join(ancestors, "\n")))
	name := safeName(strings.TrimPrefix(strings.TrimPrefix(pageURL, "https://"), "http://"))
	for _, a := range ancestors {
		name += "--in--" + safeName(a)
	}
	if len(name) > 160 {
		name = name[:160]
	}
	return name + "-" + hex.EncodeToString(sum[:4]) + ".png"
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://"))
}

// frameRef is a frame found in the tab: the context of the target (the
// tab, or an out-of-process iframe attached to) whose frame tree holds it.
type frameRef struct {
	host context.Context
	node *page.FrameTree
}

// walker finds the frames of one chain in one tab.
type walker struct {
	b        *Browser
	tab      context.Context
	attached map[target.ID]context.Context
	hosts    []context.Context // where frames were found, newest first
	state    string            // what the walk waits for, for errors
	detach   []context.CancelFunc
	unwatch  func() // forgets the innermost frame, once watched

	mu    sync.Mutex
	mixed map[cdp.FrameID]string // frames whose request Chromium blocked as mixed content, and the URL
	// nav is what Chromium reported of the innermost frame's navigation to
	// the page (see noteNavigation).
	nav navigation
}

// navigation is what Chromium reported, through the Network domain, of the
// navigation of the innermost frame of a chain to the page.
type navigation struct {
	frame   cdp.FrameID       // the innermost frame, once found
	request network.RequestID // its navigation's request, once sent
	url     string            // the URL it last requested, after redirects
	// status is the status of the final response (Network.responseReceived,
	// which Chromium sends for a response it reads as a document, not for
	// a redirect); raw that of the last response since url was requested,
	// redirects included (Network.responseReceivedExtraInfo, also sent for
	// a 304).
	status, raw int64
	failed      string // the net error that ended the request, if any
}

// noteMixedContent records, from the DevTools issues of the tab and the
// targets attached to it, the frames whose navigation Chromium blocked as
// mixed content: such a frame commits nothing. It runs on chromedp's
// goroutines.
func (w *walker) noteMixedContent(ev any) {
	e, ok := ev.(*audits.EventIssueAdded)
	if !ok || e.Issue == nil || e.Issue.Details == nil {
		return
	}
	d := e.Issue.Details.MixedContentIssueDetails
	if d == nil || d.ResolutionStatus != audits.MixedContentResolutionStatusMixedContentBlocked ||
		d.ResourceType != audits.MixedContentResourceTypeFrame || d.Frame == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.mixed[d.Frame.FrameID]; !ok {
		w.mixed[d.Frame.FrameID] = d.InsecureURL
	}
}

// noteNavigation records, from the Network events of the tab and the
// targets attached to it, what Chromium reports of the innermost frame's
// navigation to the page: its request, the status of its response and how
// the request failed. Chromium reports a frame's navigation to the target
// whose frame tree held the frame when it began: the frame starts empty,
// in its parent's process, so the target of its parent (the tab, or an
// ancestor's out-of-process iframe, which locate attached to). It runs on
// chromedp's goroutines.
func (w *walker) noteNavigation(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := &w.nav
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		// The first document request of the frame: steer aborts any later
		// one before it is sent, and a redirect keeps the request's ID.
		if n.frame != "" && e.FrameID == n.frame && e.Type == network.ResourceTypeDocument && n.request == "" {
			n.request = e.RequestID
		}
		if n.request != "" && e.RequestID == n.request && e.Request != nil {
			n.url, n.raw = e.Request.URL, 0
		}
	case *network.EventResponseReceived:
		if n.request != "" && e.RequestID == n.request && e.Response != nil {
			n.status = e.Response.Status
		}
	case *network.EventResponseReceivedExtraInfo:
		if n.request != "" && e.RequestID == n.request {
			n.raw = e.StatusCode
		}
	case *network.EventLoadingFailed:
		if n.request != "" && e.RequestID == n.request {
			n.failed = e.ErrorText
		}
	}
}

// follow makes noteNavigation watch frame id, the innermost one, before
// it navigates.
func (w *walker) follow(id cdp.FrameID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nav = navigation{frame: id}
}

// noDocument says why, as Chromium reported it, frame id commits no
// document, or returns "" when Chromium has not said so: the navigation
// became a download, or its request ended on a response with status 204,
// 205 or 304, which Chromium never commits.
func (w *walker) noDocument(id cdp.FrameID) string {
	if w.b.downloaded(id) {
		return "Chromium turned the navigation into a download"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.nav
	if n.frame != id || n.failed == "" {
		return ""
	}
	status := n.status
	if status == 0 {
		status = n.raw // no Network.responseReceived for a 304
	}
	switch status {
	case http.StatusNoContent, http.StatusResetContent, http.StatusNotModified:
		return fmt.Sprintf("the response had status %d, which commits no document", status)
	}
	// A redirect Chromium did not follow, to a URL of another scheme than
	// http and https (a javascript: one is never requested; a mailto: or
	// an application's own is handed to the system): it ends the
	// navigation, and the frame keeps its document.
	scheme, _, _ := strings.Cut(n.url, ":")
	web := scheme == "http" || scheme == "https"
	if n.failed == "net::ERR_ABORTED" && n.status == 0 && (n.raw >= 300 && n.raw <= 399 || !web) {
		to := ""
		if !web {
			to = " to a " + scheme + ": URL"
		}
		return fmt.Sprintf("Chromium did not follow the page's redirect%s: it ended the navigation (net::ERR_ABORTED) and committed nothing", to)
	}
	return ""
}

// failedResponse says how Chromium failed the innermost frame's navigation
// after a final response, for another reason than a framing rule (whose
// refusal is net::ERR_BLOCKED_BY_RESPONSE), or returns "". download reports
// whether the failure is that of a download with a status outside 2xx,
// which Chromium does not make: it fails the navigation with
// net::ERR_INVALID_RESPONSE and shows its error page instead.
func (w *walker) failedResponse() (why string, download bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.nav
	if n.status == 0 || n.failed == "" || n.failed == "net::ERR_BLOCKED_BY_RESPONSE" {
		return "", false
	}
	why = fmt.Sprintf("Chromium failed the navigation with %s after a response with status %d", n.failed, n.status)
	return why, n.failed == "net::ERR_INVALID_RESPONSE" && (n.status < 200 || n.status > 299)
}

// responseStatus returns the status of the final response of the
// navigation followed, or 0 when Chromium reported none.
func (w *walker) responseStatus() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int(w.nav.status)
}

// failure returns the error, such as net::ERR_CONNECTION_REFUSED, with
// which Chromium failed the request of the navigation followed, or "".
func (w *walker) failure() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nav.failed
}

// noDocumentError says why Chromium committed no document in a frame.
type noDocumentError struct{ why string }

func (e *noDocumentError) Error() string {
	return "chromium committed no document in the frame: " + e.why
}

// blockedAsMixed returns the URL Chromium blocked as mixed content in frame
// id, or "".
func (w *walker) blockedAsMixed(id cdp.FrameID) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mixed[id]
}

// mixedContentError says that Chromium blocked a frame's request as mixed
// content.
type mixedContentError struct{ url string }

func (e *mixedContentError) Error() string {
	return fmt.Sprintf("Chromium blocked the frame's request for %s as mixed content", e.url)
}

// close detaches from the iframe targets; the frames stay until the tab
// closes.
func (w *walker) close() {
	for _, d := range w.detach {
		d()
	}
	if w.unwatch != nil {
		w.unwatch()
	}
}

// document is what a frame holds, read from an isolated world.
type document struct {
	URL    string `json:"url"`
	Title  string `json:"title"`
	Origin string `json:"origin"`
	Ready  string `json:"ready"`
	Text   string `json:"text"`
	Hidden bool   `json:"hidden"`
}

func (d document) isErrorPage() bool { return strings.HasPrefix(d.URL, "chrome-error://") }

// settled reports whether d holds what Load reports of it: a page its title,
// parsed once it is no longer loading; Chromium's error page its message,
// which its script writes after the commit.
func (d document) settled() bool {
	if d.isErrorPage() {
		return d.Text != "" || d.Ready == "complete"
	}
	return d.Ready != "loading"
}

// committed reports whether the frame holds more than its initial empty
// document.
func (d document) committed() bool { return d.URL != "" && d.URL != "about:blank" }

const readDocument = `JSON.stringify({
	url: document.URL,
	title: document.title.replace(/\s+/g, " ").trim().slice(0, 160),
	origin: self.origin,
	ready: document.readyState,
	text: (document.body ? document.body.innerText : "").replace(/\s+/g, " ").trim().slice(0, 160),
	hidden: (() => {
		const root = document.documentElement, body = document.body;
		if ([root, body].some(e => e && getComputedStyle(e).display === "none")) return true;
		// visibility is inherited, but any element may show itself again.
		const top = body || root;
		if (!top || getComputedStyle(top).visibility === "visible") return false;
		const all = top.getElementsByTagName("*");
		if (all.length > 10000) return false;
		for (const e of all) if (getComputedStyle(e).visibility === "visible") return false;
		return true;
	})(),
})`

// walk navigates the tab to the top ancestor, follows the chain down and
// reads the innermost frame.
func (w *walker) walk(levels []ancestor, pageURL string) (Frame, error) {
	n := len(levels)
	w.state = "opening a tab"
	if err := chromedp.Do(w.tab); err != nil {
		return Frame{}, fmt.Errorf("open a tab: %w", err)
	}
	// The issues say when Chromium blocks a frame as mixed content, which
	// commits nothing in it.
	if _, err := chromedp.Call(w.tab, audits.Enable, cdp.Empty{}); err != nil {
		return Frame{}, fmt.Errorf("enable the issues: %w", err)
	}
	w.hosts = []context.Context{w.tab}
	ft, err := chromedp.Call(w.tab, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return Frame{}, fmt.Errorf("frame tree: %w", err)
	}
	id := ft.FrameTree.Frame.ID
	// The ancestors' frames are guarded until the verdict is read (the tab
	// may then load the page outside a frame).
	var forgetAncestors []func()
	defer func() {
		for _, f := range forgetAncestors {
			f()
		}
	}()
	forgetAncestors = append(forgetAncestors, w.b.watch(id, true))
	w.state = "loading the top ancestor " + levels[n-1].url
	nav, err := chromedp.Call(w.tab, page.Navigate, page.NavigateParams{URL: levels[n-1].url})
	if err != nil {
		return Frame{}, fmt.Errorf("navigate to %s: %w", levels[n-1].url, err)
	}
	if nav.ErrorText != "" {
		return Frame{}, fmt.Errorf("navigate to %s: %s", levels[n-1].url, nav.ErrorText)
	}
	var got []string
	for k := n - 1; k >= 0; k-- {
		a := levels[k]
		w.state = "waiting for the ancestor " + a.url
		f, d, err := w.waitDocument(id, anyDocument)
		if _, ok := errors.AsType[*mixedContentError](err); ok {
			return Frame{}, fmt.Errorf("the chain cannot be built: ancestor %s: %w", a.origin, err)
		}
		if err != nil {
			return Frame{}, err
		}
		if d.URL != a.url {
			return Frame{}, fmt.Errorf("the frame of ancestor %s holds %s, not %s", a.origin, d.URL, a.url)
		}
		if d.Origin != a.origin && !(a.origin != "null" && sameOrigin(d.Origin, a.origin)) {
			return Frame{}, fmt.Errorf("chromium gave ancestor %s the origin %s (an ancestor inside a sandboxed, \"null\", one is sandboxed too)", a.origin, d.Origin)
		}
		got = append([]string{d.Origin}, got...)
		w.state = "waiting for the frame inside " + a.url
		if id, err = w.waitChild(f); err != nil {
			return Frame{}, err
		}
		if k > 0 {
			forgetAncestors = append(forgetAncestors, w.b.watch(id, true))
		}
		if k == 0 {
			w.unwatch = w.b.watch(id, false)
			w.follow(id)
			w.state = "navigating the frame inside " + a.url + " to " + pageURL
			if err := navigateChild(f, pageURL); err != nil {
				return Frame{}, err
			}
		}
	}
	w.state = "waiting for " + pageURL + " to commit in its frame"
	_, d, err := w.waitDocument(id, anyDocument)
	if mixed, ok := errors.AsType[*mixedContentError](err); ok {
		return Frame{MixedContent: mixed.url, Ancestors: got}, nil
	}
	if nd, ok := errors.AsType[*noDocumentError](err); ok {
		return Frame{NoDocument: nd.why, Ancestors: got}, nil
	}
	if err != nil {
		return Frame{}, err
	}
	// A failure that Chromium gives the page wherever it loads it: nothing
	// of the page in the frame, as the framing model predicts.
	if why := unloadable[w.failure()]; d.isErrorPage() && why != "" {
		return Frame{NoDocument: fmt.Sprintf("Chromium %s (%s), and shows its error page", why, w.failure()),
			URL: d.URL, Text: d.Text, Ancestors: got}, nil
	}
	// Chromium's error page for a response it failed for another reason
	// than a framing rule: no need to load the page outside a frame to know
	// it. A download with an error status is a verdict, nothing of the page
	// in the frame, as the framing model predicts; any other such failure
	// is none.
	if why, download := w.failedResponse(); d.isErrorPage() && why != "" {
		if download {
			return Frame{NoDocument: why + ", a download with an error status, and shows its error page",
				URL: d.URL, Text: d.Text, Ancestors: got}, nil
		}
		return Frame{}, fmt.Errorf("chromium shows its error page in the frame, for no framing rule: %s", why)
	}
	d = w.settle(id, d)
	rendered := !d.isErrorPage()
	return Frame{Rendered: rendered, URL: d.URL, Title: d.Title, Text: d.Text, Hidden: rendered && d.Hidden,
		Status: w.responseStatus(), Ancestors: got}, nil
}

// unloadable says, for the errors with which Chromium fails a page's
// request in a frame or not, whatever its headers, what it did.
var unloadable = map[string]string{
	"net::ERR_UNSAFE_PORT":           "refused to fetch the page: its port is a bad port, from which browsers load nothing",
	"net::ERR_UNEXPECTED_PROXY_AUTH": "failed the page's response: its status, 407, is a proxy's challenge that no proxy sent",
	"net::ERR_INVALID_HTTP_RESPONSE": "failed the page's response as invalid HTTP (such as a status 101, Switching Protocols, that no navigation asks for)",
	"net::ERR_UNSAFE_REDIRECT":       "refused the page's redirect to a URL of another scheme than http and https",
	"net::ERR_UNKNOWN_URL_SCHEME":    "cannot load the URL the page redirected to as a page: its scheme is not http or https",
}

// settle gives document d of frame id a moment to hold what Load reports
// of it (see document.settled), and returns it as it then is: the verdict
// is already known. A page that never stops loading (one that streams)
// gets two seconds; Chromium's error page, which always ends loading,
// gets until the deadline, however slow a loaded machine is.
func (w *walker) settle(id cdp.FrameID, d document) document {
	for i := 0; !d.settled() && (d.isErrorPage() || i < 40); i++ {
		if !sleep(w.tab, pollInterval) {
			break
		}
		f, ok, err := w.locate(id)
		if err != nil || !ok {
			break
		}
		if d2, err := readFrame(f); err == nil && d2.URL == d.URL {
			d = d2
		}
	}
	if d.Hidden && !d.isErrorPage() {
		d.Hidden = w.staysHidden(id, d.URL)
	}
	return d
}

// staysHidden reports whether the document at url in frame id is still
// hidden once it has loaded and half a second later, as a page that hides
// itself in frames stays. A page that is hidden only until its styles or
// script are ready shows itself by then; one that is still loading after
// two seconds, or that cannot be read, does not count as hidden either. A
// page that shows itself later than that still reads hidden.
func (w *walker) staysHidden(id cdp.FrameID, url string) bool {
	loaded := 0 // polls since the document was seen complete
	for i := 0; i < 40; i++ {
		if !sleep(w.tab, pollInterval) {
			return false
		}
		f, ok, err := w.locate(id)
		if err != nil || !ok {
			return false
		}
		d, err := readFrame(f)
		if err != nil || d.URL != url || !d.Hidden {
			return false
		}
		if d.Ready == "complete" {
			if loaded++; loaded == 10 {
				return true
			}
		}
	}
	return false
}

func anyDocument(document) bool { return true }

// sameOrigin compares two serialised origins after normalising them.
func sameOrigin(a, b string) bool {
	oa, err1 := framing.ParseOrigin(a)
	ob, err2 := framing.ParseOrigin(b)
	return err1 == nil && err2 == nil && oa.String() == ob.String()
}

// waitDocument waits until frame id has committed a document for which
// done reports true, and returns the frame and the document. Errors while the frame moves between
// processes are retried until the tab's context ends.
func (w *walker) waitDocument(id cdp.FrameID, done func(document) bool) (frameRef, document, error) {
	var last error
	for {
		f, ok, err := w.locate(id)
		if err == nil && ok {
			d, rerr := readFrame(f)
			if rerr == nil && d.committed() && done(d) {
				return f, d, nil
			}
			err = rerr
		}
		if err != nil {
			last = err
		}
		if u := w.blockedAsMixed(id); u != "" {
			return frameRef{}, document{}, &mixedContentError{u}
		}
		if why := w.noDocument(id); why != "" {
			return frameRef{}, document{}, &noDocumentError{why}
		}
		if !sleep(w.tab, pollInterval) {
			if last != nil {
				w.state += " (last error: " + last.Error() + ")"
			}
			return frameRef{}, document{}, w.tab.Err()
		}
	}
}

// waitChild waits until frame f holds exactly one frame and returns its ID.
func (w *walker) waitChild(f frameRef) (cdp.FrameID, error) {
	for {
		kids, err := w.children(f)
		if err == nil {
			switch len(kids) {
			case 0:
			case 1:
				return kids[0], nil
			default:
				return "", fmt.Errorf("an ancestor holds %d frames, want 1", len(kids))
			}
		}
		if !sleep(w.tab, pollInterval) {
			return "", w.tab.Err()
		}
	}
}

// locate finds frame id in the frame trees of the hosts seen so far or,
// when another process renders it (a cross-site frame under site
// isolation, which stays on), attaches to its target, whose ID is the
// frame's ID. It reports false when the frame is nowhere yet.
func (w *walker) locate(id cdp.FrameID) (frameRef, bool, error) {
	for _, h := range w.hosts {
		ft, err := chromedp.Call(h, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			continue // a detached iframe target
		}
		if n := findFrame(ft.FrameTree, id); n != nil {
			return frameRef{host: h, node: n}, true, nil
		}
	}
	tid := target.ID(id)
	fctx, ok := w.attached[tid]
	if !ok {
		infos, err := chromedp.Targets(w.tab)
		if err != nil {
			return frameRef{}, false, fmt.Errorf("targets: %w", err)
		}
		found := false
		for _, info := range infos {
			found = found || info.TargetID == tid
		}
		if !found {
			return frameRef{}, false, nil
		}
		var detach context.CancelFunc
		fctx, detach = chromedp.NewContext(w.tab, chromedp.WithTargetID(tid), chromedp.WithDetachOnCancel(),
			chromedp.WithListener(w.noteMixedContent), chromedp.WithListener(w.noteNavigation))
		if _, err := chromedp.Call(fctx, audits.Enable, cdp.Empty{}); err != nil {
			// Not kept: the next look attaches afresh, issues and all.
			detach()
			return frameRef{}, false, fmt.Errorf("enable the issues of iframe target %s: %w", id, err)
		}
		w.detach = append(w.detach, detach)
		w.attached[tid] = fctx
		w.hosts = append([]context.Context{fctx}, w.hosts...)
	}
	ft, err := chromedp.Call(fctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return frameRef{}, false, fmt.Errorf("frame tree of iframe target %s: %w", id, err)
	}
	if n := findFrame(ft.FrameTree, id); n != nil {
		return frameRef{host: fctx, node: n}, true, nil
	}
	return frameRef{}, false, nil
}

// children returns the IDs of the frames directly inside f, wherever they
// are rendered, from a fresh frame tree.
func (w *walker) children(f frameRef) ([]cdp.FrameID, error) {
	ft, err := chromedp.Call(f.host, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, fmt.Errorf("frame tree: %w", err)
	}
	n := findFrame(ft.FrameTree, f.node.Frame.ID)
	if n == nil {
		return nil, fmt.Errorf("frame %s left its tree", f.node.Frame.ID)
	}
	var ids []cdp.FrameID
	for _, c := range n.ChildFrames {
		ids = append(ids, c.Frame.ID)
	}
	infos, err := chromedp.Targets(w.tab)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	for _, info := range infos {
		// A frame moving to another process is, for a moment, both in the
		// tree and a target of its own, under the same ID.
		if id := cdp.FrameID(info.TargetID); info.Type == "iframe" && info.ParentFrameID == n.Frame.ID && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func findFrame(ft *page.FrameTree, id cdp.FrameID) *page.FrameTree {
	if ft == nil || ft.Frame == nil {
		return nil
	}
	if ft.Frame.ID == id {
		return ft
	}
	for _, c := range ft.ChildFrames {
		if f := findFrame(c, id); f != nil {
			return f
		}
	}
	return nil
}

// navigateChild navigates the one frame inside f to pageURL, as a src
// attribute would: the navigation is f's document's. It runs in an
// isolated world, which the ancestor's sandbox, if any, does not bar.
func navigateChild(f frameRef, pageURL string) error {
	iw, err := chromedp.Call(f.host, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: f.node.Frame.ID, WorldName: "clickguard-proof",
	})
	if err != nil {
		return fmt.Errorf("isolated world in frame %s: %w", f.node.Frame.ID, err)
	}
	src, _ := json.Marshal(pageURL) // a string always marshals
	res, err := chromedp.Call(f.host, runtime.Evaluate, runtime.EvaluateParams{
		Expression: `document.querySelector("iframe").src = ` + string(src), ContextID: iw.ExecutionContextID,
	})
	if err != nil {
		return fmt.Errorf("navigate the frame in %s: %w", f.node.Frame.ID, err)
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("navigate the frame in %s: %s", f.node.Frame.ID, res.ExceptionDetails.Text)
	}
	return nil
}

// readFrame reads the document committed in f from a fresh isolated world,
// so that the page's own scripts cannot change what is read.
func readFrame(f frameRef) (document, error) {
	iw, err := chromedp.Call(f.host, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: f.node.Frame.ID, WorldName: "clickguard-proof",
	})
	if err != nil {
		return document{}, fmt.Errorf("isolated world in frame %s: %w", f.node.Frame.ID, err)
	}
	res, err := chromedp.Call(f.host, runtime.Evaluate, runtime.EvaluateParams{
		Expression: readDocument, ContextID: iw.ExecutionContextID, ReturnByValue: new(true),
	})
	if err != nil {
		return document{}, fmt.Errorf("read frame %s: %w", f.node.Frame.ID, err)
	}
	if res.ExceptionDetails != nil {
		return document{}, fmt.Errorf("read frame %s: %s", f.node.Frame.ID, res.ExceptionDetails.Text)
	}
	var s string
	if err := json.Unmarshal(res.Result.Value, &s); err != nil {
		return document{}, fmt.Errorf("decode frame %s: %w", f.node.Frame.ID, err)
	}
	var d document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return document{}, fmt.Errorf("decode frame %s: %w", f.node.Frame.ID, err)
	}
	return d, nil
}

// sleep waits d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// startOutput keeps the first KiB that Chromium prints, for Start's error;
// it takes and drops the rest.
type startOutput struct {
	mu  sync.Mutex
	buf []byte
}

func (o *startOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p[:min(len(p), 1024-len(o.buf))]...)
	return len(p), nil
}

func (o *startOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}

// oneLine is an error whose message is err's on one line: chromedp reports a
// Chromium that exits at once as "chrome failed to start:" and the lines
// Chromium printed, which may be none.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	msg := strings.Join(strings.Fields(e.err.Error()), " ")
	if strings.HasSuffix(msg, ":") {
		msg += " it printed nothing"
	}
	return msg
}

func (e oneLine) Unwrap() error { return e.err }
