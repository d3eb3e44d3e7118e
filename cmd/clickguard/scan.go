package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/clickguard/clickguard/scan"
	"github.com/clickguard/clickguard/scan/proof"
)

// Exit codes of scan, beside exitOK, exitFailure and exitUsage.
const (
	// exitUnreachable is scan's exit code when a URL could not be fetched,
	// or a verdict not proved with -browser.
	exitUnreachable = 3
	// exitInterrupted is scan's exit code when a signal stopped it before
	// every URL was reported: 128+SIGINT, as shells report Ctrl-C.
	exitInterrupted = 130
)

// maxCrawl bounds -crawl: the pages remembered per URL given grow with it.
const maxCrawl = 100000

// scanLong is the description "clickguard help scan" prints before the flags.
const scanLong = `Scan fetches each URL the way a frame of another site navigates to it (GET,
following redirects, browser-like Accept headers, Sec-Fetch-Dest: iframe,
Sec-Fetch-Site: cross-site) and predicts, from the final response's
X-Frame-Options and Content-Security-Policy frame-ancestors, whether browsers
let another origin frame the page, and why. It fetches each URL again as a
top-level navigation (Sec-Fetch-Dest: document) and reports when the server
answers the two differently, or refuses framed navigations.

For each URL it reports verdicts for three framing chains - a foreign
origin, the page's own origin, and the page's own origin inside a foreign
top - or exactly the chains given with -from; then findings, each with a
severity, the exact header lines as evidence, and the header to send as the
fix. Once per origin it also fetches a missing page
(/clickguard-scan-<random>) to check that error pages are protected too;
when that fetch fails, each URL of the origin says so
(error-page-unchecked). Browsers block an http URL (not on the local
machine) in a frame whose parent or top is https, as mixed content: such a
verdict is blocked, except that an http URL which redirects to https is
judged there as an attacker would frame it, by its final URL (frame_url in
JSON). A response that shows nothing in a frame (status 204, 205 or 304;
407, which Chromium takes for a proxy's challenge, and 101, an upgrade no
navigation asks for, both of which it fails; or a download:
Content-Disposition: attachment, or a type browsers do not render, such as
application/octet-stream or text/csv), a URL on a port from which browsers
fetch nothing (a bad port of the Fetch standard, such as 6000 or 6666), and
a URL that redirects to one of another scheme than http and https (data:,
javascript:, mailto:, an app's own), which browsers do not follow, are
blocked in every chain, whatever the headers say. Nor does the scanner fetch
anything from a bad port, given or redirected to, or follow such a redirect:
it reports the URL it stopped at as not fetched, with that verdict.

Output is text (coloured on a terminal unless NO_COLOR is set), one JSON
document (-format json), one JSON result per line as results arrive
(-format jsonl), or one SARIF 2.1.0 log for code-scanning dashboards
(-format sarif): a rule per finding id, a result per finding located at the
page's final URL, and the URLs that could not be fetched or proved as
notifications of the invocation, which is then not successful; or one
self-contained HTML page for people (-format html): a section per URL, with
the -browser screenshots embedded, and a summary that lists the URLs that
need attention. The page runs no script and loads nothing; what the sites
sent is shown as text. Results come in the order of the URLs.

With -crawl N, each URL is followed by up to N more pages of exactly its
origin, found breadth-first by following the links of the HTML already read
(a, area, iframe, frame, the action URL of GET forms, a refresh's URL;
<base href> honoured), in the order they were found, each saying which page
linked it (found_on in JSON). A URL that redirects to another origin of its
site (http:// to https://, example.com to www.example.com) is crawled on the
origin it lands on; one that redirects to another site is not crawled. The
report says which (crawl in JSON). The crawl sends the same cookie and
headers, to the URL's origin only, so it only ever GETs: it submits no form
(a GET form's action URL is fetched bare, as a link, and POST forms are
ignored), skips links whose path or query contains logout, logoff, signout,
signoff (also with - or _), delete, remove, destroy, erase, purge,
unsubscribe, deactivate, disable, revoke, cancel or reset, because
applications still change state on GET, skips non-pages by extension
(images, fonts, CSS, JavaScript, media, PDF and office documents, archives),
and does not follow a crawled page's redirect to another origin. Crawled
pages share -concurrency and -timeout with the URLs given. On a site you do
not run, add -rate to bound the requests a second.

With -browser, headless Chromium proves each verdict: it loads the URL as
given (following its redirects) in a frame inside each chain, the ancestors
being synthetic pages that Chromium is told to serve for those origins (no
request reaches them), and the report says beside each verdict whether
Chromium rendered the first document the frame committed for it or refused
it. Where Chromium contradicts the prediction, a high finding
browser-disagrees says so. The predictions follow Chromium 156; Chromium
150 and older (measured in 148 and 150) read a vertical tab in
Content-Security-Policy as a space, and Content-Disposition given twice
otherwise, and 148 X-Content-Type-Options: nosniff given twice, which the
finding older-chromium-differs reports where it changes a verdict, with or
without -browser. An older Chromium that gives
the verdict of that reading is no browser-disagrees: its proof says how it
read the response (reads in JSON).
Chromium sends no -header values: where it
contradicts a verdict with another status than the scanner got (a 401 for
want of an Authorization header), it judged another response, and the
verdict is not proved, saying so. It keeps the
-cookie for the origin of the URL given only, without a SameSite attribute
(Lax, so it is not sent in a frame of another site), as a victim's browser
would; a __Host- or __Secure- cookie with Secure, as its name demands
(Chromium takes one on https, and on http only on the local machine).
-screenshot saves a PNG of each proof. Chromium is -chromium,
CLICKGUARD_CHROMIUM, or chromium, chromium-browser, google-chrome or
google-chrome-stable on PATH.

Exit status: 0 when no finding reaches -fail-on, 1 when one does (or when
Chromium is found but does not start), 2 for a usage error (a malformed URL
on the command line, no Chromium to run with -browser, a -urls file that is
missing or a directory, and a -screenshot directory that cannot be made,
included), 3 when no finding reaches -fail-on but a URL could not be
fetched, judged or proved, such as a redirect beyond -max-redirects, a 429
Too Many Requests (the server limiting the scan, not the page; one whose
Retry-After asks for at most 10 seconds is asked again after that wait,
twice at most) or a malformed line of -urls, or one longer than 2 MiB, the
most Chromium takes in a URL (the others are still reported), and when the
-urls file cannot be read to its end, which the report says as it does an
interruption; 130 when interrupted (SIGINT or SIGTERM) before every URL was
reported, which the report says. A page found by -crawl counts like a URL
given, except one that redirects to another origin: that is reported as not
followed, not as an error, as the crawl chose not to follow it.

The cookie and headers may carry credentials: they go only to the origin
of the URL given (or its https:// upgrade, the same host on the default
ports), never to another origin that a redirect leads to, nor to its
missing page. Give them as @FILE (or set CLICKGUARD_COOKIE) to keep them
out of shell history and the process list.`

