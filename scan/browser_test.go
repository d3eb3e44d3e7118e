package scan_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/scan"
)

// fakeProver answers every chain the same way and records the calls.
type fakeProver struct {
	rendered bool
	err      error
	calls    chan []string
}

func (p *fakeProver) Prove(ctx context.Context, url string, ancestors []string, cookie bool) (scan.BrowserVerdict, error) {
	if _, ok := ctx.Deadline(); !ok {
		return scan.BrowserVerdict{}, errors.New("no deadline")
	}
	p.calls <- append([]string{url}, ancestors...)
	if p.err != nil {
		return scan.BrowserVerdict{Browser: "Fake 1"}, p.err
	}
	return scan.BrowserVerdict{Browser: "Fake 1", Rendered: p.rendered, What: "what the fake saw"}, nil
}

// TestRun_browserUserinfo: a URL with a user name and password is not
// handed to the browser, which would not load it in a frame; each verdict
// says so at once.
func TestRun_browserUserinfo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
	}))
	defer srv.Close()
	p := &fakeProver{calls: make(chan []string, 10)}
	u := strings.Replace(srv.URL, "http://", "http://alice:secret@", 1) + "/p"
	var res scan.Result
	if err := scan.Run(t.Context(), scan.Options{SkipErrorPage: true, Browser: p}, []string{u}, func(r scan.Result) { res = r }); err != nil {
		t.Fatal(err)
	}
	if len(p.calls) != 0 {
		t.Errorf("the prover was called %d times for a URL with credentials", len(p.calls))
	}
	if len(res.Verdicts) == 0 {
		t.Fatalf("no verdicts: %v", res.Err)
	}
	for _, v := range res.Verdicts {
		if v.Browser == nil || !strings.Contains(v.Browser.Error, "user name or password") {
			t.Errorf("verdict %q: browser %+v, want an error saying why it was not proved", v.Chain, v.Browser)
		}
	}
}

// TestRun_browser checks that every verdict gets the browser's proof, that
// a contradiction becomes a browser-disagrees finding ahead of the others,
// that agreement and a failed proof add none, and that the report shows it.
func TestRun_browser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		w.Write([]byte("<!doctype html><title>t</title>"))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name          string
		prover        *fakeProver
		disagreements int
		text          string
	}{
		{"agrees", &fakeProver{rendered: false}, 0, "Fake 1: blocked: what the fake saw\n"},
		{"disagrees", &fakeProver{rendered: true}, 3, "Fake 1: rendered: what the fake saw (DISAGREES with the prediction)\n"},
		{"fails", &fakeProver{err: errors.New("boom")}, 0, "Fake 1: no proof: boom\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prover.calls = make(chan []string, 10)
			opts := scan.Options{SkipErrorPage: true, Browser: tc.prover}
			var res scan.Result
			if err := scan.Run(t.Context(), opts, []string{srv.URL + "/p"}, func(r scan.Result) { res = r }); err != nil {
				t.Fatal(err)
			}
			close(tc.prover.calls)
			var calls [][]string
			for c := range tc.prover.calls {
				calls = append(calls, c)
			}
			if len(calls) != 3 || !slices.Equal(calls[0], []string{srv.URL + "/p", "http://attacker.example"}) {
				t.Errorf("Prove calls %q, want the three standard chains of the final URL", calls)
			}
			for _, v := range res.Verdicts {
				if v.Browser == nil {
					t.Fatalf("verdict %q has no browser proof", v.Chain)
				}
				if (v.Browser.Error != "") != (tc.prover.err != nil) {
					t.Errorf("verdict %q: browser error %q", v.Chain, v.Browser.Error)
				}
			}
			n := 0
			for i, f := range res.Findings {
				if f.ID == "browser-disagrees" {
					n++
					if i >= tc.disagreements || f.Severity != scan.SeverityHigh || !strings.Contains(f.Message, "Fake 1 rendered the page") {
						t.Errorf("finding %d: %+v, want a leading high browser-disagrees saying the fake rendered the page", i, f)
					}
				}
			}
			if n != tc.disagreements {
				t.Errorf("%d browser-disagrees findings, want %d", n, tc.disagreements)
			}
			var buf bytes.Buffer
			rep := scan.NewReport(&buf, scan.FormatText, false)
			rep.Add(res)
			rep.Close()
			if got := strings.Count(buf.String(), tc.text); got != 3 {
				t.Errorf("report has %q %d times, want 3:\n%s", tc.text, got, buf.String())
			}
			// The summary counts a page whose proof failed, which exits 3.
			if unproved := strings.Contains(buf.String(), ", 1 not proved in the browser,"); unproved != (tc.prover.err != nil) {
				t.Errorf("summary says a page was not proved: %v, want %v:\n%s", unproved, tc.prover.err != nil, buf.String())
			}
			buf.Reset()
			rep = scan.NewReport(&buf, scan.FormatHTML, false)
			rep.Add(res)
			rep.Close()
			if unproved := strings.Contains(buf.String(), "<strong>1</strong> not proved in the browser"); unproved != (tc.prover.err != nil) {
				t.Errorf("HTML summary says a page was not proved: %v, want %v", unproved, tc.prover.err != nil)
			}
			buf.Reset()
			rep = scan.NewReport(&buf, scan.FormatJSONL, false)
			rep.Add(res)
			if !strings.Contains(buf.String(), `"browser":{"browser":"Fake 1"`) {
				t.Errorf("JSON has no browser object: %s", buf.String())
			}
		})
	}
}

// TestRun_browserRedirect checks that the browser is given the URL as
// scanned, not the final URL of its redirects: framed directly, the final
// URL is a navigation without them, on which Chromium may decide otherwise
// (it ignores a source's path only after a redirect).
func TestRun_browserRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/r" {
			http.Redirect(w, r, "/p", http.StatusFound)
			return
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors http://attacker.example/sub/")
		w.Write([]byte("<!doctype html><title>t</title>"))
	}))
	defer srv.Close()
	p := &fakeProver{rendered: true, calls: make(chan []string, 10)}
	opts := scan.Options{SkipErrorPage: true, Browser: p}
	var res scan.Result
	if err := scan.Run(t.Context(), opts, []string{srv.URL + "/r"}, func(r scan.Result) { res = r }); err != nil {
		t.Fatal(err)
	}
	close(p.calls)
	if res.FinalURL != srv.URL+"/p" {
		t.Fatalf("final URL %q, want %q", res.FinalURL, srv.URL+"/p")
	}
	for c := range p.calls {
		if c[0] != srv.URL+"/r" {
			t.Errorf("Prove(%q, %q), want the URL as scanned, %s", c[0], c[1:], srv.URL+"/r")
		}
	}
}
