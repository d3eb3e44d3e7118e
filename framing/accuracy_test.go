package framing_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// The accuracy table scores, over the Chromium corpus, the framing model and
// small predicates that implement the published rules of three widely used
// checks. Each predicate answers the question those tools answer for a
// response: can another site frame this page? A tool cannot know the
// ancestors, so the predicates see only the response.
//
// The question is about framing by another origin, so a tool's answer is
// compared with Chromium on the attack lines: those where at least one
// ancestor is not same-origin with the page (cross-origin, double-framed,
// sandwich, object/embed, other port, named hosts, opaque parents, TLS
// variants). Lines where every ancestor is the page's own origin are not a
// clickjacking question and only the model is scored on them.

// zapFramable follows OWASP ZAP passive scan rule 10020 (Anti-clickjacking
// Header, zap-extensions AntiClickjackingScanRule) at its default threshold.
// It counts as "framable" when the rule raises 10020-1 (missing header) or
// 10020-4 (malformed setting); 10020-2 (multiple entries) and 10020-3 (XFO in
// <meta>) are compliance notes, not a verdict. The rule
//   - skips redirects, client errors and server errors (no alert);
//   - stops when any Content-Security-Policy header text contains
//     "frame-ancestors" (case-sensitive), whatever its sources;
//   - otherwise alerts when X-Frame-Options is missing, or when a line
//     contains neither "deny" nor "sameorigin" (case-insensitive).
func zapFramable(r framing.Response) bool {
	if r.Status >= 300 && r.Status < 600 {
		return false
	}
	if strings.Contains("["+strings.Join(headerValues(r, "Content-Security-Policy"), ", ")+"]", "frame-ancestors") {
		return false
	}
	xfo := headerValues(r, "X-Frame-Options")
	if len(xfo) == 0 {
		return true
	}
	for _, v := range xfo {
		l := strings.ToLower(v)
		if !strings.Contains(l, "deny") && !strings.Contains(l, "sameorigin") {
			return true
		}
	}
	return false
}

// observatoryFramable follows the Mozilla HTTP Observatory's X-Frame-Options
// test (mozilla/http-observatory, httpobs/scanner/analyzer/headers.py,
// x_frame_options): the test passes, meaning "not framable", when the CSP
// test parsed a policy (header, or <meta> when there is no header problem)
// with a directive named exactly frame-ancestors, whatever its sources; or
// when X-Frame-Options (all lines joined by ", ", trimmed, lower-cased) is
// deny, sameorigin, or starts with "allow-from ". It fails otherwise.
func observatoryFramable(r framing.Response) bool {
	if observatoryCSPHasFrameAncestors(r) {
		return false
	}
	vals := headerValues(r, "X-Frame-Options")
	if len(vals) == 0 {
		return true
	}
	xfo := strings.ToLower(strings.TrimSpace(strings.Join(vals, ", ")))
	return xfo != "deny" && xfo != "sameorigin" && !strings.HasPrefix(xfo, "allow-from ")
}

// observatoryCSPHasFrameAncestors mirrors the Observatory's CSP parsing as far
// as the X-Frame-Options test depends on it: header lines joined by ", "
// and split on ";" only; a directive repeated, or a policy shorter than six
// characters, makes the whole CSP invalid (no data); the <meta> policy is
// merged in; directive names are case-sensitive.
func observatoryCSPHasFrameAncestors(r framing.Response) bool {
	parse := func(s string) (map[string]bool, bool) {
		s = strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(s))
		if len(s) < len("img-src")-1 {
			return nil, false
		}
		names := make(map[string]bool)
		for _, d := range strings.Split(s, ";") {
			f := strings.Fields(d)
			if len(f) == 0 {
				continue
			}
			if names[f[0]] {
				return nil, false
			}
			names[f[0]] = true
		}
		return names, true
	}
	found := false
	if vals := headerValues(r, "Content-Security-Policy"); len(vals) > 0 {
		names, ok := parse(strings.Join(vals, ", "))
		if !ok {
			return false
		}
		found = names["frame-ancestors"]
	}
	for _, m := range r.Meta {
		if strings.EqualFold(m.HTTPEquiv, "Content-Security-Policy") {
			names, ok := parse(m.Content)
			if !ok {
				return false
			}
			found = found || names["frame-ancestors"]
			break
		}
	}
	return found
}

