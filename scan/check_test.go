package scan_test

import (
	"context"
	"encoding/json"
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
	"sync/atomic"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/scan"
)

// site is a test server whose pages are described by path.
type site struct {
	pages map[string]sitePage
	// errorPage answers every other path; nil means a protected 404.
	errorPage *sitePage
}

type sitePage struct {
	status  int
	headers [][2]string
	body    string
	// location, when set, makes the page a redirect.
	location string
}

func (s site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pages[r.URL.Path]
	if !ok {
		if s.errorPage != nil {
			p = *s.errorPage
		} else {
			p = sitePage{status: 404, headers: [][2]string{{"Content-Security-Policy", "frame-ancestors 'none'"}}}
		}
	}
	for _, h := range p.headers {
		w.Header()[h[0]] = append(w.Header()[h[0]], h[1])
	}
	if p.location != "" {
		w.Header().Set("Location", p.location)
	}
	if _, ok := w.Header()["Content-Type"]; !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	status := p.status
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	fmt.Fprint(w, p.body)
}

func scanOne(t *testing.T, srv *httptest.Server, opts scan.Options, path string) scan.Result {
	t.Helper()
	var got []scan.Result
	if err := scan.Run(t.Context(), opts, []string{srv.URL + path}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("Run emitted %d results, want 1", len(got))
	}
	return got[0]
}

// scanPage scans p, served alone at /p, with the default options, and
// fails t if the scan gives an error.
func scanPage(t *testing.T, p sitePage) scan.Result {
	t.Helper()
	srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": p}})
	t.Cleanup(srv.Close)
	r := scanOne(t, srv, scan.Options{}, "/p")
	if r.Error != "" {
		t.Fatalf("Error = %q", r.Error)
	}
	return r
}

// idSeverities lists a result's findings as "id:severity".
func idSeverities(r scan.Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.ID+":"+f.Severity.String())
	}
	slices.Sort(out)
	return out
}

