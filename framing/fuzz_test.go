package framing_test

import (
	neturl "net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/framing"
)

func FuzzParseXFO(f *testing.F) {
	for _, tc := range xfoCases {
		switch len(tc.values) {
		case 1:
			f.Add(tc.values[0], "", false)
		case 2:
			f.Add(tc.values[0], tc.values[1], true)
		}
	}
	f.Fuzz(func(t *testing.T, a, b string, two bool) {
		values := []string{a}
		if two {
			values = append(values, b)
		}
		x := framing.ParseXFO(values)
		if diff := cmp.Diff(x, framing.ParseXFO(values)); diff != "" {
			t.Fatalf("ParseXFO(%q) is not deterministic:\n%s", values, diff)
		}
		if x.Mode == framing.XFOAbsent || len(x.Tokens) == 0 {
			t.Fatalf("ParseXFO(%q) = %+v, want tokens and a mode for a present header", values, x)
		}
		seen := make(map[string]bool)
		for _, tok := range x.Tokens {
			if seen[tok] || strings.ContainsAny(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || strings.Trim(tok, "\t\n\v\f\r ") != tok {
				t.Fatalf("ParseXFO(%q) token %q is duplicated, not lower-case or not trimmed", values, tok)
			}
			seen[tok] = true
			// A token is one value: any comma in it is inside a quoted
			// string, so it does not split again.
			if again := framing.ParseXFO([]string{tok}).Tokens; len(again) != 1 || again[0] != tok {
				t.Fatalf("ParseXFO(%q) token %q re-parsed alone gives %q", values, tok, again)
			}
		}
		// Only the exact ASCII names are known values.
		known := map[string]framing.XFOMode{"deny": framing.XFODeny, "sameorigin": framing.XFOSameOrigin, "allowall": framing.XFOAllowAll}
		if m, ok := known[x.Tokens[0]]; len(x.Tokens) == 1 && (ok != (x.Mode != framing.XFOInvalid) || ok && m != x.Mode) {
			t.Fatalf("ParseXFO(%q) = %+v: mode does not follow the token", values, x)
		}
		// The tokens, written back one per line, mean the same.
		if diff := cmp.Diff(x, framing.ParseXFO(x.Tokens)); diff != "" {
			t.Fatalf("ParseXFO(%q) re-parsed from its tokens differs:\n%s", values, diff)
		}
		// Without a double quote, every comma splits.
		if !strings.Contains(strings.Join(values, ""), `"`) {
			var want []string
			for _, v := range values {
				for item := range strings.SplitSeq(v, ",") {
					if tok := lowerASCII(strings.Trim(item, "\t\n\v\f\r ")); !slices.Contains(want, tok) {
						want = append(want, tok)
					}
				}
			}
			if !slices.Equal(x.Tokens, want) {
				t.Fatalf("ParseXFO(%q) tokens %q, want %q: without quotes every comma splits", values, x.Tokens, want)
			}
		}
	})
}

// lowerASCII lower-cases ASCII letters only.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func FuzzParseCSP(f *testing.F) {
	for _, tc := range cspCases {
		f.Add(tc.value)
	}
	for _, tc := range sourceCases {
		f.Add("frame-ancestors " + tc.in)
	}
	for _, tc := range evaluateCases {
		for _, h := range tc.headers {
			f.Add(h.Value)
		}
	}
	f.Fuzz(func(t *testing.T, value string) {
		policies := framing.ParseCSP(value)
		if diff := cmp.Diff(policies, framing.ParseCSP(value)); diff != "" {
			t.Fatalf("ParseCSP(%q) is not deterministic:\n%s", value, diff)
		}
		for _, p := range policies {
			if diff := cmp.Diff([]framing.Policy{p}, framing.ParseCSP(p.Text)); diff != "" {
				t.Fatalf("ParseCSP(%q): re-parsing policy text %q differs:\n%s", value, p.Text, diff)
			}
			for _, d := range p.Directives {
				if d.Name == "" || strings.ContainsAny(d.Name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
					t.Fatalf("ParseCSP(%q): directive name %q is empty or not lower-case", value, d.Name)
				}
				for _, s := range d.Sources {
					if diff := cmp.Diff(s, framing.ParseSource(s.Text)); diff != "" {
						t.Fatalf("ParseSource(%q) is not stable:\n%s", s.Text, diff)
					}
					if s.Kind == framing.SourceHost && s.Host == "" {
						t.Fatalf("ParseSource(%q): host-source without a host", s.Text)
					}
					if strings.ContainsAny(s.Path, "?#") || s.Path != "" && s.Path[0] != '/' {
						t.Fatalf("ParseSource(%q): path %q holds a query or fragment or does not start with /", s.Text, s.Path)
					}
				}
			}
			if d, ok := p.FrameAncestors(); ok && d.Name != "frame-ancestors" {
				t.Fatalf("FrameAncestors() of %q returned directive %q", p.Text, d.Name)
			}
		}
	})
}

