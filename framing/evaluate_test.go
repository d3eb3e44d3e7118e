package framing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// These cases go beyond the corpus: they pin the rules the corpus implies
// (and Chromium's source matching) on origins and schemes it does not use.
var evaluateCases = []struct {
	name      string
	url       string
	headers   []framing.Header
	redirect  bool
	ancestors []string
	framable  bool
	decider   framing.Decider
	reason    string // a substring the reason must contain
}{
	{"no headers", "https://v.example/", nil, false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "any origin may frame"},
	{"not framed", "https://v.example/", xfo("DENY"), false,
		nil, true, framing.DecidedByNone, "not in a frame"},
	{"http source, default ports, upgrades to https", "https://v.example/", csp("frame-ancestors http://a.example"), false,
		[]string{"https://a.example"}, true, framing.DecidedByCSP, "allows every ancestor"},
	{"http source, explicit 80, upgrades to 443", "https://v.example/", csp("frame-ancestors http://a.example:80"), false,
		[]string{"https://a.example"}, true, framing.DecidedByCSP, ""},
	{"http source, same custom port, no upgrade", "https://v.example/", csp("frame-ancestors http://a.example:8443"), false,
		[]string{"https://a.example:8443"}, false, framing.DecidedByCSP, "only on default ports"},
	{"http source, any port, upgrades", "https://v.example/", csp("frame-ancestors http://a.example:*"), false,
		[]string{"https://a.example:8443"}, true, framing.DecidedByCSP, ""},
	{"https source never matches http", "https://v.example/", csp("frame-ancestors https://a.example"), false,
		[]string{"http://a.example"}, false, framing.DecidedByCSP, "names scheme https"},
	{"http: scheme matches https", "https://v.example/", csp("frame-ancestors http:"), false,
		[]string{"https://a.example:8443"}, true, framing.DecidedByCSP, ""},
	{"star skips non-network scheme", "https://v.example/", csp("frame-ancestors *"), false,
		[]string{"chrome-extension://abcdef"}, false, framing.DecidedByCSP, ""},
	{"star matches the page's own scheme", "custom://v/", csp("frame-ancestors *"), false,
		[]string{"custom://other"}, true, framing.DecidedByCSP, ""},
	// An http page inside an https one must be on the local machine, or it
	// is mixed content (below).
	{"self upgrades on default ports", "http://localhost/", csp("frame-ancestors 'self'"), false,
		[]string{"https://localhost"}, true, framing.DecidedByCSP, ""},
	{"self does not downgrade", "https://v.example/", csp("frame-ancestors 'self'"), false,
		[]string{"http://v.example"}, false, framing.DecidedByCSP, "'self' is only the page's origin https://v.example"},
	{"scheme-less source takes the page's scheme", "https://v.example/", csp("frame-ancestors a.example"), false,
		[]string{"http://a.example"}, false, framing.DecidedByCSP, ""},
	{"scheme-less source upgrades from an http page", "http://127.0.0.1/", csp("frame-ancestors a.example"), false,
		[]string{"https://a.example"}, true, framing.DecidedByCSP, ""},
	{"wildcard subdomain, deep", "https://v.example/", csp("frame-ancestors https://*.a.example"), false,
		[]string{"https://x.y.a.example"}, true, framing.DecidedByCSP, ""},
	{"wildcard subdomain, not the apex", "https://v.example/", csp("frame-ancestors https://*.a.example"), false,
		[]string{"https://a.example"}, false, framing.DecidedByCSP, ""},
	{"every ancestor must match", "https://v.example/", csp("frame-ancestors 'self'"), false,
		[]string{"https://v.example", "https://v.example", "https://evil.example"}, false, framing.DecidedByCSP, "top-level ancestor https://evil.example"},
	{"path ignored after redirect", "https://v.example/", csp("frame-ancestors https://a.example/embed"), true,
		[]string{"https://a.example"}, true, framing.DecidedByCSP, ""},
	{"path without redirect", "https://v.example/", csp("frame-ancestors https://a.example/embed"), false,
		[]string{"https://a.example"}, false, framing.DecidedByCSP, "has a path"},
	{"query after the path is dropped", "https://v.example/", csp("frame-ancestors 'self' https://partner.example/?embed"), false,
		[]string{"https://partner.example"}, true, framing.DecidedByCSP, ""},
	{"fragment after the path is dropped", "https://v.example/", csp("frame-ancestors https://partner.example/#x"), false,
		[]string{"https://partner.example"}, true, framing.DecidedByCSP, ""},
	{"path before a query still counts", "https://v.example/", csp("frame-ancestors https://partner.example/embed?x"), false,
		[]string{"https://partner.example"}, false, framing.DecidedByCSP, "has a path"},
	{"query right after the host is invalid", "https://v.example/", csp("frame-ancestors https://partner.example?x"), false,
		[]string{"https://partner.example"}, false, framing.DecidedByCSP, "none of its sources can match"},
	{"header names are case-insensitive", "https://v.example/", []framing.Header{{Name: "content-security-policy", Value: "frame-ancestors 'none'"}}, false,
		[]string{"https://v.example"}, false, framing.DecidedByCSP, "'none' allows no ancestor"},
	{"dropped frame-ancestors leaves XFO in charge", "https://v.example/",
		append(csp("frame-ancestors https://ä.example"), xfo("DENY")...), false,
		[]string{"https://xn--4ca.example"}, false, framing.DecidedByXFO, "forbids"},
	{"vertical tab is not whitespace in a name", "https://v.example/", csp("frame-ancestors\v'none'"), false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "any origin may frame"},
	{"vertical tab between sources drops the directive", "https://v.example/", csp("frame-ancestors 'none'\v'none'"), false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "frame-ancestors is ignored because its value holds a byte that is not allowed (0x0B), and X-Frame-Options is not set: any origin may frame"},
	{"invalid byte drops the directive", "https://v.example/", csp("frame-ancestors 'none' \xff"), false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "Content-Security-Policy frame-ancestors is ignored because its value holds a byte that is not allowed (0xFF), and X-Frame-Options is not set"},
	{"invalid byte, X-Frame-Options decides", "https://v.example/", append(csp("frame-ancestors *\xff"), xfo("DENY")...), false,
		[]string{"https://evil.example"}, false, framing.DecidedByXFO, "forbids rendering the page in any frame; Content-Security-Policy frame-ancestors is ignored because its value holds a byte that is not allowed (0xFF), so X-Frame-Options decides"},
	{"vertical tab in frame-ancestors leaves XFO in charge", "https://v.example/",
		append(csp("frame-ancestors *\v*"), xfo("DENY")...), false,
		[]string{"https://evil.example"}, false, framing.DecidedByXFO, "forbids"},
	{"vertical tab around XFO is trimmed", "https://v.example/", xfo("\vDENY\v"), false,
		[]string{"https://evil.example"}, false, framing.DecidedByXFO, "forbids"},
	{"sameorigin checks every ancestor", "https://v.example/", xfo("SAMEORIGIN"), false,
		[]string{"https://v.example", "https://evil.example", "https://v.example"}, false, framing.DecidedByXFO, "ancestor https://evil.example is not same-origin"},
	{"sameorigin, same-origin chain", "https://v.example/page?q=1", xfo("SAMEORIGIN"), false,
		[]string{"https://v.example", "https://v.example:443"}, true, framing.DecidedByXFO, "every ancestor"},
	{"sameorigin, opaque page URL", "", xfo("SAMEORIGIN"), false,
		[]string{"https://v.example"}, false, framing.DecidedByXFO, "not same-origin"},
	{"sameorigin, opaque parent", "https://v.example/", xfo("SAMEORIGIN"), false,
		[]string{"null", "https://v.example"}, false, framing.DecidedByXFO, "opaque origin is same-origin with nothing"},
	{"allowall", "https://v.example/", xfo("ALLOWALL"), false,
		[]string{"https://evil.example"}, true, framing.DecidedByXFO, "no restriction"},
	{"allow-from ignored", "https://v.example/", xfo("ALLOW-FROM https://a.example"), false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "not a value browsers understand"},
	{"look-alike SAMEORIGIN is unknown", "https://v.example/", xfo("SAMEORİGİN"), false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "not a value browsers understand"},
	{"report-only ignored", "https://v.example/", []framing.Header{{Name: "Content-Security-Policy-Report-Only", Value: "frame-ancestors 'none'"}}, false,
		[]string{"https://evil.example"}, true, framing.DecidedByNone, "only reports"},
}