func TestRun_findings(t *testing.T) {
	t.Parallel()
	const (
		csp = "Content-Security-Policy"
		ro  = "Content-Security-Policy-Report-Only"
		xfo = "X-Frame-Options"
		// metaDeny is a <meta> tag looked for only in an HTML body.
		metaDeny = `<meta http-equiv="X-Frame-Options" content="DENY">`
	)
	both := [][2]string{{csp, "frame-ancestors 'none'"}, {xfo, "DENY"}}
	tests := []struct {
		name string
		page sitePage
		want []string
		// fix, when set, is the fix of the first finding of want that has
		// one.
		fix string
	}{
		{"protected", sitePage{headers: both}, nil, ""},
		{"self with matching XFO", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self'"}, {xfo, "SAMEORIGIN"}}}, nil, ""},
		{"nothing", sitePage{}, []string{"no-protection:high"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"ALLOWALL", sitePage{headers: [][2]string{{xfo, "ALLOWALL"}}}, []string{"no-protection:high"}, ""},
		{"XFO DENY only", sitePage{headers: [][2]string{{xfo, "DENY"}}}, []string{"xfo-only:low"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"XFO SAMEORIGIN only", sitePage{headers: [][2]string{{xfo, "SAMEORIGIN"}}}, []string{"browser-difference:info", "xfo-only:low"}, ""},
		{"ALLOW-FROM", sitePage{headers: [][2]string{{xfo, "ALLOW-FROM https://partner.example"}}},
			[]string{"no-protection:high", "xfo-allow-from:medium"}, ""},
		{"ALLOW-FROM beside frame-ancestors", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self'"}, {xfo, "ALLOW-FROM https://partner.example"}}},
			[]string{"xfo-allow-from:info"}, ""},
		{"DENY with semicolon", sitePage{headers: [][2]string{{xfo, "DENY;"}}}, []string{"no-protection:high", "xfo-invalid:medium"}, ""},
		{"conflicting lines", sitePage{headers: [][2]string{{xfo, "SAMEORIGIN"}, {xfo, "DENY"}}}, []string{"xfo-conflict:medium"}, "X-Frame-Options: DENY"},
		{"duplicated lines", sitePage{headers: [][2]string{{xfo, "DENY"}, {xfo, "DENY"}}}, []string{"xfo-duplicate:info", "xfo-only:low"}, ""},
		// Chromium trims a VT or an FF around a value, Firefox (measured)
		// does not, and ignores the header.
		{"DENY between vertical tabs", sitePage{headers: [][2]string{{xfo, "\vDENY\v"}}}, []string{"xfo-firefox-ignores:medium", "xfo-only:low"}, "X-Frame-Options: DENY"},
		{"SAMEORIGIN after a form feed, twice", sitePage{headers: [][2]string{{xfo, "\fSAMEORIGIN"}, {xfo, " \fsameorigin"}}},
			[]string{"browser-difference:info", "xfo-duplicate:info", "xfo-firefox-ignores:medium", "xfo-only:low"}, ""},
		// Two values that Chromium reads as a conflict are two unknown
		// values to Firefox, which keeps a VT or FF: it ignores the header.
		{"quoted DENY beside DENY after a vertical tab", sitePage{headers: [][2]string{{xfo, "'DENY'"}, {xfo, "\vDENY"}}},
			[]string{"xfo-conflict:medium", "xfo-firefox-ignores:medium"}, ""},
		{"ALLOWALL after a form feed beside another value", sitePage{headers: [][2]string{{xfo, "foo"}, {xfo, "\fALLOWALL"}}},
			[]string{"xfo-conflict:medium", "xfo-firefox-ignores:medium"}, ""},
		// Firefox splits at the commas of a quoted string: SAMEORIGIN
		// among other values, a conflict; Chromium ignores the header.
		{"SAMEORIGIN in an unterminated quoted string", sitePage{headers: [][2]string{{xfo, "foo"}, {xfo, `"SAMEORIGIN,,SAMEORIGIN`}}},
			[]string{"no-protection:high", "xfo-invalid:medium", "xfo-invalid:medium"}, ""},
		// A second value, DENY, makes a conflict that Firefox blocks.
		{"DENY between vertical tabs beside DENY", sitePage{headers: [][2]string{{xfo, "\vDENY\v"}, {xfo, "DENY"}}}, []string{"xfo-duplicate:info", "xfo-only:low"}, ""},
		{"DENY between vertical tabs beside frame-ancestors", sitePage{headers: [][2]string{{csp, "frame-ancestors 'none'"}, {xfo, "\vDENY\v"}}}, nil, ""},
		{"misspelled header", sitePage{headers: [][2]string{{"X-Frame-Option", "DENY"}}}, []string{"header-misspelled:medium", "no-protection:high"}, ""},
		{"XFO in meta", sitePage{body: `<meta http-equiv="X-Frame-Options" content="SAMEORIGIN">`},
			[]string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"frame-ancestors in meta beside XFO", sitePage{headers: [][2]string{{xfo, "DENY"}}, body: `<meta http-equiv="Content-Security-Policy" content="frame-ancestors 'none'">`},
			[]string{"meta-frame-ancestors:low", "xfo-only:low"}, ""},
		{"report-only", sitePage{headers: [][2]string{{ro, "frame-ancestors 'none'"}}},
			[]string{"csp-report-only:medium", "no-protection:high"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"star", sitePage{headers: [][2]string{{csp, "frame-ancestors *"}}}, []string{"overbroad-source:high"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"https scheme beside self", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' http:"}}}, []string{"overbroad-source:high"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"https scheme on an http page", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https:"}}}, []string{"overbroad-source:low"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"star restricted by a second policy", sitePage{headers: [][2]string{{csp, "frame-ancestors *"}, {csp, "frame-ancestors 'none'"}}}, []string{"overbroad-source:low"}, ""},
		{"comma-joined sources", sitePage{headers: [][2]string{{csp, "frame-ancestors https://partner.example, 'self'"}}},
			[]string{"csp-comma:medium", "embeddable:info"}, "Content-Security-Policy: frame-ancestors https://partner.example 'self'"},
		{"source with path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/embed/"}}},
			[]string{"embeddable:info", "source-path:medium"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"none mixed", sitePage{headers: [][2]string{{csp, "frame-ancestors 'none' https://partner.example"}}},
			[]string{"embeddable:info", "none-mixed:medium"}, ""},
		{"invalid keyword", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' 'unsafe-inline'"}}}, []string{"invalid-source:low"}, "Content-Security-Policy: frame-ancestors 'self'"},
		// Firefox (measured) reads the origin before the query.
		{"a query after the host", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example?x"}}}, []string{"invalid-source:low"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"a fragment after the port", sitePage{headers: [][2]string{{csp, "frame-ancestors https://partner.example:8443#x"}}}, []string{"invalid-source:low"}, "Content-Security-Policy: frame-ancestors https://partner.example:8443"},
		// Without it the directive would be empty: the fix says 'none'.
		{"only an invalid keyword", sitePage{headers: [][2]string{{csp, "frame-ancestors 'unsafe-inline'"}}}, []string{"invalid-source:low"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"unquoted none", sitePage{headers: [][2]string{{csp, "frame-ancestors none"}}}, []string{"unquoted-keyword:low"}, "Content-Security-Policy: frame-ancestors 'none'"},
		// Keywords are case-insensitive, and so is their unquoted form:
		// Chromium (measured) matches SELF as a host named self.
		{"unquoted self in upper case", sitePage{headers: [][2]string{{csp, "frame-ancestors SELF"}}}, []string{"unquoted-keyword:low"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"unquoted none in title case", sitePage{headers: [][2]string{{csp, "frame-ancestors None"}}}, []string{"unquoted-keyword:low"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"unquoted self in title case beside a partner", sitePage{headers: [][2]string{{csp, "frame-ancestors Self https://partner.example"}}},
			[]string{"embeddable:info", "unquoted-keyword:low"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"unquoted self beside a partner", sitePage{headers: [][2]string{{csp, "frame-ancestors self https://partner.example"}}},
			[]string{"embeddable:info", "unquoted-keyword:low"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"duplicate directive", sitePage{headers: [][2]string{{csp, "frame-ancestors 'none'; frame-ancestors *"}}}, []string{"csp-duplicate-directive:low"}, ""},
		{"misspelled directive", sitePage{headers: [][2]string{{csp, "frame-ancestor 'none'"}}},
			[]string{"csp-directive-misspelled:medium", "no-protection:high"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"empty frame-ancestors", sitePage{headers: [][2]string{{csp, "frame-ancestors"}}}, []string{"empty-frame-ancestors:info"}, ""},
		// A VT is no whitespace in a policy (Chromium 156): the name runs on.
		{"frame-ancestors joined to its sources", sitePage{headers: [][2]string{{csp, "frame-ancestors\v'self'\vhttps://partner.example"}}},
			[]string{"csp-directive-misspelled:medium", "no-protection:high", "older-chromium-differs:info"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		// Browsers drop a directive with a byte they do not allow: nothing
		// in it is analysed as if in force.
		{"frame-ancestors with an invalid byte", sitePage{headers: [][2]string{{csp, "frame-ancestors 'none' \xff"}}},
			[]string{"frame-ancestors-ignored:medium", "no-protection:high"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"frame-ancestors with an invalid byte beside XFO", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://\xe9.example"}, {xfo, "DENY"}}},
			[]string{"frame-ancestors-ignored:low", "xfo-only:low"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"http source with port", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' http://partner.example:8080"}}},
			[]string{"browser-difference:info", "embeddable:info"}, ""},
		{"IP source", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://192.0.2.1"}}},
			[]string{"browser-difference:info", "embeddable:info"}, ""},
		{"source naming the foreign origin", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' http://attacker.example"}}},
			[]string{"framable-by-foreign:high"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"wildcard over a single label", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' *.example"}}},
			[]string{"overbroad-source:high"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"wildcard over a public suffix", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' *.com"}}},
			[]string{"overbroad-source:high"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"wildcard over a two-label public suffix", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' http://*.co.uk:*"}}},
			[]string{"overbroad-source:high"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"wildcard over a private public suffix", sitePage{headers: [][2]string{{csp, "frame-ancestors *.github.io https://partner.example"}}},
			[]string{"overbroad-source:high"}, "Content-Security-Policy: frame-ancestors https://partner.example"},
		{"wildcard over a public suffix restricted by a second policy", sitePage{headers: [][2]string{{csp, "frame-ancestors *.com"}, {csp, "frame-ancestors 'self'"}}},
			[]string{"overbroad-source:low"}, ""},
		{"https wildcard over a public suffix on an http page", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://*.com"}}},
			[]string{"overbroad-source:low"}, ""},
		{"wildcard under a registrable domain", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' *.partner.example.com"}}},
			[]string{"embeddable:info"}, ""},
		{"declared embed page", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example"}}},
			[]string{"embeddable:info"}, ""},
		// One unknown value each, so no conflict: the header is ignored.
		{"quote inside a value", sitePage{headers: [][2]string{{xfo, `a"b,DENY`}}},
			[]string{"no-protection:high", "xfo-invalid:medium"}, ""},
		{"quoted commas", sitePage{headers: [][2]string{{xfo, `"a, DENY, "`}}},
			[]string{"no-protection:high", "xfo-invalid:medium"}, ""},
		// Single quotes are ordinary: three values, a conflict that blocks.
		{"single quotes", sitePage{headers: [][2]string{{xfo, "'a, DENY, '"}}},
			[]string{"xfo-conflict:medium"}, "X-Frame-Options: DENY"},
		// A source whose only path is "/" before a query has no path.
		{"query after the root path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/?embed"}}},
			[]string{"embeddable:info"}, ""},
		{"fragment after the root path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/#x"}}},
			[]string{"embeddable:info"}, ""},
		{"query after a path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/embed?x"}}},
			[]string{"embeddable:info", "source-path:medium"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		// Chromium and Firefox match ws: and wss: sources against
		// WebSocket URLs only; WebKit (measured), as CSP 3 says, against
		// http and https pages too.
		{"ws scheme", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' ws:"}}},
			[]string{"ws-source:medium"}, "Content-Security-Policy: frame-ancestors 'self'"},
		{"wss scheme alone", sitePage{headers: [][2]string{{csp, "frame-ancestors wss:"}}},
			[]string{"ws-source:medium"}, "Content-Security-Policy: frame-ancestors 'none'"},
		{"ws host source", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' ws://partner.example"}}},
			[]string{"browser-difference:info", "embeddable:info"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"image", sitePage{headers: append([][2]string{{"Content-Type", "image/png"}}, both...), body: "\x89PNG\r\n"}, []string{"not-html:info"}, ""},
		{"unprotected JSON", sitePage{headers: [][2]string{{"Content-Type", "application/json"}}, body: `{"ok":true}`}, []string{"no-protection:low", "not-html:info"}, ""},
		// Content-Type lines that mime.ParseMediaType refuses, or that it
		// reads only the first of: Chromium renders each as HTML (checked
		// with --dump-dom), taking the essence of the last value with a
		// '/', across lines, as the framing model does.
		{"HTML with an empty charset", sitePage{headers: [][2]string{{"Content-Type", "text/html; charset="}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"HTML with a trailing ;;", sitePage{headers: [][2]string{{"Content-Type", "text/html; charset=utf-8;;"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"text/plain, text/html", sitePage{headers: [][2]string{{"Content-Type", "text/plain, text/html"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"text/plain then text/html", sitePage{headers: [][2]string{{"Content-Type", "text/plain"}, {"Content-Type", "text/html"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"text/html then text/plain", sitePage{headers: [][2]string{{"Content-Type", "text/html"}, {"Content-Type", "text/plain"}}, body: metaDeny}, []string{"no-protection:low", "not-html:info"}, ""},
		// Types that make Chromium sniff the body: HTML renders as HTML
		// (checked with --dump-dom in Chromium 156.0.8078.129).
		{"HTML as unknown/unknown", sitePage{headers: [][2]string{{"Content-Type", "unknown/unknown"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"HTML as application/unknown", sitePage{headers: [][2]string{{"Content-Type", "application/unknown"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		// Chromium reads a type up to a space, a tab, ';' or '(' (measured
		// in 156.0.8078.129, framing/testdata/no-document.json): "text
		// /html" gives no type, so the body is sniffed; "*/* x" asks for
		// sniffing; a forgotten ';' keeps the type.
		// Under nosniff Chromium sniffs nothing: HTML without a type shows
		// as text (measured), a page with no markup to click.
		{"HTML without a type, nosniff", sitePage{headers: [][2]string{{"Content-Type", ""}, {"X-Content-Type-Options", "nosniff"}}, body: metaDeny}, []string{"no-protection:low", "not-html:info"}, ""},
		{"HTML as text /html", sitePage{headers: [][2]string{{"Content-Type", "text /html"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"HTML as */* and a word", sitePage{headers: [][2]string{{"Content-Type", "*/* x"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"XHTML with a charset after a space", sitePage{headers: [][2]string{{"Content-Type", "application/xhtml+xml charset=utf-8"}}, body: metaDeny}, []string{"meta-xfo:medium", "no-protection:high"}, ""},
		{"text/csv and a word", sitePage{headers: [][2]string{{"Content-Type", "text/csv x"}}, body: "a,b\n"}, []string{"no-document:info"}, ""},
		// A binary body that Chromium's sniffer takes for a script renders
		// as text.
		{"binary script without a type", sitePage{headers: [][2]string{{"Content-Type", ""}}, body: "#!/bin/sh\x00\x01"}, []string{"no-protection:low", "not-html:info"}, ""},
		{"text/plain holding a GIF", sitePage{headers: [][2]string{{"Content-Type", "text/plain"}}, body: "GIF89a\x01\x00\x01\x00\x00\x00\x00;"}, []string{"no-protection:low", "not-html:info"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := scanPage(t, tc.page)
			if diff := cmp.Diff(tc.want, idSeverities(r)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s\nfindings: %+v", diff, r.Findings)
			}
			for i, f := range r.Findings {
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.ID)
				}
				if i > 0 && f.Severity > r.Findings[i-1].Severity {
					t.Errorf("finding %s (%s) follows a less severe one", f.ID, f.Severity)
				}
			}
			checkFixes(t, r.URL, r)
			if tc.fix != "" {
				var got string
				for _, id := range tc.want {
					for _, f := range r.Findings {
						if got == "" && f.ID+":"+f.Severity.String() == id {
							got = f.Fix
						}
					}
				}
				if got != tc.fix {
					t.Errorf("fix = %q, want %q", got, tc.fix)
				}
			}
		})
	}
}

// checkFixes checks that the fix of each of r's findings protects the page
// at pageURL: a response that sends only the fix's headers keeps the
// foreign origin of r's first verdict out.
func checkFixes(t *testing.T, pageURL string, r scan.Result) {
	t.Helper()
	foreign := r.Verdicts[0].Ancestors[0]
	for _, f := range r.Findings {
		if f.Fix == "" {
			continue
		}
		framable, why, err := scan.FixFramable(pageURL, f.Fix, foreign, false)
		if err != nil {
			t.Errorf("%s: fix %q: %v", f.ID, f.Fix, err)
		} else if framable {
			t.Errorf("%s: fix %q, sent alone, lets %s frame the page: %s", f.ID, f.Fix, foreign, why)
		}
	}
}

// TestRun_fixes checks the fix of one finding of a page, where the page has
// several that have one, or a fix that protects the page but says
// otherwise than the page meant. A fix never keeps a source that lets any
// site frame the page, nor one that matches nothing: it is the directive
// as it should be sent.
func TestRun_fixes(t *testing.T) {
	t.Parallel()
	const (
		csp = "Content-Security-Policy"
		ro  = "Content-Security-Policy-Report-Only"
	)
	meta := func(equiv, content string) string {
		return fmt.Sprintf("<meta http-equiv=%q content=%q>", equiv, content)
	}
	tests := []struct {
		name    string
		page    sitePage
		id, fix string
	}{
		// The broad source's fix kept ws:, which WebKit matches against
		// every page, and ws-source's kept http:.
		{"http and ws schemes, overbroad", sitePage{headers: [][2]string{{csp, "frame-ancestors http: ws:"}}}, "overbroad-source", "Content-Security-Policy: frame-ancestors 'self'"},
		{"http and ws schemes, ws", sitePage{headers: [][2]string{{csp, "frame-ancestors http: ws:"}}}, "ws-source", "Content-Security-Policy: frame-ancestors 'self'"},
		// 'unsafe-inline' alone matches nothing, the page's origin neither.
		{"star and an invalid keyword, overbroad", sitePage{headers: [][2]string{{csp, "frame-ancestors * 'unsafe-inline'"}}}, "overbroad-source", "Content-Security-Policy: frame-ancestors 'self'"},
		{"star and an invalid keyword, invalid", sitePage{headers: [][2]string{{csp, "frame-ancestors * 'unsafe-inline'"}}}, "invalid-source", "Content-Security-Policy: frame-ancestors 'self'"},
		{"star and a source with a path", sitePage{headers: [][2]string{{csp, "frame-ancestors * https://partner.example/embed"}}}, "source-path", "Content-Security-Policy: frame-ancestors https://partner.example"},
		{"star and an unquoted self", sitePage{headers: [][2]string{{csp, "frame-ancestors self *"}}}, "unquoted-keyword", "Content-Security-Policy: frame-ancestors 'self'"},
		{"star and an http source with a port", sitePage{headers: [][2]string{{csp, "frame-ancestors * http://partner.example:8080"}}}, "browser-difference",
			"Content-Security-Policy: frame-ancestors http://partner.example:8080 https://partner.example:8080"},
		{"star and a ws host source", sitePage{headers: [][2]string{{csp, "frame-ancestors * ws://partner.example"}}}, "browser-difference", "Content-Security-Policy: frame-ancestors https://partner.example"},
		{"star first of two directives", sitePage{headers: [][2]string{{csp, "frame-ancestors *; frame-ancestors 'self'"}}}, "csp-duplicate-directive", "Content-Security-Policy: frame-ancestors 'self'"},
		{"misspelled directive with star", sitePage{headers: [][2]string{{csp, "frame-ancestor *"}}}, "csp-directive-misspelled", "Content-Security-Policy: frame-ancestors 'self'"},
		{"star with an invalid byte", sitePage{headers: [][2]string{{csp, "frame-ancestors * \xff"}}}, "frame-ancestors-ignored", "Content-Security-Policy: frame-ancestors 'self'"},
		{"ws scheme and an invalid keyword", sitePage{headers: [][2]string{{csp, "frame-ancestors ws: 'unsafe-inline'"}}}, "invalid-source", "Content-Security-Policy: frame-ancestors 'none'"},
		// A source that names the foreign origin itself stays out too.
		// A policy browsers ignore where it is, which would let any site
		// in where they enforce it, is no fix.
		{"report-only star", sitePage{headers: [][2]string{{ro, "frame-ancestors *"}}}, "csp-report-only", "Content-Security-Policy: frame-ancestors 'self'"},
		{"star in meta beside a header", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self'"}}, body: meta(csp, "frame-ancestors *")},
			"meta-frame-ancestors", "Content-Security-Policy: frame-ancestors 'self'"},
		{"ALLOWALL in meta", sitePage{body: meta("X-Frame-Options", "ALLOWALL")}, "meta-xfo", "Content-Security-Policy: frame-ancestors 'none'"},
		{"ALLOW-FROM in meta", sitePage{body: meta("X-Frame-Options", "ALLOW-FROM https://partner.example")},
			"meta-xfo", "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"SAMEORIGIN; in meta", sitePage{body: meta("X-Frame-Options", "SAMEORIGIN;")}, "meta-xfo", "X-Frame-Options: SAMEORIGIN"},
		// A source after a comma joins the directive before it, but not a
		// broad one; a policy under an obsolete or misspelled name is sent
		// as one that protects the page.
		{"comma before a star", sitePage{headers: [][2]string{{csp, "frame-ancestors https://partner.example, *"}}},
			"csp-comma", "Content-Security-Policy: frame-ancestors https://partner.example"},
		{"misspelled header with ALLOW-FROM", sitePage{headers: [][2]string{{"X-Frame-Option", "ALLOW-FROM https://partner.example"}}},
			"header-misspelled", "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"obsolete header with a star", sitePage{headers: [][2]string{{"X-Content-Security-Policy", "default-src 'self'; frame-ancestors *"}}},
			"header-misspelled", "Content-Security-Policy: frame-ancestors 'self'; default-src 'self'"},
		{"obsolete header without frame-ancestors", sitePage{headers: [][2]string{{"X-Content-Security-Policy", "default-src 'self'"}}},
			"header-misspelled", "Content-Security-Policy: frame-ancestors 'self'\nContent-Security-Policy: default-src 'self'"},
		// No frame-ancestors source can name these origins.
		{"ALLOW-FROM a host with an underscore", sitePage{headers: [][2]string{{"X-Frame-Options", "ALLOW-FROM https://partner_x.example"}}},
			"xfo-allow-from", "Content-Security-Policy: frame-ancestors 'self'"},
		{"ALLOW-FROM an IPv6 address", sitePage{headers: [][2]string{{"X-Frame-Options", "ALLOW-FROM http://[::1]:8080"}}},
			"xfo-allow-from", "Content-Security-Policy: frame-ancestors 'self'"},
		{"ALLOW-FROM a host", sitePage{headers: [][2]string{{"X-Frame-Options", "ALLOW-FROM https://partner.example"}}},
			"xfo-allow-from", "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
		{"foreign origin and an invalid keyword", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' http://attacker.example 'unsafe-inline'"}}}, "invalid-source", "Content-Security-Policy: frame-ancestors 'self'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := scanPage(t, tc.page)
			checkFixes(t, r.URL, r)
			i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.ID == tc.id })
			if i < 0 {
				t.Fatalf("no %s finding: %v", tc.id, idSeverities(r))
			}
			if got := r.Findings[i].Fix; got != tc.fix {
				t.Errorf("%s fix = %q, want %q", tc.id, got, tc.fix)
			}
		})
	}
}

// TestRun_noneMixed checks what none-mixed says of the sources beside
// 'none': that they are allowed, or, when none of them matches a page,
// that the directive blocks every frame all the same.
func TestRun_noneMixed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, policy, want string
	}{
		{"beside a host", "frame-ancestors 'none' https://partner.example", "the directive allows them"},
		{"beside a keyword that matches nothing", "frame-ancestors 'none' 'unsafe-inline'", "blocks every frame all the same"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := scanPage(t, sitePage{headers: [][2]string{{"Content-Security-Policy", tc.policy}}})
			i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.ID == "none-mixed" })
			if i < 0 {
				t.Fatalf("no none-mixed finding: %v", idSeverities(r))
			}
			if msg := r.Findings[i].Message; !strings.Contains(msg, tc.want) {
				t.Errorf("none-mixed message = %q, want it to say %q", msg, tc.want)
			}
		})
	}
}

// TestRun_ignoredFrameAncestors checks what the scanner says of a
// frame-ancestors that browsers drop for a byte they do not allow: the
// verdict's reason and the no-protection finding say so, with the header
// line as evidence.
func TestRun_ignoredFrameAncestors(t *testing.T) {
	t.Parallel()
	const header = "Content-Security-Policy: frame-ancestors 'none' \xff"
	srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": {headers: [][2]string{
		{"Content-Security-Policy", "frame-ancestors 'none' \xff"},
	}}}})
	defer srv.Close()
	r := scanOne(t, srv, scan.Options{}, "/p")
	if len(r.Verdicts) == 0 {
		t.Fatalf("no verdicts: %+v", r)
	}
	for _, v := range r.Verdicts {
		if want := "frame-ancestors is ignored because its value holds a byte that is not allowed (0xFF)"; !v.Framable || !strings.Contains(v.Reason, want) {
			t.Errorf("verdict %q: framable %v, %q; want framable, saying %q", v.Chain, v.Framable, v.Reason, want)
		}
	}
	var found bool
	for _, f := range r.Findings {
		if f.ID != "no-protection" {
			continue
		}
		found = true
		if !strings.Contains(f.Message, "ignore the Content-Security-Policy frame-ancestors directive because its value holds a byte that is not allowed") {
			t.Errorf("no-protection message %q does not say why frame-ancestors is ignored", f.Message)
		}
		if diff := cmp.Diff([]string{header}, f.Evidence); diff != "" {
			t.Errorf("no-protection evidence mismatch (-want +got):\n%s", diff)
		}
	}
	if !found {
		t.Errorf("no no-protection finding in %+v", r.Findings)
	}
}

// TestRun_embeddable checks that the embeddable finding names who may
// frame the page under every enforced policy, not under the one that
// names the hosts alone.
func TestRun_embeddable(t *testing.T) {
	t.Parallel()
	const csp = "Content-Security-Policy"
	for _, tc := range []struct {
		name    string
		headers [][2]string
		want    []string // in the first embeddable message, in order
	}{
		{"one policy", [][2]string{{csp, "frame-ancestors 'self' https://partner.example"}},
			[]string{"The page may be framed only by https://partner.example, and its own origin; other sites cannot frame it."}},
		{"a second policy of 'self'", [][2]string{{csp, "frame-ancestors https://partner.example"}, {csp, "frame-ancestors 'self'"}},
			[]string{"frame-ancestors names https://partner.example, but browsers do not let it frame the page (Content-Security-Policy: frame-ancestors 'self' does not allow ancestor https://partner.example", "policy 2 of 2", "): no site may frame it."}},
		{"a second policy of 'none'", [][2]string{{csp, "frame-ancestors 'self' https://partner.example"}, {csp, "frame-ancestors 'none'"}},
			[]string{"frame-ancestors names https://partner.example, but browsers do not let it frame the page (Content-Security-Policy: frame-ancestors 'none' does not allow ancestor https://partner.example", "policy 2 of 2", "): no site may frame it."}},
		{"one partner of two kept out", [][2]string{{csp, "frame-ancestors https://a.example https://b.example"}, {csp, "frame-ancestors https://a.example"}},
			[]string{"The page may be framed only by https://a.example; other sites cannot frame it. frame-ancestors also names https://b.example, which browsers do not let frame the page (Content-Security-Policy: frame-ancestors https://a.example does not allow ancestor https://b.example", "policy 2 of 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := scanPage(t, sitePage{headers: tc.headers})
			var got []string
			for _, f := range r.Findings {
				if f.ID == "embeddable" {
					got = append(got, f.Message)
				}
			}
			if len(got) == 0 {
				t.Fatalf("no embeddable finding in %+v", r.Findings)
			}
			rest := got[0]
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("embeddable message %q does not say %q (in order)", got[0], w)
					break
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestRun_embeddableManySources: when frame-ancestors names more sources
// than the checks look at one by one, the embeddable finding does not claim
// that the hosts it lists are the only ones that may frame the page: the
// sources it did not look at (here a 100th host) may let others in.
func TestRun_embeddableManySources(t *testing.T) {
	t.Parallel()
	var sources []string
	for i := range 100 {
		sources = append(sources, fmt.Sprintf("https://h%d.example", i))
	}
	srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": {headers: [][2]string{
		{"Content-Security-Policy", "frame-ancestors " + strings.Join(sources, " ")},
	}}}})
	defer srv.Close()
	r := scanOne(t, srv, scan.Options{}, "/p")
	var msg string
	for _, f := range r.Findings {
		if f.ID == "embeddable" {
			msg = f.Message
		}
	}
	if msg == "" {
		t.Fatalf("no embeddable finding in %+v", r.Findings)
	}
	if strings.Contains(msg, "other sites cannot frame it") || strings.Contains(msg, "only by") {
		t.Errorf("embeddable message %q says the listed hosts are the only ones, but https://h99.example may frame the page too", msg)
	}
	if !strings.Contains(msg, "36 more sources") {
		t.Errorf("embeddable message %q does not say that 36 more sources were not looked at", msg)
	}
}

// TestRun_noProtectionEvidence: the evidence of no-protection names the
// framing policies browsers ignore in <meta> tags, and no other tag.
func TestRun_noProtectionEvidence(t *testing.T) {
	t.Parallel()
	const others = `<meta http-equiv="Content-Type" content="text/html; charset=utf-8">` +
		`<meta http-equiv="refresh" content="30">` +
		`<meta http-equiv="Content-Security-Policy" content="default-src 'self'">`
	srv := httptest.NewServer(site{pages: map[string]sitePage{
		"/others":  {body: others},
		"/framing": {body: others + `<meta http-equiv="X-Frame-Options" content="DENY"><meta http-equiv="content-security-policy" content="img-src *; frame-ancestors 'none'">`},
	}})
	defer srv.Close()
	for path, want := range map[string][]string{
		"/others": {"(no X-Frame-Options or Content-Security-Policy frame-ancestors header)"},
		"/framing": {
			`<meta http-equiv="X-Frame-Options" content="DENY">`,
			`<meta http-equiv="content-security-policy" content="img-src *; frame-ancestors 'none'">`,
		},
	} {
		r := scanOne(t, srv, scan.Options{SkipErrorPage: true}, path)
		i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.ID == "no-protection" })
		if i < 0 {
			t.Errorf("%s: no no-protection finding in %+v", path, r.Findings)
			continue
		}
		if diff := cmp.Diff(want, r.Findings[i].Evidence); diff != "" {
			t.Errorf("%s: no-protection evidence mismatch (-want +got):\n%s", path, diff)
		}
	}
}

func TestRun_evidenceIsExactHeaderLines(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": {headers: [][2]string{
		{"X-Frame-Options", "ALLOW-FROM https://partner.example"},
	}}}})
	defer srv.Close()
	r := scanOne(t, srv, scan.Options{}, "/p")
	for _, f := range r.Findings {
		if f.ID == "xfo-allow-from" {
			want := []string{"X-Frame-Options: ALLOW-FROM https://partner.example"}
			if diff := cmp.Diff(want, f.Evidence); diff != "" {
				t.Errorf("evidence mismatch (-want +got):\n%s", diff)
			}
			if f.Fix != "Content-Security-Policy: frame-ancestors 'self' https://partner.example" {
				t.Errorf("fix = %q", f.Fix)
			}
			return
		}
	}
	t.Fatalf("no xfo-allow-from finding in %+v", r.Findings)
}

func TestRun_verdicts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(site{pages: map[string]sitePage{
		"/self": {headers: [][2]string{{"X-Frame-Options", "SAMEORIGIN"}}},
	}})
	defer srv.Close()
	own := srv.URL
	r := scanOne(t, srv, scan.Options{}, "/self")
	type v struct {
		Chain     string
		Ancestors []string
		Framable  bool
		DecidedBy string
	}
	var got []v
	for _, x := range r.Verdicts {
		got = append(got, v{x.Chain, x.Ancestors, x.Framable, x.DecidedBy})
		if x.Reason == "" {
			t.Errorf("verdict for %v has no reason", x.Ancestors)
		}
	}
	want := []v{
		{scan.ChainForeign, []string{"http://attacker.example"}, false, "xfo"},
		{scan.ChainSelf, []string{own}, true, "xfo"},
		{scan.ChainDouble, []string{own, "http://attacker.example"}, false, "xfo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts mismatch (-want +got):\n%s", diff)
	}

	// With chains given, exactly those are reported, each once, in the
	// form browsers serialise their origins.
	chains := [][]string{{"null"}, {strings.ToUpper(own) + "/"}, {own, own}, {own}}
	r = scanOne(t, srv, scan.Options{Chains: chains}, "/self")
	got = nil
	for _, x := range r.Verdicts {
		got = append(got, v{x.Chain, x.Ancestors, x.Framable, x.DecidedBy})
	}
	want = []v{
		{"", []string{"null"}, false, "xfo"},
		{"", []string{own}, true, "xfo"},
		{"", []string{own, own}, true, "xfo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts with chains mismatch (-want +got):\n%s", diff)
	}
	// Findings still come from the standard chains.
	if !slices.Contains(idSeverities(r), "xfo-only:low") {
		t.Errorf("findings with chains = %v, want xfo-only", idSeverities(r))
	}
}

// TestRun_unicodeChain: a chain origin written with a host name outside
// ASCII is judged, and reported, in the form browsers give it, which is the
// form a frame-ancestors source must use.
func TestRun_unicodeChain(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors https://xn--bcher-kva.example")
	}))
	defer srv.Close()
	chains := [][]string{{"https://bücher.example"}, {"https://BÜCHER.example:8443"}, {"https://büchern.example"}}
	r := scanOne(t, srv, scan.Options{Chains: chains, SkipErrorPage: true}, "/")
	type v struct {
		ancestors []string
		framable  bool
	}
	var got []v
	for _, x := range r.Verdicts {
		got = append(got, v{x.Ancestors, x.Framable})
	}
	want := []v{
		{[]string{"https://xn--bcher-kva.example"}, true},
		{[]string{"https://xn--bcher-kva.example:8443"}, false},
		{[]string{"https://xn--bchern-3ya.example"}, false},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(v{})); diff != "" {
		t.Errorf("verdicts mismatch (-want +got):\n%s", diff)
	}
}

func TestParseChainOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://bücher.example", "https://xn--bcher-kva.example"},
		{"http://faß.example:8080", "http://xn--fa-hia.example:8080"}, // nontransitional, as Chromium
		{"http://ＥＸＡＭＰＬＥ．com", "http://example.com"},
		{"HTTPS://A.EXAMPLE:443", "https://a.example"},
		{" https://a.example/ ", "https://a.example"},
		{"https://a.example:8443/", "https://a.example:8443"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://[::1]:80", "http://[::1]"},
		{"null", "null"},
		{"null (sandboxed)", "null (sandboxed)"},
	} {
		if got, err := scan.ParseChainOrigin(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseChainOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"https://a\u200db.example", "https://\u05d0a.example", "https://bücher.example/path", "bücher.example", ""} {
		if got, err := scan.ParseChainOrigin(in); err == nil {
			t.Errorf("ParseChainOrigin(%q) = %q, want an error", in, got)
		}
	}
}

// TestRun_errorPageUnchecked: a probe of the missing page that fails (the
// server limits the scan, or closes the connection) does not fail the
// scan, but every URL of the origin, whose probe it shares, says that its
// error pages were not checked, and why.
func TestRun_errorPageUnchecked(t *testing.T) {
	t.Parallel()
	protected := sitePage{headers: [][2]string{{"Content-Security-Policy", "frame-ancestors 'none'"}}}
	for name, probe := range map[string]http.HandlerFunc{
		"rate limited": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"connection closed": func(w http.ResponseWriter, r *http.Request) {
			c, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				c.Close()
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pages := site{pages: map[string]sitePage{"/p": protected, "/q": protected}}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/clickguard-scan-") {
					probe(w, r)
					return
				}
				pages.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			var got []scan.Result
			if err := scan.Run(t.Context(), scan.Options{Concurrency: 1}, []string{srv.URL + "/p", srv.URL + "/q"}, func(r scan.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			for _, r := range got {
				if r.Error != "" {
					t.Errorf("%s: error %q, want the page judged", r.URL, r.Error)
				}
				if diff := cmp.Diff([]string{"error-page-unchecked:info"}, idSeverities(r)); diff != "" {
					t.Errorf("%s: findings mismatch (-want +got):\n%s", r.URL, diff)
					continue
				}
				if ev := r.Findings[0].Evidence; len(ev) != 1 || !strings.Contains(ev[0], "/clickguard-scan-") {
					t.Errorf("%s: evidence %q, want the probe's error", r.URL, ev)
				}
			}
		})
	}
}

func TestRun_errorPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		errorPage sitePage
		want      bool
	}{
		{"unprotected 404", sitePage{status: 404}, true},
		{"unprotected 500", sitePage{status: 500}, true},
		{"protected 404", sitePage{status: 404, headers: [][2]string{{"X-Frame-Options", "DENY"}}}, false},
		{"soft 404 with status 200", sitePage{status: 200}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(site{
				pages:     map[string]sitePage{"/p": {headers: [][2]string{{"Content-Security-Policy", "frame-ancestors 'none'"}}}},
				errorPage: &tc.errorPage,
			})
			defer srv.Close()
			r := scanOne(t, srv, scan.Options{}, "/p")
			got := slices.Contains(idSeverities(r), "error-page-framable:medium")
			if got != tc.want {
				t.Errorf("error-page-framable = %v, want %v (findings %v)", got, tc.want, idSeverities(r))
			}
			if got {
				ev := r.Findings[0].Evidence[0]
				if !strings.Contains(ev, "/clickguard-scan-") || !strings.Contains(ev, fmt.Sprint(tc.errorPage.status)) {
					t.Errorf("evidence %q does not name the probed URL and its status", ev)
				}
			}
			// Without the probe there is no such finding.
			r = scanOne(t, srv, scan.Options{SkipErrorPage: true}, "/p")
			if slices.Contains(idSeverities(r), "error-page-framable:medium") {
				t.Errorf("error-page-framable reported with SkipErrorPage")
			}
		})
	}
}

func TestRun_redirect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(site{pages: map[string]sitePage{
		"/old":  {status: 301, location: "/mid"},
		"/mid":  {status: 302, location: "/new", headers: [][2]string{{"Content-Security-Policy", "frame-ancestors 'none'"}}},
		"/new":  {},
		"/loop": {status: 302, location: "/loop"},
	}})
	defer srv.Close()
	r := scanOne(t, srv, scan.Options{}, "/old")
	if r.FinalURL != srv.URL+"/new" || r.Status != 200 {
		t.Errorf("final %s status %d, want %s/new 200", r.FinalURL, r.Status, srv.URL)
	}
	want := []scan.Redirect{
		{URL: srv.URL + "/old", Status: 301, Location: "/mid"},
		{URL: srv.URL + "/mid", Status: 302, Location: "/new"},
	}
	if diff := cmp.Diff(want, r.Redirects); diff != "" {
		t.Errorf("redirects mismatch (-want +got):\n%s", diff)
	}
	// The redirect's own CSP does not protect the final page.
	if got := idSeverities(r); !slices.Contains(got, "no-protection:high") || !slices.Contains(got, "redirected:info") {
		t.Errorf("findings = %v, want no-protection and redirected", got)
	}
	r = scanOne(t, srv, scan.Options{MaxRedirects: 1}, "/old")
	if !strings.Contains(r.Error, "too many redirects (more than 1)") {
		t.Errorf("Error = %q, want too many redirects", r.Error)
	}
	// With redirects off a redirect is not judged: browsers never render
	// one, whatever its headers say.
	r = scanOne(t, srv, scan.Options{MaxRedirects: -1}, "/old")
	if !errors.Is(r.Err, scan.ErrRedirectNotFollowed) || !strings.Contains(r.Error, "redirect not followed: status 301 to /mid") {
		t.Errorf("with redirects off: Error = %q, want redirect not followed: status 301 to /mid", r.Error)
	}
	if len(r.Verdicts) != 0 || len(r.Findings) != 0 {
		t.Errorf("with redirects off: verdicts %+v findings %+v, want none", r.Verdicts, r.Findings)
	}
}

// TestRun_redirectsOff checks which responses are judged when redirects
// are off: those browsers would render, never a redirect with a Location.
func TestRun_redirectsOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		page    sitePage
		judged  bool
		wantIDs []string
	}{
		{"301 with Location", sitePage{status: 301, location: "/new"}, false, nil},
		{"302 with Location and framing headers", sitePage{status: 302, location: "/new", headers: [][2]string{{"X-Frame-Options", "DENY"}}}, false, nil},
		{"303 with Location", sitePage{status: 303, location: "/new"}, false, nil},
		{"307 with Location", sitePage{status: 307, location: "/new"}, false, nil},
		{"308 with Location", sitePage{status: 308, location: "/new"}, false, nil},
		// Browsers render these like any other response.
		{"302 without Location", sitePage{status: 302}, true, []string{"no-protection:high"}},
		{"300 with Location", sitePage{status: 300, location: "/new"}, true, []string{"no-protection:high"}},
		{"200", sitePage{}, true, []string{"no-protection:high"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": tc.page, "/new": {}}})
			defer srv.Close()
			r := scanOne(t, srv, scan.Options{MaxRedirects: -1, SkipErrorPage: true}, "/p")
			if got := !errors.Is(r.Err, scan.ErrRedirectNotFollowed); got != tc.judged {
				t.Fatalf("judged = %v, want %v (error %q)", got, tc.judged, r.Error)
			}
			if diff := cmp.Diff(tc.wantIDs, idSeverities(r)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
			if !tc.judged && len(r.Verdicts) != 0 {
				t.Errorf("verdicts %+v for a redirect, want none", r.Verdicts)
			}
		})
	}
}

// TestRun_requestHeaders checks the navigation headers of the two fetches
// of a page, the framed navigation that is judged and the top-level one it
// is compared with, and that -header and -cookie values reach the server.
func TestRun_requestHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]http.Header{} // by Sec-Fetch-Dest
	hosts := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/p" {
			mu.Lock()
			defer mu.Unlock()
			dest := r.Header.Get("Sec-Fetch-Dest")
			got[dest], hosts[dest] = r.Header.Clone(), r.Host
		}
	}))
	defer srv.Close()
	opts := scan.Options{
		Header: http.Header{"Authorization": {"Bearer t"}, "Accept-Language": {"fr"}, "Host": {"site.test"}},
		Cookie: "session=abc",
	}
	scanOne(t, srv, opts, "/p")
	for _, dest := range []string{"iframe", "document"} {
		h := got[dest]
		if h == nil {
			t.Errorf("no request with Sec-Fetch-Dest: %s (got %v)", dest, slices.Collect(maps.Keys(got)))
			continue
		}
		for name, want := range map[string]string{
			"Sec-Fetch-Mode":            "navigate",
			"Sec-Fetch-Site":            "cross-site",
			"Upgrade-Insecure-Requests": "1",
			"Authorization":             "Bearer t",
			"Accept-Language":           "fr",
			"Cookie":                    "session=abc",
		} {
			if g := h.Get(name); g != want {
				t.Errorf("%s: %s = %q, want %q", dest, name, g, want)
			}
		}
		// A user's click on another site starts the top-level navigation;
		// a frame navigates without user activation.
		if v, ok := h["Sec-Fetch-User"]; ok != (dest == "document") || ok && !slices.Equal(v, []string{"?1"}) {
			t.Errorf("%s: Sec-Fetch-User %q (sent: %v), want ?1 on the top-level navigation only", dest, v, ok)
		}
		if hosts[dest] != "site.test" {
			t.Errorf("%s: Host = %q, want the -header value site.test", dest, hosts[dest])
		}
		if a := h.Get("Accept"); !strings.HasPrefix(a, "text/html") {
			t.Errorf("%s: Accept = %q, want text/html first", dest, a)
		}
		if ua := h.Get("User-Agent"); !strings.Contains(ua, "clickguard") || !strings.HasPrefix(ua, "Mozilla/5.0") {
			t.Errorf("%s: User-Agent = %q, want a browser-like one naming clickguard", dest, ua)
		}
	}
}

// byDest answers a framed navigation (Sec-Fetch-Dest: iframe) with frame
// and every other request with top.
type byDest struct{ frame, top sitePage }

func (b byDest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := b.top
	if r.Header.Get("Sec-Fetch-Dest") == "iframe" {
		p = b.frame
	}
	site{pages: map[string]sitePage{r.URL.Path: p}}.ServeHTTP(w, r)
}

// TestRun_fetchMetadata checks that the verdicts judge what a frame of
// another site receives, and the findings when a server answers framed
// and top-level navigations differently, or refuses both and serves the
// page opened from the address bar.
func TestRun_fetchMetadata(t *testing.T) {
	t.Parallel()
	const csp, xfo = "Content-Security-Policy", "X-Frame-Options"
	none := [][2]string{{csp, "frame-ancestors 'none'"}, {xfo, "DENY"}}
	// clickguard's own guard: a framed navigation from another site is
	// refused with 403 before the handler runs, with the framing headers.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(csp, "default-src 'self'")
		fmt.Fprint(w, "<!doctype html><button>Pay</button>")
	})
	var g guard.Guard
	tests := []struct {
		name          string
		h             http.Handler
		framable      bool // the foreign verdict
		status, topSt int
		want          []string
		addressBar    int // the status from the address bar; 0: not asked
	}{
		{"XFO only for top-level navigations", byDest{frame: sitePage{}, top: sitePage{headers: [][2]string{{xfo, "DENY"}}}},
			true, 200, 200, []string{"framing-headers-differ:medium", "no-protection:high"}, 0},
		{"frame-ancestors only for top-level navigations", byDest{frame: sitePage{}, top: sitePage{headers: none}},
			true, 200, 200, []string{"framing-headers-differ:medium", "no-protection:high"}, 0},
		{"guard refuses framed navigations", g.Handler(mux),
			false, 403, 200, []string{"framed-navigation-refused:info"}, 0},
		{"guard's confirmation page opens only from its own site", g.Handler(g.ConfirmationHandler(mux)),
			false, 403, 403, []string{"cross-site-navigation-refused:info"}, 200},
		{"refused to every navigation", byDest{frame: sitePage{status: 403, headers: none}, top: sitePage{status: 403, headers: none}},
			false, 403, 403, []string{"error-status:info"}, 403},
		{"refusal without framing headers", byDest{frame: sitePage{status: 403}, top: sitePage{headers: none}},
			true, 403, 200, []string{"framed-navigation-refused:info", "framing-headers-differ:info", "no-protection:low"}, 0},
		{"protection only for framed navigations", byDest{frame: sitePage{headers: none}, top: sitePage{}},
			false, 200, 200, []string{"framing-headers-differ:low"}, 0},
		{"other directives differ", byDest{frame: sitePage{headers: [][2]string{{csp, "frame-ancestors 'none'"}}}, top: sitePage{headers: [][2]string{{csp, "default-src 'self'; frame-ancestors  'none'"}}}},
			false, 200, 200, nil, 0},
		{"same answer", byDest{frame: sitePage{headers: none}, top: sitePage{headers: none}},
			false, 200, 200, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			r := scanOne(t, srv, scan.Options{SkipErrorPage: true}, "/p")
			if r.Error != "" {
				t.Fatalf("Error = %q", r.Error)
			}
			if r.Verdicts[0].Framable != tc.framable {
				t.Errorf("foreign verdict framable = %v, want %v (%s)", r.Verdicts[0].Framable, tc.framable, r.Verdicts[0].Reason)
			}
			if r.TopLevel == nil || r.Status != tc.status || r.TopLevel.Status != tc.topSt {
				t.Errorf("status %d, top-level %+v; want %d and %d", r.Status, r.TopLevel, tc.status, tc.topSt)
			}
			if diff := cmp.Diff(tc.want, idSeverities(r)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s\nfindings: %+v", diff, r.Findings)
			}
			if ab := r.AddressBar; tc.addressBar == 0 && ab != nil || tc.addressBar != 0 && (ab == nil || ab.Status != tc.addressBar || ab.Error != "") {
				t.Errorf("address bar %+v, want status %d (0: not asked)", ab, tc.addressBar)
			}
			// The text report tells the statuses apart.
			var text strings.Builder
			rep := scan.NewReport(&text, scan.FormatText, false)
			if err := rep.Add(r); err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("status %d\n", tc.status)
			switch {
			case tc.addressBar != 0 && tc.addressBar != tc.topSt:
				line = fmt.Sprintf("status %d as a framed navigation, %d as a top-level navigation from another site, %d from the address bar\n", tc.status, tc.topSt, tc.addressBar)
			case tc.topSt != tc.status:
				line = fmt.Sprintf("status %d as a framed navigation, %d as a top-level navigation\n", tc.status, tc.topSt)
			}
			if !strings.Contains(text.String(), line) {
				t.Errorf("the text report does not say %q:\n%s", line, text.String())
			}
		})
	}
}

