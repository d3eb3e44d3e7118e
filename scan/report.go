package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/clickguard/clickguard/framing"
)

// Format is a report format.
type Format string

// Report formats.
const (
	// FormatText is for people: one block per URL, a summary at the end.
	FormatText Format = "text"
	// FormatJSON is one indented JSON document {"results": [...]},
	// written as the results arrive.
	FormatJSON Format = "json"
	// FormatJSONL is one JSON result object per line.
	FormatJSONL Format = "jsonl"
	// FormatSARIF is one SARIF 2.1.0 log with one run: the rules first,
	// then one result per finding as the results arrive, then the
	// invocation with the URLs that failed.
	FormatSARIF Format = "sarif"
	// FormatHTML is one self-contained HTML page for people: a section per
	// URL as the results arrive, then the summary, which the page shows
	// first. It runs no script and loads nothing.
	FormatHTML Format = "html"
)

// ParseFormat parses a format name.
func ParseFormat(name string) (Format, error) {
	switch f := Format(name); f {
	case FormatText, FormatJSON, FormatJSONL, FormatSARIF, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, jsonl, sarif or html)", name)
}

// Report writes results to an io.Writer as they arrive, so that memory does
// not grow with the number of URLs. Call Add for each result, then Close.
// A Report is not safe for concurrent use.
type Report struct {
	w      io.Writer
	format Format
	color  bool

	n        int
	errors   int
	skipped  int // pages the crawl chose not to follow: not errors
	unproved int // pages with a verdict the browser could not prove
	bySev    [SeverityHigh + 1]int
	framable int // results framable by an origin other than the page's
	err      error

	// interrupted, when not empty, says why the scan stopped before every
	// URL was reported (see Interrupted).
	interrupted string

	toolVersion string     // for FormatSARIF and FormatHTML
	sarif       sarifState // for FormatSARIF
	html        htmlState  // for FormatHTML
	now         func() time.Time
}

// NewReport returns a Report writing format to w. Color turns on ANSI
// colours in the text format; pass true only for a terminal.
func NewReport(w io.Writer, format Format, color bool) *Report {
	return &Report{w: w, format: format, color: color, now: time.Now}
}

// Add writes one result. After a write error, Add and Close return it and
// write nothing more.
func (r *Report) Add(res Result) error {
	if r.err != nil {
		return r.err
	}
	r.count(res)
	switch r.format {
	case FormatJSON:
		sep := ",\n  "
		if r.n == 1 {
			sep = "{\"results\": [\n  "
		}
		b, err := encode(res, "  ")
		if err != nil {
			return r.fail(err)
		}
		return r.write(sep, b)
	case FormatJSONL:
		b, err := encode(res, "")
		if err != nil {
			return r.fail(err)
		}
		return r.write(b, "\n")
	case FormatSARIF:
		return r.sarifAdd(res)
	case FormatHTML:
		return r.htmlAdd(res)
	default:
		return r.write(r.text(res))
	}
}

// Close ends the report: the closing brackets of JSON, the summary of text
// and HTML.
func (r *Report) Close() error {
	if r.err != nil {
		return r.err
	}
	switch r.format {
	case FormatJSON:
		end := "\n]"
		if r.n == 0 {
			end = "{\"results\": []"
		}
		if r.interrupted != "" {
			b, err := json.Marshal(r.interrupted)
			if err != nil {
				return r.fail(fmt.Errorf("scan: encode report: %w", err))
			}
			end += ", \"interrupted\": " + escapeJSON(string(b))
		}
		return r.write(end, "}\n")
	case FormatJSONL:
		return nil
	case FormatSARIF:
		return r.sarifClose()
	case FormatHTML:
		return r.htmlClose()
	}
	var parts []string
	for s := SeverityHigh; s >= SeverityInfo; s-- {
		if r.bySev[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", r.bySev[s], s))
		}
	}
	findings := "no findings"
	if len(parts) > 0 {
		findings = "findings: " + strings.Join(parts, ", ")
	}
	skipped := ""
	if r.skipped > 0 {
		skipped = fmt.Sprintf(", %d not followed by the crawl", r.skipped)
	}
	unproved := ""
	if r.unproved > 0 {
		unproved = fmt.Sprintf(", %d not proved in the browser", r.unproved)
	}
	summary := fmt.Sprintf("%s scanned%s, %d framable by a foreign origin, %s%s, %s\n",
		plural(r.n, "URL"), skipped, r.framable, plural(r.errors, "error"), unproved, findings)
	if r.interrupted != "" {
		summary = r.paint(ansiRed+ansiBold, "INTERRUPTED") + " before every URL was scanned (" + clean(r.interrupted) + "): " + summary
	}
	return r.write(summary)
}