func xfo(v string) []framing.Header { return []framing.Header{{Name: "X-Frame-Options", Value: v}} }
func csp(v string) []framing.Header {
	return []framing.Header{{Name: "Content-Security-Policy", Value: v}}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	for _, tc := range evaluateCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := framing.Response{URL: tc.url, Status: 200, Headers: tc.headers, Redirected: tc.redirect}
			got, err := framing.Evaluate(resp, tc.ancestors)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got.Framable != tc.framable || got.DecidedBy != tc.decider {
				t.Errorf("Evaluate(%q, %q) = framable %v by %s, want %v by %s (reason: %s)",
					tc.headers, tc.ancestors, got.Framable, got.DecidedBy, tc.framable, tc.decider, got.Reason)
			}
			if !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", got.Reason, tc.reason)
			}
		})
	}
}

func TestEvaluate_meta(t *testing.T) {
	t.Parallel()
	resp := framing.Response{URL: "https://v.example/", Meta: []framing.Meta{
		{HTTPEquiv: "X-Frame-Options", Content: "DENY"},
		{HTTPEquiv: "Content-Security-Policy", Content: "frame-ancestors 'none'"},
	}}
	got, err := framing.Evaluate(resp, []string{"https://evil.example"})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if !got.Framable || got.DecidedBy != framing.DecidedByNone {
		t.Errorf("meta tags: got framable %v by %s, want true by none", got.Framable, got.DecidedBy)
	}
	for _, want := range []string{`<meta http-equiv="X-Frame-Options"> is ignored`, `frame-ancestors in <meta http-equiv="Content-Security-Policy"> is ignored`} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("reason %q does not contain %q", got.Reason, want)
		}
	}
}