// scanFlags are the parsed flags of "clickguard scan".
type scanFlags struct {
	opts   scan.Options
	format scan.Format
	failOn scan.Severity // 0: never fail on findings
	urls   []string
	// urlFile, when not empty, names a file of more URLs, one per line
	// ("-" for standard input, read from stdin).
	urlFile string
	stdin   io.Reader
	// browser, when not nil, starts Chromium to prove the verdicts.
	browser *proof.Options
}

// parseScanFlags parses the command line of "clickguard scan"; it reads
// @FILE arguments and CLICKGUARD_COOKIE but fetches nothing.
func parseScanFlags(args []string, stdout io.Writer) (*scanFlags, error) {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	var (
		from, headers stringList
		format        = fs.String("format", "text", "report `format`: text, json, jsonl, sarif (SARIF 2.1.0, for code scanning) or html (one page)")
		failOn        = fs.String("fail-on", "high", "exit 1 when a finding has this `severity` or more: info, low, medium, high, or never")
		cookie        = fs.String("cookie", "", "Cookie header `value` to send (\"name=value; name2=value2\"), or @FILE to read it from a file")
		timeout       = durationFlag(fs, "timeout", scan.DefaultTimeout, "give up on a fetch after this `duration` (connection, redirects and headers; a body that has not\nended by then is judged on the part read; with -browser, also on each proof)")
		concurrency   = fs.Int("concurrency", scan.DefaultConcurrency, "fetch at most `n` URLs at once, over one connection pool")
		insecure      = fs.Bool("insecure", false, "accept any TLS certificate, such as a self-signed one")
		maxRedirects  = fs.Int("max-redirects", scan.DefaultMaxRedirects, "follow at most `n` redirects (the default is as many as Chromium follows; 0: none; browsers\nnever render a redirect, so one is reported as not followed, without a verdict, and exits 3)")
		skipErrorPage = fs.Bool("skip-error-page", false, "do not fetch a missing page per origin to check error pages")
		browser       = fs.Bool("browser", false, "prove each verdict in headless Chromium (see above)")
		chromium      = fs.String("chromium", "", "with -browser, run this Chromium `executable` (default: CLICKGUARD_CHROMIUM, or chromium,\nchromium-browser, google-chrome or google-chrome-stable on PATH)")
		screenshot    = fs.String("screenshot", "", "with -browser, save a PNG of each proof in this `directory` (created if missing)")
		crawl         = fs.Int("crawl", 0, "also scan up to `n` more pages of each URL's origin, found by following its links (see above)")
		rate          = fs.Float64("rate", 0, "send at most `n` requests a second to the sites, spaced evenly, redirects and probes included,\nand one turn for each -browser proof, whose own requests (redirects, images) Chromium sends unspaced\n(0: no limit; from 0.001 to 1000000); waiting does not count against -timeout")
		urlFile       = fs.String("urls", "", "also scan the URLs in this `file`, one per line (blank lines and # comments skipped; - for standard input),\nread as the scan goes")
	)
	fs.Var(&from, "from", "report the verdict for this `chain` of origins, parent first, top last, comma-separated,\n\"null\" for an opaque origin (repeatable; replaces the three standard chains)")
	fs.Var(&headers, "header", "send this request header, `\"Name: value\"` (repeatable), or @FILE with one header per line;\nnot Cookie: give that with -cookie; not Host with -browser, which sends the URL's own")
	if err := parseFlags(fs, "scan", args, stdout); err != nil {
		return nil, err
	}
	sf := &scanFlags{urls: fs.Args(), urlFile: *urlFile, stdin: os.Stdin}
	if len(sf.urls) == 0 && sf.urlFile == "" {
		return nil, usagef("scan", fs, "no URL given")
	}
	if sf.urlFile != "" && sf.urlFile != "-" {
		fi, err := os.Stat(sf.urlFile)
		if err != nil {
			return nil, usagef("scan", fs, "-urls: %v", err)
		}
		if fi.IsDir() {
			return nil, usagef("scan", fs, "-urls: %s is a directory: name a file of URLs", sf.urlFile)
		}
	}
	for _, u := range sf.urls {
		if strings.HasPrefix(u, "-") {
			return nil, usagef("scan", fs, "flag %s after the URLs: flags come first", u)
		}
		// A malformed URL of the command line is a usage error; one of a
		// -urls file is reported with the results, as it is read.
		if err := scan.CheckURL(u); err != nil {
			return nil, usagef("scan", fs, "%v", err)
		}
	}
	var err error
	if sf.format, err = scan.ParseFormat(*format); err != nil {
		return nil, usagef("scan", fs, "-format: %v", err)
	}
	if *failOn != "never" {
		if sf.failOn, err = scan.ParseSeverity(*failOn); err != nil {
			// scan.ParseSeverity knows no "never": name every value here.
			return nil, usagef("scan", fs, "-fail-on: unknown severity %q (want info, low, medium, high or never)", *failOn)
		}
	}
	if *timeout <= 0 {
		return nil, usagef("scan", fs, "-timeout must be positive, not %s", *timeout)
	}
	if *concurrency < 1 || *concurrency > 1024 {
		return nil, usagef("scan", fs, "-concurrency must be between 1 and 1024, not %d", *concurrency)
	}
	if *maxRedirects < 0 {
		return nil, usagef("scan", fs, "-max-redirects must not be negative")
	}
	if *crawl < 0 || *crawl > maxCrawl {
		return nil, usagef("scan", fs, "-crawl must be between 0 and %d, not %d", maxCrawl, *crawl)
	}
	if r := *rate; r != 0 && !(r >= scan.MinRate && r <= scan.MaxRate) {
		return nil, usagef("scan", fs, "-rate must be 0 (no limit) or between %s and %s requests a second, not %g", strconv.FormatFloat(scan.MinRate, 'f', -1, 64), strconv.FormatFloat(scan.MaxRate, 'f', -1, 64), r)
	}
	sf.opts.Crawl, sf.opts.Rate = *crawl, *rate
	o := &sf.opts
	o.Timeout, o.Concurrency, o.Insecure, o.SkipErrorPage = *timeout, *concurrency, *insecure, *skipErrorPage
	o.MaxRedirects = *maxRedirects
	if *maxRedirects == 0 {
		o.MaxRedirects = -1 // scan.Options: negative follows none
	}
	for _, chain := range from {
		var origins []string
		for o := range strings.SplitSeq(chain, ",") {
			o, err := scan.ParseChainOrigin(strings.TrimSpace(o))
			if err != nil {
				return nil, usagef("scan", fs, "-from %q: %v", chain, err)
			}
			origins = append(origins, o)
		}
		o.Chains = append(o.Chains, origins)
	}
	if o.Header, err = parseHeaders(headers); err != nil {
		return nil, usagef("scan", fs, "-header: %v", err)
	}
	if _, ok := o.Header["Cookie"]; ok {
		// -cookie would replace it without a word, and -browser would
		// prove the page without it.
		return nil, usagef("scan", fs, "-header: give the cookie with -cookie, not as a Cookie header: -cookie is the one the browser proof (-browser) sends too")
	}
	c := *cookie
	if c == "" {
		c = os.Getenv("CLICKGUARD_COOKIE")
	}
	if o.Cookie, err = readAt(c); err != nil {
		return nil, usagef("scan", fs, "-cookie: %v", err)
	}
	o.Cookie = strings.TrimSpace(o.Cookie)
	if strings.ContainsAny(o.Cookie, "\r\n") {
		return nil, usagef("scan", fs, "-cookie: the value has a line break")
	}
	if attr := setCookieAttribute(o.Cookie); attr != "" {
		return nil, usagef("scan", fs, "-cookie: %q is an attribute of a Set-Cookie line, not a cookie: give the Cookie header's value, name=value pairs only (\"name=value; name2=value2\")", attr)
	}
	if !*browser {
		if *chromium != "" || *screenshot != "" {
			return nil, usagef("scan", fs, "-chromium and -screenshot need -browser")
		}
		return sf, nil
	}
	if _, ok := o.Header["Host"]; ok {
		// Chromium would load the URL's own host, another site than the
		// one the scanner judged, and contradict it.
		return nil, usagef("scan", fs, "-header: a Host header cannot go with -browser: Chromium sends the URL's own host, so it would prove another site than the one scanned; scan that site by its name (with a hosts-file entry, say)")
	}
	name := *chromium
	if name == "" {
		name = os.Getenv("CLICKGUARD_CHROMIUM")
	}
	path, err := proof.FindChromium(name)
	if err != nil {
		return nil, usagef("scan", fs, "-browser: %v (name one with -chromium or CLICKGUARD_CHROMIUM)", err)
	}
	if o.Cookie != "" {
		// Chromium stores each cookie by itself, so each must be one.
		if _, err := http.ParseCookie(o.Cookie); err != nil {
			return nil, usagef("scan", fs, "-cookie: with -browser, every name=value pair must be a valid cookie, for Chromium to store it: %v", err)
		}
	}
	if dir := *screenshot; dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, usagef("scan", fs, "-screenshot: %v: name a directory, which is made if it does not exist", err)
		}
	}
	sf.browser = &proof.Options{Chromium: path, Insecure: o.Insecure, Cookie: o.Cookie, ScreenshotDir: *screenshot}
	return sf, nil
}

