package scan

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// TestParseRefresh follows the HTML standard's shared declarative refresh
// steps: the delay's digits, a separator, an optional "URL=" and a URL in
// quotes or not.
func TestParseRefresh(t *testing.T) {
	base, _ := url.Parse("http://a.example/dir/page?x=1")
	for _, tc := range []struct {
		value, delay, target string // target "" for the page itself
		ok                   bool
	}{
		{"0; url=/next", "0", "http://a.example/next", true},
		{"5;URL='/q?x=1'", "5", "http://a.example/q?x=1", true},
		{` 3 , Url = "next" and more`, "3", "http://a.example/dir/next", true},
		{"1.5; url=/n", "1", "http://a.example/n", true},
		{".5; url=/n", "0", "http://a.example/n", true},
		{"0;url=https://b.example/x#frag", "0", "https://b.example/x#frag", true},
		{"0; /plain", "0", "http://a.example/plain", true},
		{"0; 'quoted' rest", "0", "http://a.example/dir/quoted", true},
		{"0; ur/x", "0", "http://a.example/dir/ur/x", true},
		{"0\turl=\t/tab\t", "0", "http://a.example/tab", true},
		{"0;url=/a\nb", "0", "http://a.example/ab", true},
		{"0", "0", "", true},
		{"30;", "30", "", true},
		{"7 ; ", "7", "", true},
		{"", "", "", false},
		{"soon", "", "", false},
		{"-1; url=/x", "", "", false},
		{"0x; url=/x", "", "", false},
	} {
		delay, target, ok := parseRefresh(tc.value, base)
		got := ""
		if target != nil {
			got = target.String()
		}
		if ok != tc.ok || delay != tc.delay || got != tc.target {
			t.Errorf("parseRefresh(%q) = %q, %q, %v; want %q, %q, %v", tc.value, delay, got, ok, tc.delay, tc.target, tc.ok)
		}
	}
}

// TestPageRefresh: the Refresh header wins over <meta> tags, the first
// <meta> refresh that parses counts, only an HTML body's tags are read, and
// a refresh of the page itself, or to a URL that is not http or https, is
// none.
func TestPageRefresh(t *testing.T) {
	final, _ := url.Parse("http://a.example/page")
	header := func(v string) framing.Header { return framing.Header{Name: "Refresh", Value: v} }
	meta := func(v string) framing.Meta { return framing.Meta{HTTPEquiv: "Refresh", Content: v} }
	for _, tc := range []struct {
		name     string
		resp     framing.Response
		isHTML   bool
		evidence string // "" for none
	}{
		{"header", framing.Response{Headers: []framing.Header{header("0;url=/h")}}, false, "Refresh: 0;url=/h"},
		{"header over meta", framing.Response{Headers: []framing.Header{header("0;url=/h")}, Meta: []framing.Meta{meta("0;url=/m")}}, true, "Refresh: 0;url=/h"},
		{"meta", framing.Response{Meta: []framing.Meta{{HTTPEquiv: "Content-Type", Content: "text/html"}, meta("bad"), meta("2; url=/m")}}, true, `<meta http-equiv="Refresh" content="2; url=/m">`},
		{"meta of a body that is not HTML", framing.Response{Meta: []framing.Meta{meta("0; url=/m")}}, false, ""},
		{"the page itself", framing.Response{Headers: []framing.Header{header("5")}, Meta: []framing.Meta{meta("0; url=/page#top")}}, true, ""},
		{"a script URL", framing.Response{Meta: []framing.Meta{meta("0; url=javascript:alert(1)")}}, true, ""},
	} {
		r, ok := pageRefresh(tc.resp, final, metaBase{}, tc.isHTML)
		if ok != (tc.evidence != "") || r.evidence != tc.evidence {
			t.Errorf("%s: refresh %+v, %v; want evidence %q", tc.name, r, ok, tc.evidence)
		}
	}
}