func TestEvaluate_badAncestor(t *testing.T) {
	t.Parallel()
	for _, anc := range []string{"", "evil.example", "https://evil.example/path", "javascript:alert(1)"} {
		if v, err := framing.Evaluate(framing.Response{URL: "https://v.example/"}, []string{"https://ok.example", anc}); err == nil {
			t.Errorf("Evaluate with ancestor %q = %+v, want an error", anc, v)
		} else if !strings.Contains(err.Error(), "ancestor 2") {
			t.Errorf("Evaluate with ancestor %q: error %q does not name ancestor 2", anc, err)
		}
	}
}

func TestEvaluate_object(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		element  string
		status   int
		headers  []framing.Header
		framable bool
		decider  framing.Decider
	}{
		{"object, 200", "object", 200, nil, true, framing.DecidedByNone},
		{"object, 203", "object", 203, nil, true, framing.DecidedByNone},
		{"object, status unknown", "object", 0, nil, true, framing.DecidedByNone},
		{"object, 404", "object", 404, nil, false, framing.DecidedByStatus},
		{"OBJECT, 500", "OBJECT", 500, nil, false, framing.DecidedByStatus},
		{"object, 300", "object", 300, nil, false, framing.DecidedByStatus},
		{"object, 404, allowed by CSP", "object", 404, csp("frame-ancestors *"), false, framing.DecidedByStatus},
		{"object, 404, DENY decides first", "object", 404, xfo("DENY"), false, framing.DecidedByXFO},
		{"embed, 404", "embed", 404, nil, true, framing.DecidedByNone},
		{"iframe, 404", "iframe", 404, nil, true, framing.DecidedByNone},
		{"no element, 404", "", 404, nil, true, framing.DecidedByNone},
	}
	for _, tc := range tests {
		resp := framing.Response{URL: "https://v.example/", Status: tc.status, Element: tc.element, Headers: tc.headers}
		got, err := framing.Evaluate(resp, []string{"https://evil.example"})
		if err != nil {
			t.Fatalf("%s: Evaluate: %v", tc.name, err)
		}
		if got.Framable != tc.framable || got.DecidedBy != tc.decider {
			t.Errorf("%s: got framable %v by %s, want %v by %s (reason: %s)", tc.name, got.Framable, got.DecidedBy, tc.framable, tc.decider, got.Reason)
		}
	}
}

// TestEvaluate_mixedContent: the frames of testdata/mixed-content.json
// that Chromium blocks as mixed content, and their neighbours that it does
// not, whatever the headers say. internal/chromiumlive's
// TestMixedContent_chromium measures every one in Chromium.
func TestEvaluate_mixedContent(t *testing.T) {
	t.Parallel()
	cases := corpustest.ReadMixedContent(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got, err := framing.Evaluate(tc.Response(), tc.Ancestors)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if tc.Blocked {
				if got.Framable || got.DecidedBy != framing.DecidedByMixedContent || !strings.Contains(got.Reason, "mixed content") {
					t.Errorf("Evaluate(%s via %q in %q) = %+v, want blocked as mixed content", tc.URL, tc.Redirects, tc.Ancestors, got)
				}
				return
			}
			if !got.Framable || got.DecidedBy != framing.DecidedByCSP {
				t.Errorf("Evaluate(%s via %q in %q) = %+v, want framable by the headers", tc.URL, tc.Redirects, tc.Ancestors, got)
			}
		})
	}
}