// setCookieAttribute returns the first pair of a Cookie header value that
// is an attribute of a Set-Cookie line (Path=/, HttpOnly, …), as in a
// Set-Cookie value pasted where a Cookie header value belongs, or "". A
// server would take each for a cookie of that name.
func setCookieAttribute(cookie string) string {
	for pair := range strings.SplitSeq(cookie, ";") {
		name, _, _ := strings.Cut(strings.TrimSpace(pair), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "path", "domain", "expires", "max-age", "secure", "httponly", "samesite", "partitioned", "priority":
			return strings.TrimSpace(pair)
		}
	}
	return ""
}

// durationFlag defines a flag like fs.Duration whose error for a number
// without a unit says so: the flag package only says "parse error".
func durationFlag(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	var d time.Duration
	durationVar(fs, &d, name, value, usage)
	return &d
}

// durationVar is durationFlag into p, like fs.DurationVar.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

// durationValue is the flag.Value of durationFlag.
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return fmt.Errorf("missing unit: write %ss for seconds, or %sms for milliseconds", s, s)
		}
		return errors.New("not a duration such as 10s, 1m30s or 500ms")
	}
	*d = durationValue(v)
	return nil
}

// parseHeaders parses "Name: value" lines; an item @FILE stands for the
// lines of that file.
func parseHeaders(items []string) (http.Header, error) {
	var h http.Header
	for _, item := range items {
		text, err := readAt(item)
		if err != nil {
			return nil, err
		}
		lines := []string{text}
		if strings.HasPrefix(item, "@") {
			lines = strings.Split(text, "\n")
		}
		for _, l := range lines {
			l = strings.TrimRight(l, "\r")
			if strings.TrimSpace(l) == "" && strings.HasPrefix(item, "@") {
				continue
			}
			name, value, ok := strings.Cut(l, ":")
			if !ok || !isToken(name) {
				return nil, fmt.Errorf("%q is not \"Name: value\"", l)
			}
			if strings.ContainsAny(value, "\r\n\x00") {
				return nil, fmt.Errorf("header %s: the value has a line break", name)
			}
			if h == nil {
				h = http.Header{}
			}
			h.Add(name, strings.TrimSpace(value))
		}
	}
	return h, nil
}