// TestRun_wildcardSources checks how findings describe wildcard host
// sources: one over a public suffix lets anyone in, and one under a
// registrable domain lets in every subdomain, which the message must say
// rather than claim that other sites are kept out.
func TestRun_wildcardSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tls    bool
		csp    string
		want   []string
		id     string // the finding whose message is checked
		has    []string
		hasNot []string
	}{
		{"public suffix on an https page", true, "frame-ancestors 'self' https://*.com", []string{"overbroad-source:high"},
			"overbroad-source", []string{"any site whose host ends in .com"}, []string{"cannot"}},
		{"single label", false, "frame-ancestors 'self' *.local", []string{"overbroad-source:high"},
			"overbroad-source", []string{"ends in .local"}, nil},
		{"restricted by a second policy", false, "frame-ancestors *.com, frame-ancestors 'self'", []string{"csp-comma:medium", "overbroad-source:low"},
			"overbroad-source", []string{"Today a site under .com still cannot"}, []string{"attacker.example"}},
		{"subdomains of a partner", true, "frame-ancestors 'self' https://*.partner.example", []string{"embeddable:info"},
			"embeddable", []string{"every site on a subdomain of partner.example", "whoever runs it", "its own origin"}, []string{"other sites cannot"}},
		{"a partner and its subdomains", true, "frame-ancestors https://partner.example https://*.partner.example", []string{"embeddable:info"},
			"embeddable", []string{"https://partner.example and every site on a subdomain"}, []string{"other sites cannot", "own origin"}},
		{"exact partner", true, "frame-ancestors 'self' https://partner.example", []string{"embeddable:info"},
			"embeddable", []string{"only by https://partner.example, and its own origin; other sites cannot frame it"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := site{pages: map[string]sitePage{"/p": {headers: [][2]string{{"Content-Security-Policy", tc.csp}}}}}
			var srv *httptest.Server
			var opts scan.Options
			if tc.tls {
				srv = httptest.NewTLSServer(h)
				opts.Transport = srv.Client().Transport
			} else {
				srv = httptest.NewServer(h)
			}
			defer srv.Close()
			r := scanOne(t, srv, opts, "/p")
			if diff := cmp.Diff(tc.want, idSeverities(r)); diff != "" {
				t.Fatalf("findings mismatch (-want +got):\n%s\nfindings: %+v", diff, r.Findings)
			}
			for _, f := range r.Findings {
				if f.ID != tc.id {
					continue
				}
				for _, s := range tc.has {
					if !strings.Contains(f.Message, s) {
						t.Errorf("%s message %q does not contain %q", f.ID, f.Message, s)
					}
				}
				for _, s := range tc.hasNot {
					if strings.Contains(f.Message, s) {
						t.Errorf("%s message %q contains %q", f.ID, f.Message, s)
					}
				}
			}
		})
	}
}