// encode returns res as JSON (see encodeJSON).
func encode(res Result, indent string) (string, error) {
	s, err := encodeJSON(res, indent)
	if err != nil {
		return "", fmt.Errorf("scan: encode result for %s: %w", res.URL, err)
	}
	return s, nil
}

// encodeJSON returns v as the JSON of every machine format: on one line when
// indent is empty, otherwise indented, each line after the first starting
// with indent; HTML characters kept as they are (evidence often quotes
// <meta> tags), and what escapeJSON escapes escaped.
func encodeJSON(v any, indent string) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent(indent, "  ")
	}
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return escapeJSON(strings.TrimSuffix(b.String(), "\n")), nil
}

// escapeJSON writes as \uXXXX escapes the characters of the JSON text s that
// clean escapes and encoding/json leaves raw: DEL, C1 controls (U+009B
// starts a terminal escape sequence), bidirectional formatting characters
// (which could make a header read backwards in a terminal or an editor)
// and the U+FFFD that stands for invalid UTF-8. They can only occur inside
// strings, all lie in the Basic Multilingual Plane, and a JSON parser reads
// the escape as the character, so the report means exactly what it did.
func escapeJSON(s string) string {
	if !strings.ContainsFunc(s, rawControl) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if rawControl(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// rawControl reports whether r is one of the characters clean escapes that
// encoding/json writes as they are (it escapes those below U+0020).
func rawControl(r rune) bool { return r >= 0x7f && isControl(r) }

func (r *Report) count(res Result) {
	r.n++
	if res.Skipped != "" {
		r.skipped++
		return
	}
	if res.Error != "" {
		r.errors++
		return
	}
	for _, f := range res.Findings {
		if f.Severity >= SeverityInfo && f.Severity <= SeverityHigh {
			r.bySev[f.Severity]++
		}
	}
	for _, v := range res.Verdicts {
		if v.Browser != nil && v.Browser.Error != "" {
			r.unproved++
			break
		}
	}
	if framableByForeign(res) {
		r.framable++
	}
}

// framableByForeign reports whether one of res's verdicts lets the page be
// framed in a chain with an ancestor of another origin than the page's
// final URL (an opaque origin is another origin): the standard foreign
// chains, and any -from chain naming another origin.
func framableByForeign(res Result) bool {
	page := pageOrigin(res)
	for _, v := range res.Verdicts {
		if v.Framable && hasForeign(page, v) {
			return true
		}
	}
	return false
}

// pageOrigin is the serialized origin of res's final URL, or "" when it has
// none.
func pageOrigin(res Result) string {
	if u, err := url.Parse(res.FinalURL); err == nil {
		if o, err := framing.ParseOrigin(u.Scheme + "://" + u.Host); err == nil {
			return o.String()
		}
	}
	return ""
}

// hasForeign reports whether v's chain has an ancestor whose origin is not
// page.
func hasForeign(page string, v Verdict) bool {
	for _, a := range v.Ancestors {
		o, err := framing.ParseOrigin(a)
		if err != nil || o.Opaque || o.String() != page {
			return true
		}
	}
	return false
}

func (r *Report) write(parts ...string) error {
	for _, p := range parts {
		if _, err := io.WriteString(r.w, p); err != nil {
			return r.fail(fmt.Errorf("scan: write report: %w", err))
		}
	}
	return nil
}

func (r *Report) fail(err error) error {
	r.err = err
	return err
}

// ANSI SGR sequences.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

func (r *Report) paint(code, s string) string {
	if !r.color {
		return s
	}
	return code + s + ansiReset
}

var severityColor = map[Severity]string{
	SeverityHigh: ansiRed + ansiBold, SeverityMedium: ansiYellow, SeverityLow: ansiCyan, SeverityInfo: ansiDim,
}

// text renders one result for people. Every header value and URL printed
// comes from the scanned site: control characters are escaped so that a
// response cannot drive the terminal.
func (r *Report) text(res Result) string {
	var b strings.Builder
	b.WriteString(r.paint(ansiBold, clean(res.URL)))
	b.WriteString("\n")
	if res.FoundOn != "" {
		fmt.Fprintf(&b, "  found on %s\n", clean(res.FoundOn))
	}
	if res.Error != "" {
		fmt.Fprintf(&b, "  %s %s\n\n", r.paint(ansiRed+ansiBold, "error:"), clean(res.Error))
		return b.String()
	}
	if res.Skipped != "" {
		fmt.Fprintf(&b, "  not followed: %s\n\n", clean(res.Skipped))
		return b.String()
	}
	if res.NotFetched != "" {
		b.WriteString("  not fetched")
	} else {
		fmt.Fprintf(&b, "  status %d", res.Status)
	}
	if len(res.Redirects) > 0 {
		fmt.Fprintf(&b, " at %s after %s", clean(res.FinalURL), plural(len(res.Redirects), "redirect"))
	}
	if res.NotFetched != "" {
		fmt.Fprintf(&b, ": %s", clean(res.NotFetched))
	}
	if other := otherNavigations(res); other != "" {
		fmt.Fprintf(&b, " as a framed navigation, %s", other)
	}
	if res.Crawl != "" {
		fmt.Fprintf(&b, "\n  crawl: %s", clean(res.Crawl))
	}
	b.WriteString("\n  framing:\n")
	page := pageOrigin(res)
	for _, v := range res.Verdicts {
		state := r.paint(ansiGreen, "blocked ")
		if v.Framable {
			col := ansiYellow
			if hasForeign(page, v) {
				col = ansiRed + ansiBold
			}
			state = r.paint(col, "FRAMABLE")
		}
		name := strings.Join(v.Ancestors, " in ")
		if v.Chain != "" {
			name = v.Chain + " (" + name + ")"
		}
		fmt.Fprintf(&b, "    %s  %s [%s]\n", state, clean(name), v.DecidedBy)
		fmt.Fprintf(&b, "              %s\n", clean(v.Reason))
		if v.Browser != nil {
			b.WriteString(r.browserLine(v))
		}
	}
	if len(res.Findings) == 0 {
		b.WriteString("  no findings\n\n")
		return b.String()
	}
	b.WriteString("  findings:\n")
	for _, f := range res.Findings {
		sev := fmt.Sprintf("%-6s", strings.ToUpper(f.Severity.String()))
		fmt.Fprintf(&b, "    %s  %s: %s\n", r.paint(severityColor[f.Severity], sev), f.ID, clean(f.Message))
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "            evidence: %s\n", clean(e))
		}
		if f.Fix != "" {
			for i, l := range strings.Split(f.Fix, "\n") {
				label := "fix:     "
				if i > 0 {
					label = "         "
				}
				fmt.Fprintf(&b, "            %s %s\n", label, r.paint(ansiGreen, clean(l)))
			}
		}
	}
	b.WriteString("\n")
	return b.String()
}

