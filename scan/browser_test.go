package scan_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
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
	status   int // the status the fake reports; 0 for none
	err      error
	calls    chan []string
	browser  string // the name it gives; "" for "Fake 1"
}

func (p *fakeProver) Prove(ctx context.Context, url string, ancestors []string, cookie bool) (scan.BrowserVerdict, error) {
	if _, ok := ctx.Deadline(); !ok {
		return scan.BrowserVerdict{}, errors.New("no deadline")
	}
	p.calls <- append([]string{url}, ancestors...)
	name := cmp.Or(p.browser, "Fake 1")
	if p.err != nil {
		return scan.BrowserVerdict{Browser: name}, p.err
	}
	return scan.BrowserVerdict{Browser: name, Rendered: p.rendered, Status: p.status, What: "what the fake saw"}, nil
}

// TestRun_browserOlderChromium: a page that Chromium 148 or 150 frames
// otherwise than Chromium 156, whose verdicts the scanner gives, gets one
// older-chromium-differs finding, medium where one renders what 156
// refuses, info the other way round, with a browser proof or without. A
// Chromium older than 156 that gives the verdict of its own reading of
// the response (framing.AsChromium) is no browser-disagrees, and its
// proof says how it read the response; a current Chromium that
// contradicts the prediction, or an older one that contradicts it on a
// response it reads alike, or that contradicts its own reading, still
// disagrees.
func TestRun_browserOlderChromium(t *testing.T) {
	const chromium148, chromium150, chromium156 = "Chromium 148.0.7778.167", "Chromium 150.0.7871.100", "Chromium 156.0.8078.114"
	twice := [][2]string{{"Content-Type", "text/html"}, {"Content-Disposition", "attachment"}, {"Content-Disposition", "attachment"}}
	const twiceSays = "Content-Disposition: attachment, given 2 times, is no download to Chromium 150 and older"
	nosniff := [][2]string{{"Content-Type", "text/plain"}, {"X-Content-Type-Options", "nosniff, nosniff"}}
	const nosniffSays = "X-Content-Type-Options: nosniff, nosniff is not nosniff to Chromium 148 and older"
	for _, tc := range []struct {
		name      string
		headers   [][2]string
		browser   string // "" for no proof
		rendered  bool
		older     scan.Severity // of the older-chromium-differs finding; 0 for none
		says      string        // in its evidence
		disagrees bool          // three browser-disagrees findings
		reads     bool          // each proof says how the browser read the response
	}{
		{"a download twice, no proof", twice, "", false, scan.SeverityMedium, twiceSays, false, false},
		{"nosniff twice, no proof", nosniff, "", false, scan.SeverityInfo, nosniffSays, false, false},
		{"a download twice, rendered by Chromium 148", twice, chromium148, true, scan.SeverityMedium, twiceSays, false, true},
		{"a download twice, rendered by Chromium 150", twice, chromium150, true, scan.SeverityMedium, twiceSays, false, true},
		{"nosniff twice, refused by Chromium 148", nosniff, chromium148, false, scan.SeverityInfo, nosniffSays, false, true},
		{"nosniff twice, refused by Chromium 150", nosniff, chromium150, false, scan.SeverityInfo, nosniffSays, true, false},
		{"nosniff twice, rendered by Chromium 150", nosniff, chromium150, true, scan.SeverityInfo, nosniffSays, false, false},
		{"a download twice, as Chromium 156 predicts", twice, chromium156, false, scan.SeverityMedium, twiceSays, false, false},
		{"a download twice, rendered by Chromium 156", twice, chromium156, true, scan.SeverityMedium, twiceSays, true, false},
		{"a download twice beside DENY, rendered by Chromium 148", append([][2]string{{"X-Frame-Options", "DENY"}}, twice...), chromium148, true, 0, "", true, false},
		{"read alike, rendered by Chromium 148", [][2]string{{"X-Frame-Options", "DENY"}}, chromium148, true, 0, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, h := range tc.headers {
					w.Header().Add(h[0], h[1])
				}
				w.Write([]byte("\x00\x01<!doctype html><title>t</title>"))
			}))
			defer srv.Close()
			opts := scan.Options{SkipErrorPage: true}
			if tc.browser != "" {
				opts.Browser = &fakeProver{rendered: tc.rendered, browser: tc.browser, calls: make(chan []string, 10)}
			}
			var res scan.Result
			if err := scan.Run(t.Context(), opts, []string{srv.URL + "/p"}, func(r scan.Result) { res = r }); err != nil {
				t.Fatal(err)
			}
			if len(res.Verdicts) != 3 {
				t.Fatalf("%d verdicts, want 3: %v", len(res.Verdicts), res.Err)
			}
			var older []scan.Finding
			disagree := 0
			for _, f := range res.Findings {
				switch f.ID {
				case "older-chromium-differs":
					older = append(older, f)
				case "browser-disagrees":
					disagree++
				}
			}
			switch {
			case tc.older == 0 && len(older) != 0, tc.older != 0 && len(older) != 1:
				t.Errorf("older-chromium-differs findings %+v, want %d", older, map[bool]int{true: 1}[tc.older != 0])
			case tc.older != 0 && (older[0].Severity != tc.older || !strings.Contains(older[0].Message, "Chromium 156") ||
				!slices.ContainsFunc(older[0].Evidence, func(e string) bool { return strings.HasPrefix(e, tc.says) })):
				t.Errorf("finding %s (%s): %s %q; want %s, naming Chromium 156 and saying %q", older[0].ID, older[0].Severity, older[0].Message, older[0].Evidence, tc.older, tc.says)
			}
			if want := map[bool]int{true: 3}[tc.disagrees]; disagree != want {
				t.Errorf("%d browser-disagrees findings, want %d", disagree, want)
			}
			version, _, _ := strings.Cut(tc.browser, ".")
			readsAs := "as " + version + " reads the response: "
			for _, v := range res.Verdicts {
				if reads := v.Browser != nil && strings.Contains(v.Browser.Reads, readsAs+tc.says); reads != tc.reads {
					t.Errorf("verdict %q: browser %+v, want it to say how %s read the response: %v", v.Chain, v.Browser, version, tc.reads)
				}
			}
			for _, format := range []scan.Format{scan.FormatText, scan.FormatHTML} {
				var out bytes.Buffer
				rep := scan.NewReport(&out, format, false)
				rep.Add(res)
				rep.Close()
				if shown, disagrees := strings.Contains(out.String(), "("+readsAs), strings.Contains(strings.ToLower(out.String()), "disagrees with the prediction"); shown != tc.reads || disagrees != tc.disagrees {
					t.Errorf("the %s report shows the reading: %v, a disagreement: %v:\n%s", format, shown, disagrees, out.String())
				}
			}
		})
	}
}