// TestRun_redactsCredentials checks that a password in a URL never reaches
// the result: not in url, final_url, top_level, redirects, evidence or
// errors.
func TestRun_redactsCredentials(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-pw"
	mux := http.NewServeMux()
	mux.Handle("/p", site{pages: map[string]sitePage{"/p": {}}})
	mux.Handle("/old", site{pages: map[string]sitePage{"/old": {status: 302, location: "/p"}}})
	var g guard.Guard
	mux.Handle("/guarded", g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	withUser := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := closed.Addr().String() // nothing listens there
	closed.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, url string
		opts      scan.Options
		wantURL   string
		// unwant is more text that must not reach the result: a part of
		// the password that an error might quote.
		unwant string
	}{
		{"page", withUser + "/p", scan.Options{}, "http://user:xxxxx@" + host + "/p", ""},
		{"redirect", withUser + "/old", scan.Options{}, "", ""},
		{"redirect not followed", withUser + "/old", scan.Options{MaxRedirects: -1}, "", ""},
		{"refused framed navigation", withUser + "/guarded", scan.Options{}, "", ""},
		{"unreachable", "http://user:" + secret + "@" + unreachable + "/", scan.Options{}, "http://user:xxxxx@" + unreachable + "/", ""},
		{"on a bad port", "http://user:" + secret + "@127.0.0.1:1/", scan.Options{}, "http://user:xxxxx@127.0.0.1:1/", ""},
		{"not http", "ftp://user:" + secret + "@127.0.0.1/", scan.Options{}, "", ""},
		// URLs that do not parse, or not as http: the password is found
		// without parsing.
		{"raw % in the password", "http://user:" + secret + "%q7@" + host + "/p", scan.Options{}, "http://user:xxxxx@" + host + "/p", "%q7"},
		{"bad escape in the path", "http://user:" + secret + "@" + host + "/%zz", scan.Options{}, "http://user:xxxxx@" + host + "/%zz", ""},
		{"space in the password", "http://user:" + secret + " x@" + host + "/", scan.Options{}, "http://user:xxxxx@" + host + "/", ""},
		{"no scheme", "user:" + secret + "@" + host + "/", scan.Options{}, "user:xxxxx@" + host + "/", ""},
		{"http: without slashes", "http:user:" + secret + "@" + host + "/", scan.Options{}, "", ""},
		{"http:/ with one slash", "http:/user:" + secret + "@" + host + "/", scan.Options{}, "", ""},
		{"out of range port", "http://user:" + secret + "@127.0.0.1:99999/", scan.Options{}, "http://user:xxxxx@127.0.0.1:99999/", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []scan.Result
			if err := scan.Run(t.Context(), tc.opts, []string{tc.url}, func(r scan.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), secret) || tc.unwant != "" && strings.Contains(string(b), tc.unwant) {
				t.Errorf("the password reached the result: %s", b)
			}
			if tc.wantURL != "" && got[0].URL != tc.wantURL {
				t.Errorf("url = %q, want %q", got[0].URL, tc.wantURL)
			}
		})
	}
}