func FuzzParseOrigin(f *testing.F) {
	for _, tc := range originCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := framing.ParseOrigin(s)
		o2, err2 := framing.ParseOrigin(s)
		if o != o2 || (err == nil) != (err2 == nil) {
			t.Fatalf("ParseOrigin(%q) is not deterministic", s)
		}
		if err != nil {
			return
		}
		back, err := framing.ParseOrigin(o.String())
		if err != nil {
			t.Fatalf("ParseOrigin(%q) = %+v, whose String %q does not parse: %v", s, o, o.String(), err)
		}
		if back != o {
			t.Fatalf("ParseOrigin(%q) = %+v; re-parsing %q gives %+v", s, o, o.String(), back)
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	for _, tc := range evaluateCases {
		var xfoValue, cspValue string
		for _, h := range tc.headers {
			if strings.EqualFold(h.Name, "X-Frame-Options") {
				xfoValue = h.Value
			} else {
				cspValue = h.Value
			}
		}
		parent := ""
		if len(tc.ancestors) > 0 {
			parent = tc.ancestors[0]
		}
		f.Add(tc.url, xfoValue, cspValue, parent, tc.redirect)
	}
	// No document: a bad port, a redirect to another scheme.
	f.Add("https://v.example:6000/", "", "frame-ancestors *", "https://a.example", false)
	f.Add("javascript:alert(1)", "", "frame-ancestors *", "https://a.example", true)
	f.Fuzz(func(t *testing.T, url, xfoValue, cspValue, parent string, redirected bool) {
		resp := framing.Response{URL: url, Redirected: redirected, Headers: []framing.Header{
			{Name: "X-Frame-Options", Value: xfoValue},
			{Name: "Content-Security-Policy", Value: cspValue},
		}}
		// An http top: only an https parent makes mixed content.
		ancestors := []string{parent, "http://top.example"}
		v, err := framing.Evaluate(resp, ancestors)
		v2, err2 := framing.Evaluate(resp, ancestors)
		if v != v2 || (err == nil) != (err2 == nil) {
			t.Fatalf("Evaluate is not deterministic: %+v, %v then %+v, %v", v, err, v2, err2)
		}
		if err != nil {
			if _, perr := framing.ParseOrigin(parent); perr == nil {
				t.Fatalf("Evaluate failed for a valid ancestor %q: %v", parent, err)
			}
			return
		}
		if v.DecidedBy == framing.DecidedByNoDocument {
			// A redirect to another scheme, or a bad port: nothing of the
			// page is in the frame, whatever its headers say.
			if v.Framable || v.Reason == "" {
				t.Fatalf("Evaluate(%q) gave %+v: no document, yet framable or without a reason", url, v)
			}
			open := resp
			open.Headers = []framing.Header{{Name: "Content-Security-Policy", Value: "frame-ancestors *"}}
			if w, err := framing.Evaluate(open, ancestors); err != nil || w != v {
				t.Fatalf("Evaluate(%q): the framing headers changed a no-document verdict: %+v, then %+v (%v)", url, v, w, err)
			}
			return
		}
		if v.Reason == "" || !slices.Contains([]framing.Decider{framing.DecidedByCSP, framing.DecidedByXFO, framing.DecidedByNone, framing.DecidedByMixedContent}, v.DecidedBy) {
			t.Fatalf("Evaluate gave %+v: empty reason or unknown decider", v)
		}
		if v.DecidedBy == framing.DecidedByMixedContent {
			o, _ := framing.ParseOrigin(parent)
			u, err := neturl.Parse(url)
			if v.Framable || o.Opaque || o.Scheme != "https" || err != nil || !strings.EqualFold(u.Scheme, "http") {
				t.Fatalf("Evaluate(%q in %q) gave %+v: mixed content needs an http page and an https parent", url, ancestors, v)
			}
			return
		}
		hasFA := false
		for _, p := range framing.ParseCSP(cspValue) {
			_, ok := p.FrameAncestors()
			hasFA = hasFA || ok
		}
		if hasFA != (v.DecidedBy == framing.DecidedByCSP) {
			t.Fatalf("CSP %q: frame-ancestors present %v, but decided by %s", cspValue, hasFA, v.DecidedBy)
		}
		// Report-only policies and <meta> tags never change the verdict.
		extra := resp
		extra.Headers = append(slices.Clone(resp.Headers), framing.Header{Name: "Content-Security-Policy-Report-Only", Value: cspValue})
		extra.Meta = []framing.Meta{{HTTPEquiv: "X-Frame-Options", Content: xfoValue}, {HTTPEquiv: "Content-Security-Policy", Content: cspValue}}
		if w, err := framing.Evaluate(extra, ancestors); err != nil || w.Framable != v.Framable || w.DecidedBy != v.DecidedBy {
			t.Fatalf("report-only and meta changed the verdict: %+v, then %+v (%v)", v, w, err)
		}
	})
}

// FuzzEvaluate_noDocument: whatever the status, Content-Type,
// Content-Disposition and body, a response that puts no document in the
// frame is never framable, its framing headers change nothing, and an HTML
// page served as itself always is one.
func FuzzEvaluate_noDocument(f *testing.F) {
	f.Add(204, "text/html", "", false, "")
	f.Add(200, "application/octet-stream", "", false, "bin")
	f.Add(200, "text/html", "attachment", false, "<p>x")
	f.Add(404, "text/csv", "inline", true, "a,b")
	f.Add(200, "", `inline, attachment; filename="a,b"`, false, "\x00\x01")
	f.Add(200, "unknown/unknown", "", true, "<html>")
	f.Fuzz(func(t *testing.T, status int, contentType, disposition string, nosniff bool, body string) {
		var headers []framing.Header
		if contentType != "" {
			headers = append(headers, framing.Header{Name: "Content-Type", Value: contentType})
		}
		if disposition != "" {
			headers = append(headers, framing.Header{Name: "Content-Disposition", Value: disposition})
		}
		if nosniff {
			headers = append(headers, framing.Header{Name: "X-Content-Type-Options", Value: "nosniff"})
		}
		resp := framing.Response{URL: "https://v.test/", Status: status, Headers: headers, Sniffed: framing.Sniff([]byte(body))}
		ancestors := []string{"https://a.test"}
		v, err := framing.Evaluate(resp, ancestors)
		if err != nil {
			t.Fatal(err)
		}
		if v.DecidedBy == framing.DecidedByNoDocument {
			if v.Framable || v.Reason == "" {
				t.Fatalf("Evaluate(%+v) = %+v: no document, yet framable or without a reason", resp, v)
			}
			resp.Headers = append(slices.Clone(headers), framing.Header{Name: "X-Frame-Options", Value: "DENY"},
				framing.Header{Name: "Content-Security-Policy", Value: "frame-ancestors *"})
			if w, err := framing.Evaluate(resp, ancestors); err != nil || w != v {
				t.Fatalf("framing headers changed a no-document verdict: %+v, then %+v (%v)", v, w, err)
			}
		}
		page := framing.Response{URL: resp.URL, Status: 200, Headers: []framing.Header{{Name: "Content-Type", Value: "text/html"}}, Sniffed: resp.Sniffed}
		if w, err := framing.Evaluate(page, ancestors); err != nil || !w.Framable {
			t.Fatalf("an HTML page without framing headers = %+v (%v), want framable", w, err)
		}
	})
}
