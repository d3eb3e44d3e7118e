package scan

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// htmlReport renders results in the html format, with a fixed clock.
func htmlReport(t *testing.T, results []Result, interrupted error) string {
	t.Helper()
	var b strings.Builder
	r := NewReport(&b, FormatHTML, false)
	r.now = func() time.Time { return time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC) }
	r.SetToolVersion("v1.2.3")
	fill(t, r, results, interrupted)
	return b.String()
}

// htmlDoc is a parsed report.
type htmlDoc struct {
	root *html.Node
	src  string
}

func parsePage(t *testing.T, src string) htmlDoc {
	t.Helper()
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return htmlDoc{root, src}
}

// all returns the elements named tag, in document order.
func (p htmlDoc) all(tag string) []*html.Node {
	var out []*html.Node
	for n := range p.root.Descendants() {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// byID returns the element with the given id, or nil.
func (p htmlDoc) byID(id string) *html.Node {
	for n := range p.root.Descendants() {
		if v, ok := attr(n, "id"); ok && v == id && n.Type == html.ElementNode {
			return n
		}
	}
	return nil
}

// hostile is a scan of a site that puts markup, a javascript: URL and a
// right-to-left override in everything it controls.
func hostile() []Result {
	const markup = `"><script>alert(1)</script><img src=x onerror=alert(2)></style><a href="javascript:alert(3)">x</a>`
	first := Result{
		URL: "http://a.example/" + markup, FinalURL: "http://a.example/final" + markup, Status: 200,
		TopLevel:  &TopLevel{FinalURL: "http://a.example/", Status: 403},
		Redirects: []Redirect{{URL: "http://a.example/" + markup, Status: 302, Location: "javascript:alert(4)" + markup}},
		Verdicts: []Verdict{{Chain: ChainForeign, Ancestors: []string{"http://attacker.example" + markup}, Framable: true, DecidedBy: "none",
			Reason:  "Content-Security-Policy: frame-ancestors \u202e'enon'" + markup,
			Browser: &BrowserVerdict{Browser: "Chromium" + markup, Rendered: true, What: "title " + markup, Screenshot: "/nonexistent/" + markup}}},
		Findings: []Finding{{ID: "no-protection", Severity: SeverityHigh, Message: "message " + markup,
			Evidence: []string{"X-Evil: " + markup, "X-Bidi: \u202eenon\u202c"}, Fix: "line one\nContent-Security-Policy: " + markup}},
	}
	return []Result{
		first,
		{URL: "http://a.example/found" + markup, FoundOn: first.URL, Error: "error " + markup, Verdicts: []Verdict{}, Findings: []Finding{}},
		{URL: "javascript:alert(5)", Error: "unsupported scheme " + markup, Verdicts: []Verdict{}, Findings: []Finding{}},
	}
}

// TestHTML_hostile checks that nothing a scanned site controls becomes
// markup: the report has no script, no event handler, no link but to http(s)
// pages and its own sections, no image but embedded PNGs, and its one style
// sheet is the one its Content-Security-Policy allows by hash.
func TestHTML_hostile(t *testing.T) {
	t.Parallel()
	src := htmlReport(t, hostile(), errors.New("interrupt "+`<script>alert(6)</script>`))
	p := parsePage(t, src)

	checkInert(t, p)

	// The one meta CSP comes before the one style element, and allows it.
	metas := p.all("meta")
	var csp string
	for _, m := range metas {
		if v, _ := attr(m, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
			if csp != "" {
				t.Error("two Content-Security-Policy meta elements")
			}
			csp, _ = attr(m, "content")
		}
	}
	styles := p.all("style")
	if len(styles) != 1 {
		t.Fatalf("%d style elements, want 1", len(styles))
	}
	if strings.Index(src, `http-equiv="Content-Security-Policy"`) > strings.Index(src, "<style>") {
		t.Error("the style element comes before the policy")
	}
	sum := sha256.Sum256([]byte(text(styles[0])))
	wantCSP := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:; base-uri 'none'; form-action 'none'"
	if csp != wantCSP {
		t.Errorf("Content-Security-Policy %q, want %q", csp, wantCSP)
	}

	// The hostile strings are there, as text; the override is visible.
	body := text(p.all("body")[0])
	for _, want := range []string{
		`"><script>alert(1)</script><img src=x onerror=alert(2)>`,
		`X-Bidi: \u202eenon\u202c`,
		`frame-ancestors \u202e'enon'`,
		`error "><script>`,
		`javascript:alert(4)`,
		`interrupt <script>alert(6)</script>`,
		`screenshot: /nonexistent/"><script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the report does not show %q as text", want)
		}
	}
	if strings.ContainsRune(src, '\u202e') {
		t.Error("a right-to-left override reached the page")
	}
	// javascript: is shown, never linked; http(s) URLs are.
	links := 0
	for _, a := range p.all("a") {
		if h, _ := attr(a, "href"); strings.HasPrefix(h, "http://a.example/") {
			links++
			if rel, _ := attr(a, "rel"); rel != "noreferrer noopener" {
				t.Errorf("link to %q has rel %q", h, rel)
			}
		}
	}
	if links != 2 {
		t.Errorf("%d links to the scanned pages, want 2 (the page and the page found on it)", links)
	}
}

// checkInert fails t when the report has an element that runs or loads
// something, an event handler, a link other than to an http(s) page or a
// section of the report, or a src.
func checkInert(t *testing.T, p htmlDoc) {
	t.Helper()
	for n := range p.root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "iframe", "frame", "object", "embed", "form", "base", "link", "svg", "math", "input", "button":
			t.Errorf("the report has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an event handler %s=%q", n.Data, a.Key, a.Val)
			}
			switch a.Key {
			case "href":
				if !safeHref.MatchString(a.Val) {
					t.Errorf("<%s href=%q>: not a web page or a section of the report", n.Data, a.Val)
				}
			case "src":
				t.Errorf("<%s src=%q>: the report refers to something outside it", n.Data, a.Val)
			}
		}
	}

}

var safeHref = regexp.MustCompile(`^(#r\d+|https?://)`)

// FuzzHTML checks that whatever a scanned site puts in the strings of a
// result, the report stays inert and shows each string as text.
func FuzzHTML(f *testing.F) {
	for _, res := range hostile() {
		f.Add(res.URL, res.Error, "X-Evil: <script>alert(1)</script>", "\u202e</style><svg onload=alert(1)>")
	}
	f.Add("http://a.example/\x00", "", "\xff\xfe", "javascript:alert(1)")
	f.Fuzz(func(t *testing.T, u, fetchErr, evidence, reason string) {
		res := framable("")
		res.URL, res.FinalURL = u, u
		res.Findings[0].Evidence = []string{evidence}
		res.Findings[0].Message = evidence
		res.Findings[0].Fix = reason
		res.Verdicts[0].Reason = reason
		res.Verdicts[0].Browser.What = reason
		errRes := Result{URL: u, FoundOn: u, Error: fetchErr, Verdicts: []Verdict{}, Findings: []Finding{}}
		if fetchErr == "" {
			errRes.Error = "e"
		}
		p := parsePage(t, htmlReport(t, []Result{res, errRes}, nil))
		checkInert(t, p)
		body := text(p.all("body")[0])
		for _, s := range []string{u, fetchErr, evidence, reason} {
			if !strings.Contains(body, clean(s)) {
				t.Errorf("the report does not show %q as text", clean(s))
			}
		}
	})
}

// TestHTML_summary checks the counts and the list of URLs that need
// attention, each linked to its section, most urgent first.
func TestHTML_summary(t *testing.T) {
	t.Parallel()
	protected := Result{URL: "http://ok.example/", FinalURL: "http://ok.example/", Status: 200,
		Verdicts: []Verdict{{Chain: ChainForeign, Ancestors: []string{"http://attacker.example"}, DecidedBy: "csp", Reason: "r"}},
		Findings: []Finding{{ID: "meta-xfo", Severity: SeverityLow, Message: "m"}}}
	medium := protected
	medium.URL = "http://medium.example/"
	medium.Findings = []Finding{{ID: "xfo-only", Severity: SeverityMedium, Message: "m"}, {ID: "xfo-only", Severity: SeverityMedium, Message: "m"}}
	ownOnly := protected
	ownOnly.URL, ownOnly.FinalURL = "http://own.example/", "http://own.example/"
	ownOnly.Verdicts = []Verdict{{Chain: ChainSelf, Ancestors: []string{"http://own.example"}, Framable: true, DecidedBy: "xfo", Reason: "r"}}
	results := []Result{
		protected,
		framable(""),
		{URL: "http://down.example/", Error: "connection refused", Verdicts: []Verdict{}, Findings: []Finding{}},
		medium,
		framable("chromium crashed"),
		ownOnly,
	}
	p := parsePage(t, htmlReport(t, results, nil))

	if h := strings.Join(strings.Fields(text(p.all("header")[0])), " "); h != "clickguard scan report clickguard v1.2.3 · generated 2026-12-05T13:00:00Z" {
		t.Errorf("header %q", h)
	}
	summary := p.byID("summary")
	if summary == nil {
		t.Fatal("no summary")
	}
	counts := strings.Join(strings.Fields(text(summary)), " ")
	for _, want := range []string{"6 URLs scanned", "2 framable by a foreign origin", "1 error", "2 HIGH", "2 MEDIUM", "2 LOW"} {
		if !strings.Contains(counts, want) {
			t.Errorf("summary %q does not say %q", counts, want)
		}
	}
	type row struct{ href, url, why string }
	var got []row
	for _, tr := range p.all("tr") {
		a := tr.FirstChild.FirstChild
		if a == nil || a.Data != "a" || !isDescendant(summary, tr) {
			continue
		}
		href, _ := attr(a, "href")
		got = append(got, row{href, text(a), text(tr.LastChild)})
	}
	// Most urgent first (framable by a foreign origin, a high finding, an
	// error, the rest), in the order scanned within each.
	want := []row{
		{"#r2", "http://a.example/", "framable by a foreign origin; 1 high finding"},
		{"#r5", "http://a.example/", "framable by a foreign origin; 1 high finding; 1 verdict not proved in the browser"},
		{"#r3", "http://down.example/", "error: connection refused"},
		{"#r4", "http://medium.example/", "2 medium findings"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("needs attention:\n got %q\nwant %q", got, want)
	}
	for i, res := range results {
		sec := p.byID(fmt.Sprintf("r%d", i+1))
		if sec == nil || !strings.Contains(text(sec), res.URL) {
			t.Errorf("section r%d does not hold %s", i+1, res.URL)
		}
	}

	// With nothing to attend to, the summary says so.
	p = parsePage(t, htmlReport(t, []Result{protected}, nil))
	if s := text(p.byID("summary")); !strings.Contains(s, "Nothing needs attention") {
		t.Errorf("summary of a protected page: %q", s)
	}
	// An empty report is still a complete page.
	src := htmlReport(t, nil, nil)
	if !strings.Contains(src, "0</strong> URLs scanned") || !strings.HasSuffix(src, "</html>\n") {
		t.Errorf("empty report:\n%s", src)
	}
}

func isDescendant(ancestor, n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == ancestor {
			return true
		}
	}
	return false
}

// TestHTML_attentionBounded checks that the summary keeps at most
// maxAttention URLs and counts the rest.
func TestHTML_attentionBounded(t *testing.T) {
	t.Parallel()
	results := make([]Result, maxAttention+2)
	for i := range results {
		results[i] = framable("")
		results[i].URL = fmt.Sprintf("http://a.example/%d", i)
	}
	p := parsePage(t, htmlReport(t, results, nil))
	summary := p.byID("summary")
	rows := 0
	for _, a := range p.all("a") {
		if isDescendant(summary, a) {
			rows++
		}
	}
	if rows != maxAttention {
		t.Errorf("%d URLs listed, want %d", rows, maxAttention)
	}
	if s := text(summary); !strings.Contains(s, "… and 2 more, in the report below.") {
		t.Errorf("the summary does not count the rest: %q", s[len(s)-200:])
	}

	// Full of minor ones, the list still makes room for a worse one found
	// late, at its head; the minor one scanned last goes.
	results = make([]Result, maxAttention+1)
	for i := range maxAttention {
		results[i] = framable("")
		results[i].URL = fmt.Sprintf("http://a.example/%d", i)
		results[i].Verdicts[0].Framable = false
		results[i].Findings[0].Severity = SeverityMedium
	}
	results[maxAttention] = framable("")
	results[maxAttention].URL = "http://a.example/worst"
	p = parsePage(t, htmlReport(t, results, nil))
	summary = p.byID("summary")
	var listed []string
	for _, a := range p.all("a") {
		if isDescendant(summary, a) {
			listed = append(listed, text(a))
		}
	}
	if len(listed) != maxAttention || listed[0] != "http://a.example/worst" || listed[1] != "http://a.example/0" ||
		slices.Contains(listed, fmt.Sprintf("http://a.example/%d", maxAttention-1)) {
		t.Errorf("%d listed, first %q, then %q: want the worst first, then the minor ones but the last", len(listed), listed[0], listed[1])
	}
	if s := text(summary); !strings.Contains(s, "… and 1 more, in the report below.") {
		t.Errorf("the summary does not count the one left out: %q", s[len(s)-200:])
	}
}

// TestHTML_streams checks that each result is written when it is added,
// and the summary only at Close.
func TestHTML_streams(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	r := NewReport(&b, FormatHTML, false)
	if err := r.Add(framable("")); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, `<section class="result" id="r1"`) || strings.Contains(out, `id="summary"`) {
		t.Fatalf("after one Add:\n%s", out)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `id="summary"`) {
		t.Fatal("no summary after Close")
	}
}

// TestHTML_foundOn checks that a crawled page links to the section of the
// page it was found on.
func TestHTML_foundOn(t *testing.T) {
	t.Parallel()
	page := func(u, foundOn string) Result {
		res := framable("")
		res.URL, res.FoundOn = u, foundOn
		return res
	}
	p := parsePage(t, htmlReport(t, []Result{
		page("http://a.example/", ""),
		page("http://a.example/b", "http://a.example/"),
		page("http://a.example/c", "http://a.example/b"),
		page("http://z.example/", ""),
		page("http://z.example/y", "http://z.example/"),
	}, nil))
	for sec, want := range map[string]string{"r2": "#r1", "r3": "#r2", "r5": "#r4"} {
		n := p.byID(sec)
		var got string
		for d := range n.Descendants() {
			if d.Type == html.ElementNode && d.Data == "p" && strings.HasPrefix(text(d), "found on") {
				got, _ = attr(d.LastChild, "href")
			}
		}
		if got != want {
			t.Errorf("%s: found-on link %q, want %q", sec, got, want)
		}
	}
}

// TestHTML_screenshot checks that a PNG screenshot is embedded, and that a
// file that is not a PNG, or is missing, is only named.
func TestHTML_screenshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), "rest of the image"...)
	pngPath, notPNG := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	if err := os.WriteFile(pngPath, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notPNG, []byte("<svg onload=alert(1)>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		img  string // the img's src, or "" for none
	}{
		{pngPath, "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)},
		{notPNG, ""},
		{filepath.Join(dir, "missing.png"), ""},
	} {
		res := framable("")
		res.Verdicts[0].Browser.Rendered = true
		res.Verdicts[0].Browser.Screenshot = tc.path
		p := parsePage(t, htmlReport(t, []Result{res}, nil))
		imgs := p.all("img")
		switch {
		case tc.img == "" && len(imgs) != 0:
			t.Errorf("%s: %d images, want none", tc.path, len(imgs))
		case tc.img == "" && !strings.Contains(text(p.root), "screenshot: "+tc.path):
			t.Errorf("%s: the path is not shown", tc.path)
		case tc.img != "" && len(imgs) != 1:
			t.Errorf("%s: %d images, want 1", tc.path, len(imgs))
		case tc.img != "":
			if src, _ := attr(imgs[0], "src"); src != tc.img {
				t.Errorf("%s: img src %.60q, want %.60q", tc.path, src, tc.img)
			}
		}
	}
}

// TestHTML_headline checks the line under each page's URL: framable or
// protected from foreign origins, or neither when no verdict's chain has a
// foreign ancestor (only -from chains of the page's own origin).
func TestHTML_headline(t *testing.T) {
	t.Parallel()
	verdict := func(ancestor string, framable bool) Result {
		return Result{URL: "http://a.example/", FinalURL: "http://a.example/", Status: 200,
			Verdicts: []Verdict{{Ancestors: []string{ancestor}, Framable: framable, DecidedBy: "none", Reason: "r"}}}
	}
	for _, tc := range []struct {
		name string
		res  Result
		want string
	}{
		{"foreign, framable", verdict("https://partner.example", true), "FRAMABLE by a foreign origin · status 200"},
		{"foreign, blocked", verdict("https://partner.example", false), "PROTECTED from foreign origins · status 200"},
		{"own origin only", verdict("http://a.example", true), "status 200"},
	} {
		p := parsePage(t, htmlReport(t, []Result{tc.res}, nil))
		var got string
		for _, n := range p.all("p") {
			if isDescendant(p.byID("r1"), n) {
				got = strings.Join(strings.Fields(text(n)), " ")
				break
			}
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestHTML_poc checks the command shown under a page framable by a foreign
// origin: run by a shell, it passes the scanned URL to clickguard poc as
// one argument, whatever the URL holds.
func TestHTML_poc(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the command with")
	}
	for _, u := range []string{
		"http://a.example/",
		"http://a.example/it's",
		"http://a.example/'; touch pwned; echo '$(id)`id`\\",
	} {
		res := framable("")
		res.URL = u
		p := parsePage(t, htmlReport(t, []Result{res}, nil))
		var cmd string
		for _, c := range p.all("code") {
			if s := text(c); strings.HasPrefix(s, "clickguard poc ") {
				cmd = s
			}
		}
		const prefix = "clickguard poc -serve 127.0.0.1:8099 "
		if !strings.HasPrefix(cmd, prefix) {
			t.Fatalf("%s: command %q", u, cmd)
		}
		// The shell prints the argument the command would pass.
		dir := t.TempDir()
		c := exec.Command(sh, "-c", "printf '%s\\n' "+strings.TrimPrefix(cmd, prefix))
		c.Dir = dir
		out, err := c.Output()
		if err != nil || string(out) != u+"\n" {
			t.Errorf("%s: the shell reads %q (%v)", u, out, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: the command ran something", u)
		}
	}
	// A page that is not framable by a foreign origin gets no command.
	res := framable("")
	res.Verdicts[0].Framable = false
	if src := htmlReport(t, []Result{res}, nil); strings.Contains(src, "clickguard poc") {
		t.Error("a protected page has a poc command")
	}
}

// TestHTML_settings checks the options listed under the heading: what the
// scan did, and never the value of a header or of the cookie.
func TestHTML_settings(t *testing.T) {
	t.Parallel()
	settings := func(o Options) map[string]string {
		var b strings.Builder
		r := NewReport(&b, FormatHTML, false)
		r.SetOptions(o)
		fill(t, r, nil, nil)
		if strings.Contains(b.String(), "SECRET") {
			t.Errorf("a credential reached the report:\n%s", b.String())
		}
		got := map[string]string{}
		for _, tr := range parsePage(t, b.String()).all("tr") {
			if th := tr.FirstChild; th != nil && th.Data == "th" {
				if v, _ := attr(th, "scope"); v == "row" {
					got[text(th)] = text(th.NextSibling)
				}
			}
		}
		return got
	}
	check := func(label string, got, want map[string]string) {
		t.Helper()
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%s: %s = %q, want %q", label, name, got[name], w)
			}
		}
	}
	check("defaults", settings(Options{}), map[string]string{
		"Framing chains":     "the standard three: foreign origin, own origin, own origin inside foreign top",
		"Proof in a browser": "no",
		"Crawl":              "no",
		"Error-page probe":   "yes",
		"Rate":               "no limit",
		"Concurrency":        "4",
		"Timeout":            "10s",
		"Redirects":          "at most 19 followed",
		"TLS certificates":   "verified",
		"Extra headers":      "none",
		"Cookie":             "none",
	})
	check("set", settings(Options{
		Chains:        [][]string{{"https://a.example"}, {"null", "https://b.example"}},
		Browser:       nopProver{},
		Crawl:         5,
		SkipErrorPage: true,
		Rate:          2.5,
		Concurrency:   8,
		Timeout:       time.Minute,
		MaxRedirects:  -1,
		Insecure:      true,
		Header:        http.Header{"authorization": {"Bearer SECRET"}, "X-Api-Key": {"SECRET"}},
		Cookie:        "sid=SECRET",
	}), map[string]string{
		"Framing chains":     "https://a.example; null in https://b.example",
		"Proof in a browser": "yes",
		"Crawl":              "up to 5 more pages per URL",
		"Error-page probe":   "no",
		"Rate":               "at most 2.5 requests a second",
		"Concurrency":        "8",
		"Timeout":            "1m0s",
		"Redirects":          "none followed",
		"TLS certificates":   "not verified",
		"Extra headers":      "Authorization, X-Api-Key (values not shown)",
		"Cookie":             "sent (value not shown)",
	})
}

// nopProver proves nothing; its presence is what SetOptions reports.
type nopProver struct{}

func (nopProver) Prove(context.Context, string, []string, bool) (BrowserVerdict, error) {
	return BrowserVerdict{}, errors.New("not a browser")
}

// TestHTML_attendKeepsMostUrgent checks the summary's bounded list against
// sorting everything: it keeps exactly the maxAttention most urgent URLs.
func TestHTML_attendKeepsMostUrgent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var h htmlState
	var all []htmlAttention
	for n := 1; n <= 3*maxAttention; n++ {
		a := htmlAttention{N: n, rank: rankMinor + rng.IntN(rankForeign)}
		all = append(all, a)
		h.attend(a)
	}
	slices.SortFunc(all, urgentFirst)
	kept := slices.SortedFunc(slices.Values(h.attention), urgentFirst)
	same := func(a, b htmlAttention) bool { return a.N == b.N && a.rank == b.rank }
	if !slices.EqualFunc(kept, all[:maxAttention], same) || h.more != 2*maxAttention {
		t.Errorf("kept %d (first %+v), counted %d more; want the %d most urgent (first %+v) and %d more",
			len(kept), kept[0], h.more, maxAttention, all[0], 2*maxAttention)
	}
}