// TestRun_browserOtherStatus: a browser that contradicts a verdict with
// another status than the scanner got judged another response. When the
// scanner sent headers that no browser proof sends (an Authorization the
// page needs), the verdict is not proved, saying why, and no finding
// follows; without such headers the disagreement stands, with both
// statuses as evidence. The same status, or a browser that agrees, adds
// nothing. A 429 the browser got is never a proof.
func TestRun_browserOtherStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
	}))
	defer srv.Close()
	auth := http.Header{"Authorization": {"Basic YWRtaW46cHc="}}
	for _, tc := range []struct {
		name     string
		header   http.Header
		prover   fakeProver
		error    string // in every verdict's browser error; "" for none
		evidence string // in every browser-disagrees finding; "" for no finding
	}{
		{"headers, another status", auth, fakeProver{rendered: true, status: 401},
			"the browser got status 401 where the scanner got 200: it sends none of the headers given (-header), which the page may need, so it judged another response", ""},
		{"no headers, another status", nil, fakeProver{rendered: true, status: 401}, "", "status: Fake 1 got 401, the scanner 200"},
		{"headers, the same status", auth, fakeProver{rendered: true, status: 200}, "", "what the fake saw"},
		{"headers, no status", auth, fakeProver{rendered: true}, "", "what the fake saw"},
		{"headers, another status, agreeing", auth, fakeProver{rendered: false, status: 401}, "", ""},
		{"rate limited, disagreeing", nil, fakeProver{rendered: true, status: 429},
			"the browser got status 429 Too Many Requests: the server was limiting the requests, and its answer is not the page", ""},
		{"rate limited, agreeing", nil, fakeProver{rendered: false, status: 429},
			"the browser got status 429 Too Many Requests: the server was limiting the requests, and its answer is not the page", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.prover
			p.calls = make(chan []string, 10)
			var res scan.Result
			opts := scan.Options{SkipErrorPage: true, Browser: &p, Header: tc.header}
			if err := scan.Run(t.Context(), opts, []string{srv.URL + "/p"}, func(r scan.Result) { res = r }); err != nil {
				t.Fatal(err)
			}
			if res.Status != http.StatusOK || len(res.Verdicts) != 3 {
				t.Fatalf("status %d, %d verdicts; want 200 and 3", res.Status, len(res.Verdicts))
			}
			for _, v := range res.Verdicts {
				if tc.error != "" && (v.Browser.Error != tc.error || v.Browser.Status != tc.prover.status) || tc.error == "" && v.Browser.Error != "" {
					t.Errorf("verdict %q: browser %+v, want error %q", v.Chain, v.Browser, tc.error)
				}
			}
			n := 0
			for _, f := range res.Findings {
				if f.ID == "browser-disagrees" {
					n++
					if tc.evidence == "" || !slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, tc.evidence) }) {
						t.Errorf("finding %+v, want evidence %q", f, tc.evidence)
					}
				}
			}
			if want := map[bool]int{true: 3, false: 0}[tc.evidence != ""]; n != want {
				t.Errorf("%d browser-disagrees findings, want %d", n, want)
			}
		})
	}
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