// TestEvaluate_mixedContentRedirected: Redirects alone count as a redirect,
// for the paths of frame-ancestors sources.
func TestEvaluate_mixedContentRedirected(t *testing.T) {
	resp := framing.Response{URL: "https://v.test/", Headers: csp("frame-ancestors https://a.test/embed"), Redirects: []string{"https://v.test/old"}}
	got, err := framing.Evaluate(resp, []string{"https://a.test"})
	if err != nil || !got.Framable {
		t.Errorf("Evaluate with Redirects = %+v, %v; want framable, the source's path ignored after a redirect", got, err)
	}
}

// TestEvaluate_noDocument: the responses of testdata/no-document.json, which
// put no document of the page in a frame (a 204, a download), and their
// neighbours that do, in each frame element, framed by the page's own
// origin. internal/chromiumlive's TestNoDocument_chromium measures every
// one in Chromium.
func TestEvaluate_noDocument(t *testing.T) {
	t.Parallel()
	const page = "https://v.test/page"
	for _, tc := range corpustest.ReadNoDocument(t) {
		for _, el := range []string{"iframe", "object", "embed"} {
			want := tc.Frame
			if el == "object" {
				want = tc.ObjectFrame()
			}
			got, err := framing.Evaluate(tc.Response(page, el), []string{"https://v.test"})
			if err != nil {
				t.Fatalf("%s in an %s: %v", tc.Name, el, err)
			}
			switch {
			case got.Framable != (want == corpustest.FrameDocument):
				t.Errorf("%s in an %s: Evaluate = %+v, but Chromium shows %s", tc.Name, el, got, want)
			case want == corpustest.FrameNothing && got.DecidedBy != framing.DecidedByNoDocument:
				t.Errorf("%s in an %s: decided by %s (%s), want no-document", tc.Name, el, got.DecidedBy, got.Reason)
			case got.DecidedBy == framing.DecidedByNoDocument && want != corpustest.FrameNothing &&
				!strings.Contains(got.Reason, "error page") && !strings.Contains(got.Reason, "fallback content"):
				// The reason must say what the frame shows.
				t.Errorf("%s in an %s: Evaluate = %+v, but Chromium shows %s", tc.Name, el, got, want)
			case want == corpustest.FrameNothing && !strings.Contains(got.Reason, "keeps the empty document"):
				t.Errorf("%s in an %s: Evaluate = %+v, but the frame keeps its empty document", tc.Name, el, got)
			}
		}
	}
}

// TestContentType: the type is the one the download rule judges (the last
// value with a '/', across lines and commas), whatever a strict parser
// makes of its parameters; the scanner looks for <meta> tags by it.
func TestContentType(t *testing.T) {
	t.Parallel()
	ct := func(v ...string) []framing.Header {
		var hs []framing.Header
		for _, s := range v {
			hs = append(hs, framing.Header{Name: "content-type", Value: s})
		}
		return hs
	}
	for _, tc := range []struct {
		headers    []framing.Header
		mt, params string
	}{
		{nil, "", ""},
		{ct("text/html; charset=utf-8"), "text/html", " charset=utf-8"},
		{ct("TEXT/HTML ; charset="), "text/html", " charset="},
		{ct("text/html; charset=utf-8;;"), "text/html", " charset=utf-8;;"},
		{ct("text/plain, text/html"), "text/html", ""},
		{ct("text/plain", "text/html"), "text/html", ""},
		{ct("text/html", "text/plain"), "text/plain", ""},
		{ct("text/html", "*/*", "nonsense"), "text/html", ""},
		{ct(`text/html; charset="a,b"`), "text/html", ` charset="a,b"`},
	} {
		mt, params := framing.ContentType(tc.headers)
		if mt != tc.mt || params != tc.params {
			t.Errorf("ContentType(%v) = %q, %q; want %q, %q", tc.headers, mt, params, tc.mt, tc.params)
		}
	}
}