// nucleiXFOPattern is the template's x-frame-options matcher.
var nucleiXFOPattern = regexp.MustCompile(`(?i)x-frame-options`)

// nucleiFramable follows nuclei's http-missing-security-headers template
// (projectdiscovery/nuclei-templates): the x-frame-options matcher fires
// when no header line matches (?i)x-frame-options and the status is not 301
// or 302. Any value, even one browsers ignore, silences it, and CSP is not
// considered.
func nucleiFramable(r framing.Response) bool {
	if r.Status == 301 || r.Status == 302 {
		return false
	}
	var block strings.Builder
	for _, h := range r.Headers {
		fmt.Fprintf(&block, "%s: %s\r\n", h.Name, h.Value)
	}
	return !nucleiXFOPattern.MatchString(block.String())
}

// headerValues returns the values of every header line named name.
func headerValues(r framing.Response, name string) []string {
	var vals []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			vals = append(vals, h.Value)
		}
	}
	return vals
}

// isAttack reports whether some ancestor of c is not same-origin with the
// page.
func isAttack(t *testing.T, c corpustest.Record) bool {
	page, err := framing.ParseOrigin(c.VictimOrigin)
	if err != nil {
		t.Fatalf("%s: victim origin: %v", c.ID, err)
	}
	for _, a := range c.Ancestors {
		o, err := framing.ParseOrigin(a)
		if err != nil {
			t.Fatalf("%s: ancestor: %v", c.ID, err)
		}
		if !o.IsSameOrigin(page) {
			return true
		}
	}
	return false
}

type tool struct {
	name     string
	framable func(framing.Response) bool
}

var tools = []tool{
	{"OWASP ZAP rule 10020", zapFramable},
	{"Mozilla Observatory XFO test", observatoryFramable},
	{"nuclei missing-security-headers", nucleiFramable},
}

func TestAccuracy(t *testing.T) {
	t.Parallel()
	cases := corpustest.Read(t)

	// Score every line for the model, and the attack lines for everyone.
	type score struct{ lines, wrongLines, cases, wrongCases int }
	model := score{}
	scores := make([]score, len(tools))
	wrongByTool := make([][]string, len(tools))
	// A case (one set of headers) counts as framable by another origin when
	// Chromium rendered it on at least one of its attack lines.
	caseFramable := make(map[string]bool)
	modelCase := make(map[string]bool) // the model's answer per case, on the same lines
	caseResp := make(map[string]framing.Response)
	var caseOrder []string
	modelAll, modelAllWrong := 0, 0
	for _, c := range cases {
		resp := c.Response()
		v, err := framing.Evaluate(resp, c.Ancestors)
		if err != nil {
			t.Fatalf("%s: Evaluate: %v", c.ID, err)
		}
		modelAll++
		if v.Framable != c.Framed {
			modelAllWrong++
			t.Errorf("model disagrees with Chromium on %s: framable %v, want %v (%s)", c.ID, v.Framable, c.Framed, v.Reason)
		}
		if !isAttack(t, c) {
			continue
		}
		model.lines++
		if v.Framable != c.Framed {
			model.wrongLines++
		}
		for i, tl := range tools {
			scores[i].lines++
			if tl.framable(resp) != c.Framed {
				scores[i].wrongLines++
			}
		}
		if _, ok := caseResp[c.Case]; !ok {
			caseOrder = append(caseOrder, c.Case)
			caseResp[c.Case] = resp
		}
		caseFramable[c.Case] = caseFramable[c.Case] || c.Framed
		modelCase[c.Case] = modelCase[c.Case] || v.Framable
	}
	for _, k := range caseOrder {
		model.cases++
		if modelCase[k] != caseFramable[k] {
			model.wrongCases++
		}
		for i, tl := range tools {
			scores[i].cases++
			if tl.framable(caseResp[k]) != caseFramable[k] {
				scores[i].wrongCases++
				wrongByTool[i] = append(wrongByTool[i], k)
			}
		}
	}
	if modelAllWrong != 0 || model.wrongLines != 0 || model.wrongCases != 0 {
		t.Fatalf("the model disagrees with Chromium on %d of %d lines", modelAllWrong, modelAll)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Chromium corpus: %d lines, %d attack lines (an ancestor of another origin), %d header sets\n\n", modelAll, model.lines, model.cases)
	fmt.Fprintf(&b, "| checker | attack lines right | wrong | header sets right | wrong |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|\n")
	row := func(name string, sc score) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", name, sc.lines-sc.wrongLines, sc.wrongLines, sc.cases-sc.wrongCases, sc.wrongCases)
	}
	row("clickguard framing model", model)
	for i, tl := range tools {
		row(tl.name, scores[i])
	}
	b.WriteString("\n")
	for i, tl := range tools {
		fmt.Fprintf(&b, "%s is wrong on: %s\n", tl.name, strings.Join(wrongByTool[i], ", "))
	}
	t.Logf("model agrees with Chromium on all %d lines\n%s", modelAll, b.String())
}