// cookieProver renders every chain and records each call's URL, chain and
// cookie.
type cookieProver struct{ calls chan string }

func (p *cookieProver) Prove(ctx context.Context, url string, ancestors []string, cookie bool) (scan.BrowserVerdict, error) {
	p.calls <- fmt.Sprintf("%s in %s, cookie %v", url, strings.Join(ancestors, " in "), cookie)
	return scan.BrowserVerdict{Browser: "Fake 1", Rendered: true, What: "what the fake saw"}, nil
}

// TestRun_mixedContentRedirect: an http URL that redirects to https is
// judged, for the chains with an https ancestor, as the attacker would frame
// it, by its final URL (Chromium blocks the http URL in a frame of an https
// page as mixed content), and that is the URL the browser proves; a redirect
// within http keeps the URL as scanned.
func TestRun_mixedContentRedirect(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.TLS == nil && r.URL.Path == "/up":
			http.Redirect(w, r, "https://www.example.com/p", http.StatusMovedPermanently)
		case r.TLS == nil && r.URL.Path == "/r":
			http.Redirect(w, r, "/p", http.StatusFound)
		default:
			// Admits https ancestors, and no http one.
			w.Header().Set("Content-Security-Policy", "frame-ancestors https:")
			w.Write([]byte("<!doctype html><title>t</title>"))
		}
	})
	plain, tls := httptest.NewServer(page), httptest.NewTLSServer(page)
	defer plain.Close()
	defer tls.Close()
	// www.example.com is the two servers: port 80 the plain one, 443 the TLS one.
	tr := tls.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := plain.Listener.Addr().String()
		if strings.HasSuffix(addr, ":443") {
			to = tls.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}

	scanOne := func(t *testing.T, target string) (scan.Result, []string) {
		t.Helper()
		p := &cookieProver{calls: make(chan string, 10)}
		opts := scan.Options{SkipErrorPage: true, Browser: p, Transport: tr, Cookie: "session=1"}
		var res scan.Result
		if err := scan.Run(t.Context(), opts, []string{target}, func(r scan.Result) { res = r }); err != nil {
			t.Fatal(err)
		}
		close(p.calls)
		var calls []string
		for c := range p.calls {
			calls = append(calls, c)
		}
		if res.Error != "" {
			t.Fatalf("scan %s: %s", target, res.Error)
		}
		return res, calls
	}

	t.Run("http to https", func(t *testing.T) {
		res, calls := scanOne(t, "http://www.example.com/up")
		if res.FinalURL != "https://www.example.com/p" {
			t.Fatalf("final URL %q", res.FinalURL)
		}
		for _, v := range res.Verdicts {
			if v.FrameURL != "https://www.example.com/p" || !v.Framable || !strings.Contains(v.Reason, "judged for a frame of https://www.example.com/p itself") ||
				!strings.Contains(v.Reason, "blocks http://www.example.com/up as mixed content") {
				t.Errorf("verdict %s: framable %v, frame URL %q, reason %q; want framable, judged for the final URL framed itself", v.Chain, v.Framable, v.FrameURL, v.Reason)
			}
		}
		want := []string{
			"https://www.example.com/p in https://attacker.example, cookie true",
			"https://www.example.com/p in https://www.example.com, cookie true",
			"https://www.example.com/p in https://www.example.com in https://attacker.example, cookie true",
		}
		if !slices.Equal(calls, want) {
			t.Errorf("proofs:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("within http", func(t *testing.T) {
		res, calls := scanOne(t, "http://www.example.com/r")
		for _, v := range res.Verdicts {
			if v.FrameURL != "" || v.Framable || v.DecidedBy != "csp" {
				t.Errorf("verdict %s: framable %v by %s, frame URL %q; want blocked by the CSP, for the URL as scanned", v.Chain, v.Framable, v.DecidedBy, v.FrameURL)
			}
		}
		if len(calls) != 3 || !strings.HasPrefix(calls[0], "http://www.example.com/r in http://attacker.example,") {
			t.Errorf("proofs %q, want three of the URL as scanned", calls)
		}
	})
}

// TestRun_controlCharacters: a response whose header values hold control
// characters, which Go's HTTP client refuses and Chromium reads, is judged
// as Chromium reads it, over http and https and through a redirect; the
// next request of the scan is read as usual. A NUL in a header still fails
// the fetch.
func TestRun_controlCharacters(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			w.Header().Set("X-Note", "moved\x01")
			http.Redirect(w, r, "/unknown", http.StatusFound)
			return
		case "/unknown":
			w.Header().Set("X-Frame-Options", "DENY\x01") // a value browsers do not know
		case "/vt":
			w.Header().Set("X-Frame-Options", "DENY")
			w.Header().Set("Content-Security-Policy", "frame-ancestors\v*") // a directive of another name
		case "/nul":
			w.Header().Set("X-Frame-Options", "DENY\x00")
		case "/plain":
			w.Header().Set("X-Frame-Options", "DENY")
		}
		w.Write([]byte("<!doctype html><title>t</title>"))
	})
	srv, tlsSrv := httptest.NewServer(handler), httptest.NewTLSServer(handler)
	defer srv.Close()
	defer tlsSrv.Close()
	var urls []string
	for _, base := range []string{srv.URL, tlsSrv.URL} {
		for _, p := range []string{"/redirect", "/vt", "/nul", "/plain"} {
			urls = append(urls, base+p)
		}
	}
	results := map[string]scan.Result{}
	if err := scan.Run(t.Context(), scan.Options{SkipErrorPage: true, Insecure: true, Concurrency: 1}, urls, func(r scan.Result) { results[r.URL] = r }); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{srv.URL, tlsSrv.URL} {
		for path, want := range map[string]string{"/redirect": "none", "/vt": "xfo", "/plain": "xfo"} {
			res := results[base+path]
			if res.Error != "" || len(res.Verdicts) != 3 || res.Verdicts[0].DecidedBy != want || res.Verdicts[0].Framable != (want == "none") {
				t.Errorf("%s: error %q, verdicts %+v; want decided by %s", base+path, res.Error, res.Verdicts, want)
			}
		}
		if res := results[base+"/redirect"]; !slices.ContainsFunc(res.Findings, func(f scan.Finding) bool {
			return f.ID == "xfo-invalid" && slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, "DENY\x01") })
		}) {
			t.Errorf("%s/redirect: findings %+v, want xfo-invalid quoting DENY\\x01", base, res.Findings)
		}
		if res := results[base+"/nul"]; !strings.Contains(res.Error, "malformed MIME header line") {
			t.Errorf("%s/nul: error %q, want net/http's refusal", base, res.Error)
		}
	}
}

