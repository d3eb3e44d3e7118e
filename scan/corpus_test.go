package scan_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/scan"
)

const corpusPath = "../../shared/corpus/chromium-framing.jsonl"

// Origins of the corpus's victim, replaced by the test servers' origins.
const (
	corpusVictim    = "127.0.0.1:18081"
	corpusVictimTLS = "127.0.0.1:18443"
)

type corpusHeader struct{ Name, Value string }

type corpusMeta struct {
	HTTPEquiv string `json:"http_equiv"`
	Content   string `json:"content"`
}

type corpusCase struct {
	ID              string         `json:"id"`
	Case            string         `json:"case"`
	Headers         []corpusHeader `json:"headers"`
	Meta            []corpusMeta   `json:"meta"`
	RedirectHeaders []corpusHeader `json:"redirect_headers"`
	Status          int            `json:"status"`
	ContextKey      string         `json:"context_key"`
	VictimOrigin    string         `json:"victim_origin"`
	Ancestors       []string       `json:"ancestors"`
	Framed          bool           `json:"framed"`
}

func readCorpus(t testing.TB) []corpusCase {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("corpus line %d: %v", len(cases)+1, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	return cases
}

// corpusHandler serves every corpus case at /case/<case>, and at
// /redirect/<case> a same-origin 302 to it carrying the case's
// redirect headers. rewrite maps the corpus's victim origins in header
// values to the test servers'.
func corpusHandler(cases []corpusCase, rewrite func(string) string) http.Handler {
	byCase := make(map[string]corpusCase)
	for _, c := range cases {
		byCase[c.Case] = c
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, redirect := strings.CutPrefix(r.URL.Path, "/redirect/")
		if !redirect {
			name = strings.TrimPrefix(r.URL.Path, "/case/")
		}
		c, ok := byCase[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if redirect {
			for _, h := range c.RedirectHeaders {
				if h.Name != "Location" {
					w.Header()[h.Name] = append(w.Header()[h.Name], rewrite(h.Value))
				}
			}
			w.Header().Set("Location", "/case/"+url.PathEscape(name))
			w.WriteHeader(http.StatusFound)
			return
		}
		// Raw names keep the case's spelling on the wire.
		for _, h := range c.Headers {
			w.Header()[h.Name] = append(w.Header()[h.Name], rewrite(h.Value))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(c.Status)
		var b strings.Builder
		b.WriteString("<!doctype html><html><head>")
		for _, m := range c.Meta {
			fmt.Fprintf(&b, `<meta http-equiv="%s" content="%s">`, html.EscapeString(m.HTTPEquiv), html.EscapeString(rewrite(m.Content)))
		}
		b.WriteString("<title>victim</title></head><body><button>Delete account</button></body></html>")
		_, _ = w.Write([]byte(b.String()))
	})
}

// TestRun_corpus serves every corpus case from local servers that stand in
// for the corpus's victim origins and scans it with the line's ancestors:
// fetching, header and <meta> handling and redirects included, every
// verdict must be what Chromium did.
func TestRun_corpus(t *testing.T) {
	t.Parallel()
	cases := readCorpus(t)
	var plain, tls *httptest.Server
	var rewrite func(string) string
	handler := corpusHandler(cases, func(s string) string { return rewrite(s) })
	plain = httptest.NewServer(handler)
	defer plain.Close()
	tls = httptest.NewTLSServer(handler)
	defer tls.Close()
	plainHost := strings.TrimPrefix(plain.URL, "http://")
	tlsHost := strings.TrimPrefix(tls.URL, "https://")
	rewrite = strings.NewReplacer(corpusVictim, plainHost, corpusVictimTLS, tlsHost).Replace
	if strings.HasSuffix(plainHost, ":18083") || strings.HasSuffix(tlsHost, ":18083") {
		t.Skip("a test server got the corpus's cross-port origin; run again")
	}

	opts := scan.Options{Transport: tls.Client().Transport, SkipErrorPage: true}
	var urls []string
	var want []corpusCase
	for _, c := range cases {
		base := plain.URL
		if strings.HasPrefix(c.VictimOrigin, "https:") {
			base = tls.URL
		}
		path := "/case/"
		if len(c.RedirectHeaders) > 0 {
			path = "/redirect/"
		}
		urls = append(urls, base+path+url.PathEscape(c.Case))
		want = append(want, c)
	}
	// Each line has its own chain, so each gets its own Run.
	mismatches := 0
	for i, c := range want {
		chain := make([]string, len(c.Ancestors))
		for j, a := range c.Ancestors {
			chain[j] = rewrite(a)
		}
		o := opts
		o.Chains = [][]string{chain}
		var got []scan.Result
		if err := scan.Run(t.Context(), o, urls[i:i+1], func(r scan.Result) { got = append(got, r) }); err != nil {
			t.Fatalf("Run(%s): %v", c.ID, err)
		}
		if len(got) != 1 || got[0].Error != "" || len(got[0].Verdicts) != 1 {
			t.Fatalf("%s: got %+v, want one result with one verdict", c.ID, got)
		}
		v := got[0].Verdicts[0]
		if v.Framable != c.Framed {
			mismatches++
			t.Errorf("%s: framable = %v, Chromium framed = %v (%s: %s)", c.ID, v.Framable, c.Framed, v.DecidedBy, v.Reason)
		}
		if len(c.RedirectHeaders) > 0 && len(got[0].Redirects) != 1 {
			t.Errorf("%s: got %d redirects, want 1", c.ID, len(got[0].Redirects))
		}
	}
	if len(want) < 300 {
		t.Errorf("scanned %d corpus lines, want the whole corpus", len(want))
	}
	t.Logf("%d corpus lines scanned end to end, %d disagree with Chromium", len(want), mismatches)
}
