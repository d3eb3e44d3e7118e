package scan

import (
	"bytes"
	"container/heap"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// The html format writes one self-contained page: no script, no request
// for anything (its own Content-Security-Policy allows only its one style
// sheet, by hash, and data: images), so that a report opened from disk or
// attached to a ticket cannot be turned against its reader by what the
// scanned sites put in their headers. Every string from a scan is escaped
// by html/template after clean has made control and bidirectional
// formatting characters visible.

//go:embed report.html
var reportHTML string

//go:embed report.css
var reportCSS string

var reportTemplate = template.Must(template.New("report.html").Parse(reportHTML))

// reportCSP is the Content-Security-Policy of the html format.
var reportCSP = func() string {
	sum := sha256.Sum256([]byte(reportCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
}()

const (
	// maxAttention bounds the summary's list of URLs that need attention,
	// so that memory stays flat however many URLs are scanned: it keeps
	// the most urgent and counts the rest.
	maxAttention = 1000

	// maxScreenshotBytes bounds a screenshot embedded in the html format;
	// a larger one is named by its path.
	maxScreenshotBytes = 8 << 20
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// htmlState is what a Report in the html format keeps between results:
// the summary's bounded list, and the anchors of the current crawl, never
// the results themselves.
type htmlState struct {
	started     bool
	proved      bool
	attention   []htmlAttention
	more        int
	interrupted string
	// settings describe the scan's options (see SetOptions).
	settings []htmlSetting
	// group maps the URL of each result since the last URL given (not
	// found by a crawl) to its anchor, for "found on" links: a crawled
	// page is always found on a page of its own group, so the map holds
	// at most Options.Crawl+1 entries.
	group map[string]int
}

type htmlHead struct {
	CSS       template.CSS
	CSP       string
	Version   string
	Generated string
	Settings  []htmlSetting
}

// htmlSetting is one line of the options a scan ran with.
type htmlSetting struct{ Name, Value string }

type htmlResult struct {
	N         int
	URL, Link string
	FoundOn   string
	FoundOnID int
	Error     string
	// Skipped and Crawl are those of the Result: a page the crawl did not
	// follow, where the crawl from a URL given went.
	Skipped, Crawl string

	Status int
	// NotFetched is the Result's: why nothing was fetched.
	NotFetched string
	// Foreign is whether a foreign chain may frame the page; Judged
	// whether any verdict's chain has a foreign ancestor at all.
	Foreign, Judged bool
	FinalURL        string
	RedirectCount   string
	Redirects       []Redirect
	TopLevel        string
	// PoC is the command that builds the attack page, for a page framable
	// by a foreign origin.
	PoC      string
	Proved   bool
	Verdicts []htmlVerdict
	Findings []htmlFinding
}

type htmlVerdict struct {
	Chain     string
	Ancestors []string
	Framable  bool
	Class     string
	DecidedBy string
	Reason    string
	Browser   *htmlBrowser
}

type htmlBrowser struct {
	Name, State, What string
	Error             string
	Disagrees         bool
	Reads             string // how an older Chromium read the response (BrowserVerdict.Reads)
	Screenshot        string
	Image             template.URL
}

type htmlFinding struct {
	Severity, SeverityUpper string
	ID, Short, Message      string
	Evidence                []string
	Fix                     string
	Full, Help              string
}

type htmlAttention struct {
	N    int
	URL  string
	Why  []string
	rank int // see the rank constants
}

// How urgent a URL that needs attention is, least first: the summary lists
// the most urgent first, in the order scanned within a rank.
const (
	rankMinor   = iota + 1 // a medium finding, a verdict not proved
	rankError              // could not be fetched or judged
	rankHigh               // a high finding
	rankForeign            // framable by a foreign origin
)

// less reports whether a is less urgent than b: lower rank, or the same rank
// and scanned later.
func (a htmlAttention) less(b htmlAttention) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.N > b.N
}

// urgentFirst orders URLs that need attention most urgent first.
func urgentFirst(a, b htmlAttention) int {
	switch {
	case b.less(a):
		return -1
	case a.less(b):
		return 1
	}
	return 0
}

// attend adds a to the summary's list, which keeps the maxAttention most
// urgent URLs and counts the others.
func (h *htmlState) attend(a htmlAttention) {
	if len(h.attention) < maxAttention {
		heap.Push((*attentionHeap)(&h.attention), a)
		return
	}
	h.more++
	if h.attention[0].less(a) {
		h.attention[0] = a
		heap.Fix((*attentionHeap)(&h.attention), 0)
	}
}

// attentionHeap is a min-heap of URLs that need attention: the least
// urgent at the root, the first to go when a more urgent one comes.
type attentionHeap []htmlAttention

func (h attentionHeap) Len() int           { return len(h) }
func (h attentionHeap) Less(i, j int) bool { return h[i].less(h[j]) }
func (h attentionHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *attentionHeap) Push(x any)        { *h = append(*h, x.(htmlAttention)) }
func (h *attentionHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type htmlSeverityCount struct {
	Name, Upper string
	N           int
}

type htmlSummary struct {
	N, Framable, Errors int
	Unproved            int // pages with a verdict the browser could not prove
	URLs, ErrorWord     string
	Severities          []htmlSeverityCount
	Attention           []htmlAttention
	More                int
	Proved              bool
	Interrupted         string
}

// htmlStart writes the page up to the first result, once.
func (r *Report) htmlStart() error {
	if r.html.started {
		return nil
	}
	r.html.started = true
	version := r.toolVersion
	if version == "" {
		version = "(version unknown)"
	}
	return r.render("head", htmlHead{
		CSS:       template.CSS(reportCSS),
		CSP:       reportCSP,
		Version:   clean(version),
		Generated: r.now().UTC().Format(time.RFC3339),
		Settings:  r.html.settings,
	})
}

// SetOptions records the options the results come from, which the html
// format lists under its heading: the chains, the proof, the crawl, the
// rate and the limits, the names of the extra headers and whether a cookie
// was sent, never the values of either. Call it before the first Add.
func (r *Report) SetOptions(o Options) {
	o = o.withDefaults()
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	chains := "the standard three: " + ChainForeign + ", " + ChainSelf + ", " + ChainDouble
	if len(o.Chains) > 0 {
		var cs []string
		for _, c := range o.Chains {
			cs = append(cs, strings.Join(c, " in "))
		}
		chains = strings.Join(cs, "; ")
	}
	crawl := "no"
	if o.Crawl > 0 {
		crawl = fmt.Sprintf("up to %d more pages per URL", o.Crawl)
	}
	rate := "no limit"
	if o.Rate != 0 {
		rate = fmt.Sprintf("at most %g requests a second", o.Rate)
	}
	redirects := "none followed"
	if o.MaxRedirects > 0 {
		redirects = fmt.Sprintf("at most %d followed", o.MaxRedirects)
	}
	certs := "verified"
	if o.Insecure {
		certs = "not verified"
	}
	headers := "none"
	if len(o.Header) > 0 {
		names := make([]string, 0, len(o.Header))
		for name := range o.Header {
			names = append(names, http.CanonicalHeaderKey(name))
		}
		slices.Sort(names)
		headers = strings.Join(names, ", ") + " (values not shown)"
	}
	cookie := "none"
	if o.Cookie != "" {
		cookie = "sent (value not shown)"
	}
	r.html.settings = nil
	for _, kv := range [][2]string{
		{"Framing chains", chains},
		{"Proof in a browser", yesNo(o.Browser != nil)},
		{"Crawl", crawl},
		{"Error-page probe", yesNo(!o.SkipErrorPage)},
		{"Rate", rate},
		{"Concurrency", fmt.Sprint(o.Concurrency)},
		{"Timeout", o.Timeout.String()},
		{"Redirects", redirects},
		{"TLS certificates", certs},
		{"Extra headers", headers},
		{"Cookie", cookie},
	} {
		r.html.settings = append(r.html.settings, htmlSetting{kv[0], clean(kv[1])})
	}
}

func (r *Report) htmlAdd(res Result) error {
	if err := r.htmlStart(); err != nil {
		return err
	}
	n := r.n
	if res.FoundOn == "" || r.html.group == nil {
		r.html.group = map[string]int{}
	}
	v := htmlResult{N: n, URL: clean(res.URL), Link: webLink(res.URL), Error: clean(res.Error), Skipped: clean(res.Skipped), Crawl: clean(res.Crawl)}
	if res.FoundOn != "" {
		v.FoundOn, v.FoundOnID = clean(res.FoundOn), r.html.group[res.FoundOn]
	}
	r.html.group[res.URL] = n
	a := htmlAttention{N: n, URL: v.URL}
	switch {
	case res.Error != "":
		a.Why, a.rank = []string{"error: " + v.Error}, rankError
	case res.Skipped != "":
		// Not followed on purpose: nothing needs attention.
	default:
		r.htmlPage(&v, res)
		a.Why, a.rank = attentionReasons(res, v.Foreign)
	}
	if len(a.Why) > 0 {
		r.html.attend(a)
	}
	return r.render("result", v)
}

// htmlPage fills in v from a fetched page's result.
func (r *Report) htmlPage(v *htmlResult, res Result) {
	v.Status = res.Status
	v.NotFetched = clean(res.NotFetched)
	v.Foreign = framableByForeign(res)
	if v.Foreign {
		v.PoC = "clickguard poc -serve 127.0.0.1:8099 " + shellQuote(clean(res.URL))
	}
	if len(res.Redirects) > 0 {
		v.FinalURL = clean(res.FinalURL)
		v.RedirectCount = plural(len(res.Redirects), "redirect")
		for _, rd := range res.Redirects {
			v.Redirects = append(v.Redirects, Redirect{URL: clean(rd.URL), Status: rd.Status, Location: clean(rd.Location)})
		}
	}
	if t := res.TopLevel; t != nil && t.Error != "" {
		v.TopLevel = "the top-level navigation failed: " + clean(t.Error)
	} else {
		v.TopLevel = otherNavigations(res)
	}
	page := pageOrigin(res)
	for _, vd := range res.Verdicts {
		hv := htmlVerdict{
			Chain:     vd.Chain,
			Ancestors: make([]string, len(vd.Ancestors)),
			Framable:  vd.Framable,
			Class:     "framable-own",
			DecidedBy: vd.DecidedBy,
			Reason:    clean(vd.Reason),
		}
		for i, a := range vd.Ancestors {
			hv.Ancestors[i] = clean(a)
		}
		if hasForeign(page, vd) {
			hv.Class, v.Judged = "framable-foreign", true
		}
		if bv := vd.Browser; bv != nil {
			v.Proved, r.html.proved = true, true
			hv.Browser = htmlBrowserVerdict(*bv, vd.Framable)
		}
		v.Verdicts = append(v.Verdicts, hv)
	}
	for _, f := range res.Findings {
		hf := htmlFinding{
			Severity:      f.Severity.String(),
			SeverityUpper: strings.ToUpper(f.Severity.String()),
			ID:            clean(f.ID),
			Message:       clean(f.Message),
			Fix:           cleanLines(f.Fix),
		}
		for _, e := range f.Evidence {
			hf.Evidence = append(hf.Evidence, clean(e))
		}
		if i, ok := ruleIndex[f.ID]; ok {
			hf.Short, hf.Full, hf.Help = rules[i].Short, rules[i].Full, rules[i].Help
		}
		v.Findings = append(v.Findings, hf)
	}
}

func htmlBrowserVerdict(bv BrowserVerdict, framable bool) *htmlBrowser {
	hb := &htmlBrowser{Name: clean(bv.Browser), Error: clean(bv.Error), What: clean(bv.What), Screenshot: clean(bv.Screenshot)}
	if hb.Name == "" {
		hb.Name = "browser"
	}
	hb.State = "blocked"
	if bv.Rendered {
		hb.State = "rendered"
	}
	hb.Disagrees = bv.Error == "" && bv.Rendered != framable && bv.Reads == ""
	hb.Reads = clean(bv.Reads)
	if bv.Screenshot != "" {
		hb.Image = embedPNG(bv.Screenshot)
	}
	return hb
}

// embedPNG returns the PNG file at path as a data: URL, or "" when it
// cannot be read, is not a PNG or is larger than maxScreenshotBytes.
func embedPNG(path string) template.URL {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxScreenshotBytes+1))
	if err != nil || len(b) > maxScreenshotBytes || !bytes.HasPrefix(b, pngMagic) {
		return ""
	}
	// A data: URL of base64 alone: nothing in it can end the attribute.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

// attentionReasons says why a fetched page needs attention (framable by a
// foreign origin, medium or high findings, verdicts not proved) and how
// urgently.
func attentionReasons(res Result, foreign bool) (why []string, rank int) {
	if foreign {
		why = append(why, "framable by a foreign origin")
		rank = rankForeign
	}
	var high, medium int
	for _, f := range res.Findings {
		switch f.Severity {
		case SeverityHigh:
			high++
		case SeverityMedium:
			medium++
		}
	}
	var parts []string
	if high > 0 {
		parts = append(parts, fmt.Sprintf("%d high", high))
	}
	if medium > 0 {
		parts = append(parts, fmt.Sprintf("%d medium", medium))
	}
	switch {
	case high > 0:
		rank = max(rank, rankHigh)
	case medium > 0:
		rank = max(rank, rankMinor)
	}
	if len(parts) > 0 {
		noun := " findings"
		if high+medium == 1 {
			noun = " finding"
		}
		why = append(why, strings.Join(parts, " and ")+noun)
	}
	unproved := 0
	for _, v := range res.Verdicts {
		if v.Browser != nil && v.Browser.Error != "" {
			unproved++
		}
	}
	if unproved > 0 {
		why = append(why, plural(unproved, "verdict")+" not proved in the browser")
		rank = max(rank, rankMinor)
	}
	return why, rank
}

func (r *Report) htmlClose() error {
	if err := r.htmlStart(); err != nil {
		return err
	}
	s := htmlSummary{
		N: r.n, Framable: r.framable, Errors: r.errors, Unproved: r.unproved,
		URLs: "URLs", ErrorWord: "errors",
		Attention: slices.SortedFunc(slices.Values(r.html.attention), urgentFirst),
		More:      r.html.more,
		Proved:    r.html.proved, Interrupted: r.html.interrupted,
	}
	if r.n == 1 {
		s.URLs = "URL"
	}
	if r.errors == 1 {
		s.ErrorWord = "error"
	}
	for sev := SeverityHigh; sev >= SeverityInfo; sev-- {
		if r.bySev[sev] > 0 {
			s.Severities = append(s.Severities, htmlSeverityCount{Name: sev.String(), Upper: strings.ToUpper(sev.String()), N: r.bySev[sev]})
		}
	}
	return r.render("summary", s)
}

func (r *Report) render(name string, data any) error {
	var b strings.Builder
	if err := reportTemplate.ExecuteTemplate(&b, name, data); err != nil {
		return r.fail(fmt.Errorf("scan: render report: %w", err))
	}
	return r.write(b.String())
}

// webLink returns raw when it is a URL the scanner would fetch (an
// absolute http or https URL), else "".
func webLink(raw string) string {
	if _, err := parseTarget(raw); err != nil {
		return ""
	}
	return raw
}

// cleanLines is clean for text of several lines: the line breaks stay.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

// shellQuote quotes s for a POSIX shell: in single quotes, each single
// quote written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