// TestRun_notHTMLEvidence checks the evidence of the not-html finding.
func TestRun_notHTMLEvidence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType []string // one a line; none sends none
		want        []string
	}{
		{"no Content-Type and no body", nil, []string{"(no Content-Type header)"}},
		{"image", []string{"image/png"}, []string{"Content-Type: image/png"}},
		// Chromium takes the last type: every line is evidence.
		{"two lines", []string{"text/html", "image/png"}, []string{"Content-Type: text/html", "Content-Type: image/png"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
				w.Header()["Content-Type"] = tc.contentType
				// 200, not 204: a 204 shows nothing in a frame at all.
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			r := scanOne(t, srv, scan.Options{SkipErrorPage: true}, "/p")
			for _, f := range r.Findings {
				if f.ID == "not-html" {
					if diff := cmp.Diff(tc.want, f.Evidence); diff != "" {
						t.Errorf("evidence mismatch (-want +got):\n%s", diff)
					}
					return
				}
			}
			t.Errorf("no not-html finding in %+v", r.Findings)
		})
	}
}

// TestRun_noDocument: a response that shows nothing in a frame (a 204, a
// download) is judged so in every chain, whatever its framing headers,
// with one informational finding that says why and, when it has no
// framing protection, how to add one; nothing calls it framable or
// unprotected.
func TestRun_noDocument(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/attachment", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Disposition", `attachment; filename="items.html"`)
		fmt.Fprint(w, "<!doctype html><title>items</title><button>Delete</button>")
	})
	mux.HandleFunc("/csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("X-Frame-Options", "DENY")
		fmt.Fprint(w, "a,b\n")
	})
	mux.HandleFunc("/binary", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Type: browsers sniff the body, which is binary.
		w.Header()["Content-Type"] = nil
		_, _ = w.Write([]byte{0, 1, 2, 3})
	})
	// Firefox renders the page of a 407 (measured), which Chromium fails.
	mux.HandleFunc("/407", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusProxyAuthRequired)
		fmt.Fprint(w, "<!doctype html><title>sign in</title><button>Continue</button>")
	})
	mux.HandleFunc("/407-protected", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		w.WriteHeader(http.StatusProxyAuthRequired)
		fmt.Fprint(w, "<!doctype html><title>sign in</title><button>Continue</button>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	const firefox407 = "Firefox and WebKit render the page of a 407 in a frame (measured)"
	for _, tc := range []struct {
		path, why string
		protected bool
		severity  scan.Severity
		firefox   string // what the message says of Firefox, if anything
	}{
		{"/204", "status 204 commits no document", false, scan.SeverityInfo, ""},
		{"/attachment", `Content-Disposition: attachment; filename="items.html" makes the response a download`, false, scan.SeverityInfo, ""},
		{"/csv", "Content-Type: text/csv is not a type Chromium renders", true, scan.SeverityInfo, ""},
		{"/binary", "the body sniffs as application/octet-stream (there is no Content-Type)", false, scan.SeverityInfo, ""},
		{"/407", "status 407 (Proxy Authentication Required)", false, scan.SeverityLow, firefox407 + ", and this one sends no framing protection: their users can be clickjacked on it"},
		{"/407-protected", "status 407 (Proxy Authentication Required)", true, scan.SeverityInfo, firefox407 + ", under its framing headers, which protect it"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			r := scanOne(t, srv, scan.Options{SkipErrorPage: true}, tc.path)
			if len(r.Verdicts) != 3 {
				t.Fatalf("%d verdicts, want 3", len(r.Verdicts))
			}
			for _, v := range r.Verdicts {
				if v.Framable || v.DecidedBy != string(framing.DecidedByNoDocument) || !strings.Contains(v.Reason, tc.why) {
					t.Errorf("%s: framable = %v by %s (%s), want no document: %s", v.Chain, v.Framable, v.DecidedBy, v.Reason, tc.why)
				}
			}
			var ids []string
			for _, f := range r.Findings {
				ids = append(ids, f.ID)
				if f.ID != "no-document" {
					continue
				}
				wantFix := "Content-Security-Policy: frame-ancestors 'none'"
				if tc.protected {
					wantFix = ""
				}
				if f.Severity != tc.severity || f.Fix != wantFix || !strings.Contains(f.Message, tc.why) ||
					tc.firefox != "" && !strings.Contains(f.Message, tc.firefox) || tc.firefox == "" && strings.Contains(f.Message, "Firefox") {
					t.Errorf("no-document finding %+v, want %s, fix %q, saying %q and, of Firefox, %q", f, tc.severity, wantFix, tc.why, tc.firefox)
				}
			}
			if !slices.Contains(ids, "no-document") || slices.Contains(ids, "no-protection") || slices.Contains(ids, "not-html") {
				t.Errorf("findings %q, want no-document and neither no-protection nor not-html", ids)
			}
		})
	}
}