// TestPageRefresh_base: a <meta> refresh resolves against the base URL of
// the document so far, as Chromium does. Measured in Chromium 156: a
// <base href="/sub/"> before the tag sends "url=target" to /sub/target, one
// after it to /target; a javascript: base is ignored; after a base that
// does not parse, a relative refresh URL goes nowhere. A Refresh header,
// read before any of the document, resolves against the page's URL.
func TestPageRefresh_base(t *testing.T) {
	final, _ := url.Parse("http://a.example/dir/page")
	for _, tc := range []struct {
		name, body, header, want string
	}{
		{"base before", `<base href="/sub/"><meta http-equiv="refresh" content="0; url=target">`, "", "http://a.example/sub/target"},
		{"base after", `<meta http-equiv="refresh" content="0; url=target"><base href="/sub/">`, "", "http://a.example/dir/target"},
		{"the first base with an href", `<base target="_top"><base href="https://b.example/x/"><base href="/sub/"><meta http-equiv="refresh" content="0; url=target">`, "", "https://b.example/x/target"},
		{"a base in a script is text", `<script>"<base href='/sub/'>"</script><meta http-equiv="refresh" content="0; url=target">`, "", "http://a.example/dir/target"},
		{"a javascript: base", `<base href="javascript:void(0)/"><meta http-equiv="refresh" content="0; url=target">`, "", "http://a.example/dir/target"},
		{"a base that does not parse", `<base href="http://[::1"><meta http-equiv="refresh" content="0; url=target">`, "", ""},
		{"a base that does not parse, an absolute URL", `<base href="http://[::1"><meta http-equiv="refresh" content="0; url=https://c.example/">`, "", "https://c.example/"},
		{"header", `<base href="/sub/">`, "0; url=target", "http://a.example/dir/target"},
	} {
		resp := framing.Response{}
		if tc.header != "" {
			resp.Headers = []framing.Header{{Name: "Refresh", Value: tc.header}}
		}
		h := readHead([]byte(tc.body))
		resp.Meta = h.meta
		r, ok := pageRefresh(resp, final, newMetaBase(h, final), true)
		got := ""
		if ok {
			got = r.target.String()
		}
		if got != tc.want {
			t.Errorf("%s: refresh to %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRun_refreshBase: the refresh finding of a scanned page names the URL
// its <base href> resolves.
func TestRun_refreshBase(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><base href="/sub/"><meta http-equiv="refresh" content="0; url=target">`)
	}))
	defer srv.Close()
	_, results := crawlRun(t, Options{SkipErrorPage: true}, srv.URL+"/dir/page")
	want := "The page refreshes to " + srv.URL + "/sub/target at once"
	if len(results) != 1 || !slices.ContainsFunc(results[0].Findings, func(f Finding) bool { return strings.HasPrefix(f.Message, want) }) {
		t.Errorf("findings %+v; want one saying %q", results, want)
	}
}

// TestRun_refresh: a page that refreshes to another says so in an info
// finding naming that page, with the words for a <meta> refresh (which a
// frame sandboxed without scripts does not run) or a Refresh header; the
// crawl follows both, and only the refresh browsers take: the first <meta>
// refresh, and none after a Refresh header.
func TestRun_refresh(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/meta", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>moving</title><meta http-equiv="refresh" content="1; url=/header">`+
			`<base href="/sub/"><meta http-equiv="refresh" content="0; url=ignored">`)
	})
	mux.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Refresh", "0; url=/landing")
		fmt.Fprint(w, `<!doctype html><title>moving on</title><meta http-equiv="refresh" content="0; url=/ignored">`)
	})
	mux.HandleFunc("/landing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		fmt.Fprint(w, `<!doctype html><title>landing</title><meta http-equiv="refresh" content="600; url=/logout">`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := srv.URL

	got, results := crawlRun(t, Options{Crawl: 5, SkipErrorPage: true}, s+"/meta")
	if want := []string{s + "/meta", s + "/header <- " + s + "/meta", s + "/landing <- " + s + "/header"}; !slices.Equal(got, want) {
		t.Errorf("scanned:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	want := map[string][2]string{
		"/meta": {`<meta http-equiv="refresh" content="1; url=/header">`,
			"The page refreshes to " + s + "/header after 1 second: in a frame, that page then replaces this one, and its own headers decide whether it shows there. Scan it too. (Chromium runs no <meta> refresh in a frame sandboxed without allow-scripts: there, this page stays.)"},
		"/header": {"Refresh: 0; url=/landing",
			"The page refreshes to " + s + "/landing at once: in a frame, that page then replaces this one, and its own headers decide whether it shows there. Scan it too. (Chromium runs a Refresh header in a sandboxed frame too.)"},
		"/landing": {`<meta http-equiv="refresh" content="600; url=/logout">`,
			"The page refreshes to " + s + "/logout after 600 seconds: in a frame, that page then replaces this one, and its own headers decide whether it shows there. Scan it too. (Chromium runs no <meta> refresh in a frame sandboxed without allow-scripts: there, this page stays.)"},
	}
	for _, r := range results {
		path := strings.TrimPrefix(r.URL, s)
		i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.ID == "refresh" })
		if i < 0 {
			t.Errorf("%s: no refresh finding in %+v", path, r.Findings)
			continue
		}
		f := r.Findings[i]
		if f.Severity != SeverityInfo || !slices.Equal(f.Evidence, []string{want[path][0]}) || f.Message != want[path][1] {
			t.Errorf("%s: refresh finding %s %q, evidence %q;\nwant info %q, evidence %q", path, f.Severity, f.Message, f.Evidence, want[path][1], want[path][0])
		}
	}
}

// FuzzParseRefresh: any value parses without panicking, to a delay of
// digits and, when there is one, an absolute URL.
func FuzzParseRefresh(f *testing.F) {
	for _, v := range []string{"0; url=/next", "5;URL='/q?x=1'", " 3 , Url = \"next\"", ".5", "0; ur/x", "u", "url", "0;url=", "0; 'x"} {
		f.Add(v)
	}
	base, _ := url.Parse("https://a.example/dir/page")
	f.Fuzz(func(t *testing.T, v string) {
		delay, target, ok := parseRefresh(v, base)
		if !ok {
			return
		}
		if delay == "" || strings.Trim(delay, "0123456789") != "" {
			t.Errorf("parseRefresh(%q): delay %q is not digits", v, delay)
		}
		if target != nil && !target.IsAbs() {
			t.Errorf("parseRefresh(%q): target %v is not absolute", v, target)
		}
	})
}