// readAt returns s, or the content of file F when s is "@F".
func readAt(s string) (string, error) {
	path, ok := strings.CutPrefix(s, "@")
	if !ok {
		return s, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(textReader(f))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// textReader reads a text file as editors save them: a byte order mark is
// dropped (UTF-8's, which Notepad writes), and text in UTF-16 with one
// (what Windows PowerShell's > writes) is read as UTF-8. Any other bytes
// pass unchanged. Without it, a cookie read from such a file would carry
// the mark in its name, and servers would ignore it.
func textReader(r io.Reader) io.Reader {
	return transform.NewReader(r, xunicode.BOMOverride(transform.Nop))
}

// isToken reports whether s is an HTTP header name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// runScan runs "clickguard scan".
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sf, err := parseScanFlags(args, stdout)
	if err != nil {
		return err
	}
	return sf.run(ctx, stdout)
}

// run scans and writes the report to stdout.
func (sf *scanFlags) run(ctx context.Context, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if sf.browser != nil {
		b, err := proof.Start(ctx, *sf.browser)
		if err != nil {
			return fmt.Errorf("scan: -browser: %w", err)
		}
		defer b.Close()
		sf.opts.Browser = b
	}
	report := scan.NewReport(stdout, sf.format, sf.format == scan.FormatText && useColor(stdout))
	v, _ := buildVersion()
	report.SetToolVersion(v)
	report.SetOptions(sf.opts)
	var (
		failed, unreachable bool
		writeErr            error
	)
	urls, readErr, closeFile, err := sf.urlSeq(ctx)
	if err != nil {
		return err
	}
	defer closeFile()
	err = scan.RunSeq(ctx, sf.opts, urls, func(r scan.Result) {
		// A crawled page that redirects off the origin was not followed
		// on purpose: it has Skipped, not Error.
		if r.Error != "" {
			unreachable = true
			if _, ok := errors.AsType[*tls.CertificateVerificationError](r.Err); ok {
				r.Error += " (to scan it anyway, accept any certificate with -insecure)"
			}
			if errors.Is(r.Err, scan.ErrRateLimited) {
				r.Error += " (scan it again later, or more slowly with -rate)"
			}
			if _, ok := errors.AsType[*scan.CookieWallError](r.Err); ok {
				r.Error += " (send it with -cookie, with the value a browser gets)"
			}
		}
		for _, v := range r.Verdicts {
			if v.Browser != nil && v.Browser.Error != "" {
				unreachable = true // not proved
			}
		}
		for _, f := range r.Findings {
			if sf.failOn != 0 && f.Severity >= sf.failOn {
				failed = true
			}
		}
		if writeErr == nil {
			if writeErr = report.Add(r); writeErr != nil {
				cancel() // nobody reads the report: stop fetching
			}
		}
	})
	if writeErr != nil {
		return writeErr
	}
	if err != nil {
		// Interrupted: still end the report, so that JSON stays valid,
		// and say so in it.
		report.Interrupted(err)
		_ = report.Close()
		return withExitCode(exitInterrupted, fmt.Errorf("scan interrupted before every URL was reported: %w", err))
	}
	if err := readErr(); err != nil {
		// The URLs after the part read were not scanned: the report must
		// not look whole.
		err = fmt.Errorf("scan: read -urls %s: %w", sf.urlFile, err)
		report.Interrupted(err)
		_ = report.Close()
		code := exitUnreachable
		if failed {
			code = exitFailure
		}
		return withExitCode(code, err)
	}
	if err := report.Close(); err != nil {
		return err
	}
	switch {
	case failed:
		return withExitCode(exitFailure, nil)
	case unreachable:
		return withExitCode(exitUnreachable, nil)
	}
	return nil
}

// urlSeq returns the URLs of the command line followed by those of the
// -urls file, read lazily; readErr reports a read error once the sequence
// is done, and closeFile closes the file. The sequence ends when ctx is
// done, even while a read waits: the lines are read in a goroutine of
// their own, one line ahead of the scan, so that a terminal or a pipe that
// has nothing to give yet does not keep an interrupt from ending the scan.
func (sf *scanFlags) urlSeq(ctx context.Context) (urls iter.Seq[string], readErr func() error, closeFile func(), err error) {
	var r io.Reader
	closeFile = func() {}
	switch sf.urlFile {
	case "":
	case "-":
		r = sf.stdin
	default:
		f, err := os.Open(sf.urlFile)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("scan: %w", err)
		}
		r, closeFile = f, func() { f.Close() }
	}
	var mu sync.Mutex
	var scanErr error
	urls = func(yield func(string) bool) {
		for _, u := range sf.urls {
			if !yield(u) {
				return
			}
		}
		if r == nil {
			return
		}
		lines, done := make(chan string), make(chan struct{})
		defer close(done)
		go func() {
			defer close(lines)
			br := bufio.NewReader(textReader(r))
			for n := 1; ; n++ {
				line, cut, err := readURLLine(br)
				if err != nil && err != io.EOF {
					// The line may be cut: none of it is scanned.
					mu.Lock()
					scanErr = fmt.Errorf("%w: the URLs after line %d were not scanned", err, n-1)
					mu.Unlock()
					return
				}
				if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
					if !cut {
						line = t
					}
					// A line too long to be a URL goes on as it is, longer
					// than one: the scan reports it, as it does a
					// malformed one.
					select {
					case lines <- line:
					case <-done:
						return
					}
				}
				if err == io.EOF {
					return
				}
			}
		}()
		for {
			select {
			case line, ok := <-lines:
				if !ok || !yield(line) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
	readErr = func() error {
		mu.Lock()
		defer mu.Unlock()
		return scanErr
	}
	return urls, readErr, closeFile, nil
}

// readURLLine reads a line of a -urls file from br, without its line end
// and the blanks and byte order marks that start it (files joined with cat
// have a mark at the start of each), keeping at most scan.MaxURLBytes+1
// bytes of it, enough for the scan to refuse a longer URL, and dropping the
// rest: cut reports whether it did. err is io.EOF after the last line.
func readURLLine(br *bufio.Reader) (line string, cut bool, err error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if err == nil {
			chunk = bytes.TrimSuffix(chunk[:len(chunk)-1], []byte("\r"))
		}
		if len(b) == 0 {
			chunk = bytes.TrimLeftFunc(chunk, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
		}
		room := scan.MaxURLBytes + 1 - len(b)
		cut = cut || len(chunk) > room
		b = append(b, chunk[:min(len(chunk), room)]...)
		if err != bufio.ErrBufferFull {
			return string(b), cut, err
		}
	}
}

// useColor reports whether w is a terminal (a character device) and
// NO_COLOR is not set.
func useColor(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