// TestRun_errorStatus: a page answered with an error that is not a
// refusal of the framed navigation is judged as it is, and an info finding
// says that the verdicts are those of an error, with what to do for each
// kind; a refusal, a redirect to the page and a 407 get none.
func TestRun_errorStatus(t *testing.T) {
	t.Parallel()
	none := [][2]string{{"Content-Security-Policy", "frame-ancestors 'none'"}}
	srv := httptest.NewServer(site{pages: map[string]sitePage{
		"/401":       {status: 401},
		"/403":       {status: 403, headers: none},
		"/404":       {status: 404, headers: none},
		"/410":       {status: 410},
		"/503":       {status: 503, headers: [][2]string{{"Retry-After", "120"}}},
		"/500":       {status: 500},
		"/400":       {status: 400, headers: none},
		"/599":       {status: 599},
		"/200":       {},
		"/moved":     {status: 302, location: "/200"},
		"/moved-404": {status: 302, location: "/404"},
		"/407":       {status: 407},
	}})
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path     string
		framable bool
		says     []string // in the message; nil: no error-status finding
		evidence []string // after the status line
	}{
		{"/401", true, []string{"401 Unauthorized", "signed-in visitor may get the page itself", "-cookie"}, nil},
		{"/403", false, []string{"403 Forbidden", "SameSite=None", "-cookie"}, nil},
		{"/404", false, []string{"404 Not Found", "names no page", "Check the URL"}, nil},
		{"/410", true, []string{"410 Gone", "names no page"}, nil},
		{"/503", true, []string{"503 Service Unavailable", "an error of its own", "Retry-After"}, []string{"Retry-After: 120"}},
		{"/500", true, []string{"500 Internal Server Error", "when it is served"}, nil},
		{"/400", false, []string{"400 Bad Request", "not a page the URL serves to other requests"}, nil},
		{"/599", true, []string{"status 599", "an error of its own"}, nil},
		{"/200", true, nil, nil},
		{"/moved", true, nil, nil},
		{"/moved-404", false, []string{"404 Not Found"}, nil},
		{"/407", false, nil, nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			r := scanOne(t, srv, scan.Options{SkipErrorPage: true}, tc.path)
			if got := r.Verdicts[0].Framable; got != tc.framable {
				t.Errorf("foreign verdict framable = %v, want %v: the error is judged as it is", got, tc.framable)
			}
			i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.ID == "error-status" })
			if tc.says == nil {
				if i >= 0 {
					t.Fatalf("error-status finding %+v, want none", r.Findings[i])
				}
				return
			}
			if i < 0 {
				t.Fatalf("findings %v, want error-status", idSeverities(r))
			}
			f := r.Findings[i]
			for _, s := range tc.says {
				if !strings.Contains(f.Message, s) {
					t.Errorf("message %q does not say %q", f.Message, s)
				}
			}
			wantEv := append([]string{fmt.Sprintf("GET %s%s: status %d", srv.URL, finalPath(tc.path), r.Status)}, tc.evidence...)
			if f.Severity != scan.SeverityInfo || f.Fix != "" || !slices.Equal(f.Evidence, wantEv) {
				t.Errorf("finding %+v, want info, no fix, evidence %q", f, wantEv)
			}
		})
	}
}