// TestAccuracy_predicates pins the reference predicates to the behaviour
// their tools document, so that the accuracy table measures the tools and
// not a mistake in the predicates.
func TestAccuracy_predicates(t *testing.T) {
	t.Parallel()
	resp := func(status int, hs ...string) framing.Response {
		r := framing.Response{URL: "https://v.example/", Status: status}
		for _, h := range hs {
			name, value, _ := strings.Cut(h, ": ")
			r.Headers = append(r.Headers, framing.Header{Name: name, Value: value})
		}
		return r
	}
	tests := []struct {
		name     string
		tool     func(framing.Response) bool
		resp     framing.Response
		framable bool
	}{
		{"zap: no header", zapFramable, resp(200), true},
		{"zap: DENY", zapFramable, resp(200, "X-Frame-Options: DENY"), false},
		{"zap: ALLOW-FROM is malformed", zapFramable, resp(200, "X-Frame-Options: ALLOW-FROM https://a.example"), true},
		{"zap: substring deny passes", zapFramable, resp(200, "X-Frame-Options: DENY;"), false},
		{"zap: any frame-ancestors silences it", zapFramable, resp(200, "Content-Security-Policy: frame-ancestors *"), false},
		{"zap: skips 404", zapFramable, resp(404), false},
		{"zap: skips 500", zapFramable, resp(500), false},
		{"observatory: no header", observatoryFramable, resp(200), true},
		{"observatory: ALLOW-FROM passes", observatoryFramable, resp(200, "X-Frame-Options: ALLOW-FROM https://a.example"), false},
		{"observatory: ALLOWALL fails", observatoryFramable, resp(200, "X-Frame-Options: ALLOWALL"), true},
		{"observatory: repeated value fails", observatoryFramable, resp(200, "X-Frame-Options: SAMEORIGIN, SAMEORIGIN"), true},
		{"observatory: frame-ancestors * passes", observatoryFramable, resp(200, "Content-Security-Policy: frame-ancestors *"), false},
		{"observatory: repeated directive is invalid CSP", observatoryFramable, resp(200, "Content-Security-Policy: frame-ancestors 'none'; frame-ancestors *"), true},
		{"observatory: checks 404 too", observatoryFramable, resp(404), true},
		{"nuclei: no header", nucleiFramable, resp(200), true},
		{"nuclei: any value passes", nucleiFramable, resp(200, "X-Frame-Options: garbage"), false},
		{"nuclei: CSP is not considered", nucleiFramable, resp(200, "Content-Security-Policy: frame-ancestors 'none'"), true},
		{"nuclei: skips 302", nucleiFramable, resp(302), false},
	}
	for _, tc := range tests {
		if got := tc.tool(tc.resp); got != tc.framable {
			t.Errorf("%s: framable = %v, want %v", tc.name, got, tc.framable)
		}
	}
}