// TestEvaluate_unfollowedRedirect checks that a redirect to a URL that is
// not http or https leaves nothing of the page in a frame, whatever the
// headers say, as measured in Chromium by scan/proof's
// TestLoad_unfollowedRedirect; and that the rule needs a redirect.
func TestEvaluate_unfollowedRedirect(t *testing.T) {
	t.Parallel()
	allow := []framing.Header{{Name: "Content-Security-Policy", Value: "frame-ancestors *"}}
	for _, tc := range []struct {
		resp framing.Response
		// want is in the reason of a blocked verdict; "" for one that the
		// rule leaves to the headers.
		want string
	}{
		{framing.Response{URL: "data:text/html,hi", Redirects: []string{"http://v.test/"}}, "(here data:): Chromium refuses it (net::ERR_UNSAFE_REDIRECT) and shows its own error page"},
		{framing.Response{URL: "about:blank", Redirected: true, Headers: allow}, "(here about:): Chromium refuses it (net::ERR_UNSAFE_REDIRECT)"},
		{framing.Response{URL: "wss://v.test/", Redirects: []string{"https://v.test/"}, Headers: allow}, "net::ERR_UNKNOWN_URL_SCHEME"},
		{framing.Response{URL: "javascript:alert(1)", Redirects: []string{"http://v.test/"}, Headers: allow}, "(here javascript:): Chromium ends the navigation there (net::ERR_ABORTED) and commits nothing"},
		{framing.Response{URL: "MyApp://open", Redirects: []string{"http://v.test/", "http://v.test/a"}}, "(here myapp:): Chromium ends the navigation there"},
		{framing.Response{URL: "blob:http://v.test/x", Redirects: []string{"http://v.test/"}, Element: "object"}, "and shows the <object>'s fallback content"},
		// No redirect: the model judges the headers of the URL it is given.
		{framing.Response{URL: "data:text/html,hi", Headers: allow}, ""},
		// A redirect to http or https is followed.
		{framing.Response{URL: "https://v.test/", Redirects: []string{"http://v.test/"}, Headers: allow}, ""},
		{framing.Response{URL: "HTTP://v.test/", Redirects: []string{"http://v.test/a"}, Headers: allow}, ""},
	} {
		v, err := framing.Evaluate(tc.resp, []string{"http://attacker.example"})
		if err != nil {
			t.Fatalf("%s: %v", tc.resp.URL, err)
		}
		if tc.want == "" {
			if !v.Framable || v.DecidedBy != framing.DecidedByCSP {
				t.Errorf("%s via %q: %+v; want framable by its frame-ancestors *", tc.resp.URL, tc.resp.Redirects, v)
			}
			continue
		}
		if v.Framable || v.DecidedBy != framing.DecidedByNoDocument || !strings.Contains(v.Reason, tc.want) {
			t.Errorf("%s via %q: %+v; want blocked, no-document, with %q", tc.resp.URL, tc.resp.Redirects, v, tc.want)
		}
	}
}

// TestEvaluate_badPort checks that a page on a bad port of the Fetch
// standard, or reached through one, is never framable, whatever its headers
// say, and that its neighbours are judged by their headers.
// internal/chromiumlive's TestBadPorts_chromium measures the list in
// Chromium.
func TestEvaluate_badPort(t *testing.T) {
	t.Parallel()
	attacker := []string{"http://attacker.example"}
	for _, tc := range []struct {
		url       string
		redirects []string
		blocked   bool
	}{
		{"http://127.0.0.1:6666/", nil, true},
		{"https://example.com:6697/path", nil, true},
		{"http://example.com:06000/", nil, true}, // the same port to browsers
		{"http://example.com:10080/", nil, true},
		{"http://127.0.0.1:0/", nil, true}, // no origin has port 0; Chromium refuses it too
		{"http://example.com:00/", nil, true},
		{"https://example.com/", []string{"http://example.com:25/"}, true},
		{"http://127.0.0.1:6670/", nil, false},
		{"http://example.com:10081/", nil, false},
		{"http://example.com:80/", nil, false},
		{"https://example.com/", nil, false},
		{"https://example.com/", []string{"http://example.com:8025/"}, false},
	} {
		resp := framing.Response{URL: tc.url, Status: 200, Redirects: tc.redirects}
		v, err := framing.Evaluate(resp, attacker)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if tc.blocked {
			if v.Framable || v.DecidedBy != framing.DecidedByNoDocument || !strings.Contains(v.Reason, "bad port") {
				t.Errorf("%s via %q: %+v; want blocked, no-document, for its bad port", tc.url, tc.redirects, v)
			}
			continue
		}
		if !v.Framable || v.DecidedBy != framing.DecidedByNone {
			t.Errorf("%s via %q: %+v; want framable, decided by no header", tc.url, tc.redirects, v)
		}
	}
	if v, err := framing.Evaluate(framing.Response{URL: "http://127.0.0.1:6666/", Status: 200}, nil); err != nil || !v.Framable {
		t.Errorf("a bad port with no ancestor: %+v, %v; want the no-frame verdict", v, err)
	}
	if ports := framing.BadPorts(); len(ports) != 81 || ports[0] != 0 || ports[len(ports)-1] != 10080 || slices.Contains(ports, 4190) {
		t.Errorf("BadPorts = %v, want the Fetch standard's 83 ports, 0 to 10080, but 4190 and 6679, which Chromium does not block", ports)
	}
}