// TestRun_olderChromiumVersions: the older-chromium-differs finding names
// the versions measured that frame the page otherwise (Chromium 148 and
// 150 read the shapes each as measured, see framing.AsChromium), and says
// "or older" only where the oldest of them does.
func TestRun_olderChromiumVersions(t *testing.T) {
	binary := "\x00\x01bin"
	attachment := [][2]string{{"Content-Disposition", "attachment"}, {"Content-Disposition", "attachment"}}
	nosniff := [][2]string{{"X-Content-Type-Options", "nosniff"}, {"X-Content-Type-Options", "nosniff"}}
	for _, tc := range []struct {
		name     string
		page     sitePage
		severity scan.Severity
		says     []string
		not      []string
	}{
		{"a download twice", sitePage{headers: append([][2]string{{"Content-Type", "text/html"}}, attachment...)}, scan.SeverityMedium,
			[]string{"is no download to Chromium 150 and older", "Chromium 148 and 150 render the page in a frame of foreign origin", "visitors whose browser is Chromium 150, or older, can be clickjacked"},
			[]string{"nosniff", "WebKit"}},
		// WebKit reads the VT as 150 does (framing/testdata/webkit.json):
		// frame-ancestors * *, which switches X-Frame-Options off.
		{"a VT in a policy beside DENY", sitePage{headers: [][2]string{{"Content-Security-Policy", "frame-ancestors *\v*"}, {"X-Frame-Options", "DENY"}}}, scan.SeverityMedium,
			[]string{"Chromium 148 and 150 render the page in a frame of foreign origin", "WebKit, the engine Safari is built on, reads a vertical tab in a policy as Chromium 150 does", "Safari's visitors can be clickjacked"},
			nil},
		{"nosniff twice on binary text", sitePage{headers: append([][2]string{{"Content-Type", "text/plain"}}, nosniff...), body: binary}, scan.SeverityInfo,
			[]string{"is not nosniff to Chromium 148 and older", "Chromium 148 refuses the page a frame of foreign origin", "the verdicts stand for current browsers"},
			[]string{"150", "clickjacked"}},
		// 150 reads the download as 148 does and nosniff as 156 does: it
		// alone shows the text; 148 shows nothing, as 156.
		{"both on binary text", sitePage{headers: append(append([][2]string{{"Content-Type", "text/plain"}}, attachment...), nosniff...), body: binary}, scan.SeverityMedium,
			[]string{"is no download to Chromium 150 and older", "Chromium 150 renders the page in a frame of foreign origin", "visitors whose browser is Chromium 150 can be clickjacked"},
			[]string{"148 and", "or older", "nosniff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": tc.page}})
			defer srv.Close()
			r := scanOne(t, srv, scan.Options{SkipErrorPage: true}, "/p")
			i := slices.IndexFunc(r.Findings, func(f scan.Finding) bool { return f.ID == "older-chromium-differs" })
			if i < 0 {
				t.Fatalf("no older-chromium-differs finding in %+v", r.Findings)
			}
			f := r.Findings[i]
			text := f.Message + " " + strings.Join(f.Evidence, " ")
			if f.Severity != tc.severity {
				t.Errorf("severity %s, want %s: %s", f.Severity, tc.severity, f.Message)
			}
			for _, s := range tc.says {
				if !strings.Contains(text, s) {
					t.Errorf("the finding does not say %q: %s %q", s, f.Message, f.Evidence)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(text, s) {
					t.Errorf("the finding says %q: %s %q", s, f.Message, f.Evidence)
				}
			}
		})
	}
}