// finalPath is the path a path of TestRun_errorStatus ends at.
func finalPath(path string) string {
	if p, ok := strings.CutPrefix(path, "/moved-"); ok {
		return "/" + p
	}
	return path
}

// TestRun_unfollowedRedirect: a redirect to a URL of another scheme than
// http and https (data:, javascript:, an application's own) is one that
// browsers do not follow: the page is blocked in every chain, judged from
// the standard chains of the origin that redirected, the scanner fetches
// nothing there and probes no error page, and the result is a verdict, not
// an error. A redirect to an http URL with no host is an error, and the
// scanner dials nothing for it.
func TestRun_unfollowedRedirect(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		// Headers that would allow any frame, on the redirect itself.
		w.Header().Set("Content-Security-Policy", "frame-ancestors *")
		w.Header().Set("Location", r.URL.Query().Get("to"))
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	for _, tc := range []struct{ to, scheme string }{
		{"data:text/html,<p>hi", "data"},
		{"javascript:alert(1)", "javascript"},
		{"MyApp://open?id=1", "myapp"},
		{"mailto:a@example.com", "mailto"},
		{"wss://127.0.0.1/", "wss"},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			u := srv.URL + "/" + tc.scheme + "?" + url.Values{"to": {tc.to}}.Encode()
			var got []scan.Result
			if err := scan.Run(t.Context(), scan.Options{}, []string{u}, func(r scan.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Err != nil || len(got[0].Verdicts) != 3 {
				t.Fatalf("got %+v, want one result with three verdicts", got)
			}
			res := got[0]
			if !strings.EqualFold(res.FinalURL, tc.to) || len(res.Redirects) != 1 || res.Status != 0 || !strings.Contains(res.NotFetched, "(here "+tc.scheme+":)") {
				t.Errorf("final URL %q after %d redirects, status %d, not fetched %q; want %q after 1, status 0, not fetched for its scheme",
					res.FinalURL, len(res.Redirects), res.Status, res.NotFetched, tc.to)
			}
			wantChains := [][]string{{"http://attacker.example"}, {srv.URL}, {srv.URL, "http://attacker.example"}}
			for i, v := range res.Verdicts {
				if v.Framable || v.DecidedBy != string(framing.DecidedByNoDocument) || !strings.Contains(v.Reason, "no redirect") || !slices.Equal(v.Ancestors, wantChains[i]) {
					t.Errorf("%s: %+v; want blocked, no-document, for the redirect, in chain %q", v.Chain, v, wantChains[i])
				}
			}
			if ids := idSeverities(res); !slices.Equal(ids, []string{"no-document:info", "redirected:info"}) {
				t.Errorf("findings %v, want no-document and redirected", ids)
			}
		})
	}
	mu.Lock()
	for _, p := range paths {
		if strings.HasPrefix(p, "/clickguard-scan-") {
			t.Errorf("the scanner probed an error page (%s) for a page it did not fetch", p)
		}
	}
	if len(paths) != 2*5 {
		t.Errorf("the server got %d requests, want 10: a framed and a top-level navigation for each URL", len(paths))
	}
	mu.Unlock()

	var dialed atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != srv.Listener.Addr().String() {
			dialed.Add(1)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	var got []scan.Result
	u := srv.URL + "/nohost?" + url.Values{"to": {"http://:80/"}}.Encode()
	if err := scan.Run(t.Context(), scan.Options{Transport: tr}, []string{u}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Err == nil || !strings.Contains(got[0].Error, "a URL with no host") || dialed.Load() != 0 {
		t.Errorf("a redirect to http://:80/: %+v, %d dials elsewhere; want an error for the URL with no host, and no dial", got, dialed.Load())
	}
}

// TestRun_rawQuery: a URL given with a space or a non-ASCII character in
// its query, and a redirect whose Location has them, are requested with the
// query percent-encoded, as browsers request them: the server, which
// answers 400 to anything else, serves the page.
func TestRun_rawQuery(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/from":
			w.Header().Set("Location", "/page?q=ä b")
			w.WriteHeader(http.StatusFound)
		case r.URL.RawQuery == "q=%C3%A4%20b":
			w.Header().Set("X-Frame-Options", "DENY")
			fmt.Fprint(w, "<!doctype html><title>page</title>")
		default:
			http.Error(w, "query "+r.URL.RawQuery, http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	var got []scan.Result
	if err := scan.Run(t.Context(), scan.Options{SkipErrorPage: true}, []string{srv.URL + "/page?q=ä b", srv.URL + "/from"}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Err != nil || r.Status != http.StatusOK || r.FinalURL != srv.URL+"/page?q=%C3%A4%20b" {
			t.Errorf("%s: status %d at %s, error %q; want 200 at %s/page?q=%%C3%%A4%%20b", r.URL, r.Status, r.FinalURL, r.Error, srv.URL)
		}
	}
	if len(got) != 2 {
		t.Errorf("%d results, want 2", len(got))
	}
}

// TestRun_unicodeRedirect: a redirect to a Unicode host name is followed
// to the ASCII form browsers give it, which the Host header names and the
// verdicts compare: the page's frame-ancestors names its own origin in that
// form, so its own origin may frame it. A redirect to a name that browsers
// refuse is an error. Every name is dialed on the test server.
func TestRun_unicodeRedirect(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		port := srv.Listener.Addr().(*net.TCPAddr).Port
		switch r.URL.Path {
		case "/from":
			http.Redirect(w, r, fmt.Sprintf("http://b%%C3%%BCcher.example:%d/page", port), http.StatusFound)
		case "/refused":
			http.Redirect(w, r, fmt.Sprintf("http://a%%E2%%80%%8Db.example:%d/page", port), http.StatusFound)
		case "/linker":
			fmt.Fprint(w, `<!doctype html><title>links</title><a href="/hop">hop</a>`)
		case "/hop":
			// The page's own origin, its host written in Unicode.
			http.Redirect(w, r, fmt.Sprintf("http://bücher.example:%d/page", port), http.StatusFound)
		default:
			if want := fmt.Sprintf("xn--bcher-kva.example:%d", port); r.Host != want {
				http.Error(w, "Host "+r.Host+", want "+want, http.StatusMisdirectedRequest)
				return
			}
			w.Header().Set("Content-Security-Policy", "frame-ancestors http://"+r.Host)
			fmt.Fprint(w, "<!doctype html><title>page</title>")
		}
	}))
	defer srv.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	defer tr.CloseIdleConnections()
	var got []scan.Result
	if err := scan.Run(t.Context(), scan.Options{Transport: tr, SkipErrorPage: true}, []string{srv.URL + "/from", srv.URL + "/refused"}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v, want two results", got)
	}
	own := fmt.Sprintf("http://xn--bcher-kva.example:%d", srv.Listener.Addr().(*net.TCPAddr).Port)
	if res := got[0]; res.Err != nil || res.Status != 200 || res.FinalURL != own+"/page" || len(res.Verdicts) != 3 {
		t.Fatalf("%+v; want status 200 at %s/page", res, own)
	}
	for i, want := range []bool{false, true, false} {
		v := got[0].Verdicts[i]
		if v.Framable != want || v.DecidedBy != string(framing.DecidedByCSP) || !slices.Contains(v.Ancestors, own) && i > 0 {
			t.Errorf("%s %q: framable = %v (%s: %s), want %v", v.Chain, v.Ancestors, v.Framable, v.DecidedBy, v.Reason, want)
		}
	}
	if res := got[1]; res.Err == nil || !strings.Contains(res.Error, "not a domain name browsers accept") {
		t.Errorf("a redirect to a refused name: %+v, want an error that says so", res)
	}

	// The crawl follows a redirect to its own origin written in Unicode.
	got = nil
	start := fmt.Sprintf("http://bücher.example:%d/linker", srv.Listener.Addr().(*net.TCPAddr).Port)
	if err := scan.Run(t.Context(), scan.Options{Transport: tr, SkipErrorPage: true, Crawl: 1}, []string{start}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Skipped != "" || got[1].Status != 200 || got[1].FinalURL != own+"/page" {
		t.Errorf("crawl of %s: %+v; want /hop followed to %s/page", start, got, own)
	}
}

// TestRun_badPort: a URL on a bad port, given or reached through a
// redirect, is blocked in every chain and is not fetched: browsers fetch
// nothing from it, so the scanner sends it nothing either, whether a server
// listens there or not, and so makes no request of a service of another
// protocol.
func TestRun_badPort(t *testing.T) {
	t.Parallel()
	// A server on a free bad port of loopback, to see that it gets no
	// request, and another free bad port where nothing listens.
	var ln net.Listener
	silent := ""
	for _, p := range framing.BadPorts() {
		if p == 0 {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		if ln == nil {
			ln = l
			continue
		}
		silent = "http://" + l.Addr().String() + "/"
		l.Close()
		break
	}
	if ln == nil || silent == "" {
		t.Fatal("no two bad ports are free on 127.0.0.1")
	}
	var hits atomic.Int32
	bad := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "<!doctype html><title>unprotected</title>")
	}))
	bad.Listener.Close()
	bad.Listener = ln
	bad.Start()
	defer bad.Close()
	good := httptest.NewServer(http.RedirectHandler(bad.URL+"/to", http.StatusFound))
	defer good.Close()

	for _, tc := range []struct {
		name, url, final string
		redirects        int
	}{
		{"a server listens", bad.URL + "/", bad.URL + "/", 0},
		{"nothing listens", silent, silent, 0},
		{"redirected there", good.URL + "/from", bad.URL + "/to", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []scan.Result
			if err := scan.Run(t.Context(), scan.Options{}, []string{tc.url}, func(r scan.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Err != nil || len(got[0].Verdicts) != 3 {
				t.Fatalf("got %+v, want one result with three verdicts", got)
			}
			res := got[0]
			if res.FinalURL != tc.final || len(res.Redirects) != tc.redirects || res.Status != 0 || !strings.Contains(res.NotFetched, "bad port") {
				t.Errorf("final URL %q after %d redirects, status %d, not fetched %q; want %q after %d, status 0, not fetched for its bad port",
					res.FinalURL, len(res.Redirects), res.Status, res.NotFetched, tc.final, tc.redirects)
			}
			for _, v := range res.Verdicts {
				if v.Framable || v.DecidedBy != string(framing.DecidedByNoDocument) || !strings.Contains(v.Reason, "bad port") {
					t.Errorf("%s: %+v; want blocked, no-document, for its bad port", v.Chain, v)
				}
			}
			want := []string{"no-document:info"}
			if tc.redirects > 0 {
				want = append(want, "redirected:info")
			}
			if ids := idSeverities(res); !slices.Equal(ids, want) {
				t.Errorf("findings %v, want %v", ids, want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server on the bad port got %d requests, want none", n)
	}
}

// TestRun_utf16: a page in UTF-16, by its byte order mark or the charset of
// its Content-Type (the mark first, as browsers take them), is read as
// browsers read it: its <meta> tags, its refresh and its links count, as
// in the same page in UTF-8.
func TestRun_utf16(t *testing.T) {
	t.Parallel()
	const page = `<html><head><meta http-equiv="refresh" content="1;url=/next-page">` +
		`<meta http-equiv="X-Frame-Options" content="DENY"></head><body><a href="/other">o</a></body></html>`
	encode := func(bigEndian bool, bom bool) string {
		s := page
		if bom {
			s = "\uFEFF" + s
		}
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			if bigEndian {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		return string(b)
	}
	pages := map[string]sitePage{
		"/utf-8":          {headers: [][2]string{{"Content-Type", "text/html; charset=utf-8"}}, body: page},
		"/le-bom":         {headers: [][2]string{{"Content-Type", "text/html"}}, body: encode(false, true)},
		"/be-bom":         {headers: [][2]string{{"Content-Type", "text/html; charset=utf-8"}}, body: encode(true, true)},
		"/le-charset":     {headers: [][2]string{{"Content-Type", "text/html; charset=utf-16le"}}, body: encode(false, false)},
		"/be-charset":     {headers: [][2]string{{"Content-Type", `text/html; charset="UTF-16BE"`}}, body: encode(true, false)},
		"/utf-16-charset": {headers: [][2]string{{"Content-Type", "text/html;charset=utf-16"}}, body: encode(false, false)},
		"/le-both":        {headers: [][2]string{{"Content-Type", "text/html; charset=utf-16"}}, body: encode(false, true)},
		"/next-page":      {},
		"/other":          {},
	}
	srv := httptest.NewServer(site{pages: pages})
	t.Cleanup(srv.Close)
	for _, path := range []string{"/utf-8", "/le-bom", "/be-bom", "/le-charset", "/be-charset", "/utf-16-charset", "/le-both"} {
		t.Run(path[1:], func(t *testing.T) {
			t.Parallel()
			var got []scan.Result
			if err := scan.Run(t.Context(), scan.Options{Crawl: 5, SkipErrorPage: true}, []string{srv.URL + path}, func(r scan.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0].Error != "" {
				t.Fatalf("results %+v", got)
			}
			if diff := cmp.Diff([]string{"meta-xfo:medium", "no-protection:high", "refresh:info"}, idSeverities(got[0])); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
			var found []string
			for _, r := range got[1:] {
				found = append(found, strings.TrimPrefix(r.URL, srv.URL))
			}
			if diff := cmp.Diff([]string{"/next-page", "/other"}, found); diff != "" {
				t.Errorf("pages crawled mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