// browserLine renders the browser's proof of a verdict: rendered or
// blocked, and whether that agrees with the prediction.
func (r *Report) browserLine(v Verdict) string {
	bv := v.Browser
	name := bv.Browser
	if name == "" {
		name = "browser"
	}
	var state string
	switch {
	case bv.Error != "":
		state = r.paint(ansiYellow, "no proof") + ": " + clean(bv.Error)
	case bv.Rendered:
		state = "rendered: " + clean(bv.What)
	default:
		state = "blocked: " + clean(bv.What)
	}
	switch {
	case bv.Error == "" && bv.Rendered != v.Framable && bv.Reads != "":
		state += " " + r.paint(ansiYellow, "("+clean(bv.Reads)+")")
	case bv.Error == "" && bv.Rendered != v.Framable:
		state += " " + r.paint(ansiRed+ansiBold, "(DISAGREES with the prediction)")
	}
	line := fmt.Sprintf("              %s %s\n", clean(name)+":", state)
	if bv.Screenshot != "" {
		line += fmt.Sprintf("              screenshot: %s\n", clean(bv.Screenshot))
	}
	return line
}

// clean escapes control characters, bidirectional formatting characters
// (which could make a header read backwards) and invalid UTF-8, for a
// terminal or a page.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd || unicode.Is(unicode.Bidi_Control, r)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// otherNavigations says how the server answered the URL's other
// navigations, when that tells something: "200 as a top-level navigation"
// when its status differs from the framed navigation's, and the address
// bar's status too when that differs (see Result.AddressBar); or "".
func otherNavigations(res Result) string {
	t, ab := res.TopLevel, res.AddressBar
	switch {
	case t == nil || t.Error != "":
	case ab != nil && ab.Error == "" && ab.Status != t.Status:
		return fmt.Sprintf("%d as a top-level navigation from another site, %d from the address bar", t.Status, ab.Status)
	case t.Status != res.Status:
		return fmt.Sprintf("%d as a top-level navigation", t.Status)
	}
	return ""
}
