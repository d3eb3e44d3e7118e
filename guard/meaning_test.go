package guard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// checkMeaning evaluates the framing headers of resp with the framing model
// (the browser's rules) and checks that they mean what wantCSP says: the
// page is framable by exactly the origins it names ('self' being the page's
// own origin), at any depth. Where X-Frame-Options is sent, it must mean the
// same on its own, for browsers that do not know frame-ancestors. Only the
// framing headers are given to the model, for a response that renders: a
// 304 or a download renders nothing whatever its headers say, and what is
// checked here is what the headers say.
func checkMeaning(t *testing.T, pageURL string, resp *http.Response, wantCSP string) {
	t.Helper()
	page := pageURL
	if i := strings.Index(page[len("http://"):], "/"); i >= 0 {
		page = page[:len("http://")+i]
	}
	allowed := map[string]bool{}
	for _, src := range strings.Fields(wantCSP)[1:] {
		switch src {
		case "'none'":
		case "'self'":
			allowed[page] = true
		default:
			allowed[src] = true
		}
	}
	var headers, xfoOnly []framing.Header
	for name, vs := range resp.Header {
		if !strings.HasPrefix(name, "Content-Security-Policy") && name != "X-Frame-Options" {
			continue
		}
		for _, v := range vs {
			headers = append(headers, framing.Header{Name: name, Value: v})
			if name != "Content-Security-Policy" {
				xfoOnly = append(xfoOnly, framing.Header{Name: name, Value: v})
			}
		}
	}
	_, hasXFO := resp.Header["X-Frame-Options"]
	for _, ancestor := range []string{page, originA, originB, originBad, "null"} {
		for _, chain := range [][]string{{ancestor}, {page, ancestor}, {ancestor, page}} {
			want := true
			for _, o := range chain {
				want = want && allowed[o]
			}
			v, err := framing.Evaluate(framing.Response{URL: pageURL, Headers: headers}, chain)
			if err != nil {
				t.Fatalf("framing.Evaluate(%q): %v", chain, err)
			}
			if v.Framable != want {
				t.Errorf("framed by %q: framable = %v, want %v (%s)", chain, v.Framable, want, v.Reason)
			}
			if v.DecidedBy != framing.DecidedByCSP {
				t.Errorf("framed by %q: decided by %s, want csp", chain, v.DecidedBy)
			}
			if !hasXFO {
				continue
			}
			v, err = framing.Evaluate(framing.Response{URL: pageURL, Headers: xfoOnly}, chain)
			if err != nil {
				t.Fatalf("framing.Evaluate(%q): %v", chain, err)
			}
			if v.Framable != want || v.DecidedBy != framing.DecidedByXFO {
				t.Errorf("X-Frame-Options alone, framed by %q: framable = %v by %s, want %v by xfo (%s)",
					chain, v.Framable, v.DecidedBy, want, v.Reason)
			}
		}
	}
}
