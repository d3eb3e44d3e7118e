package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// corpusLine is one line of the Chromium corpus, as far as the CLI test
// needs it.
type corpusLine struct {
	ID              string
	Case            string
	Headers         []struct{ Name, Value string }
	Meta            []corpusMeta
	RedirectHeaders []struct{ Name, Value string } `json:"redirect_headers"`
	Status          int
	VictimOrigin    string `json:"victim_origin"`
	Ancestors       []string
	Framed          bool
}

type corpusMeta struct {
	HTTPEquiv string `json:"http_equiv"`
	Content   string
}

// TestScan_corpus runs "clickguard scan -format jsonl -from CHAIN" over
// local servers that serve every case of the Chromium corpus (headers,
// <meta> tags, a same-origin redirect first where the case has one, its
// status), once per distinct chain, and checks each verdict against what
// Chromium did.
func TestScan_corpus(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../../shared/corpus/chromium-framing.jsonl")
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var lines []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("corpus line %d: %v", len(lines)+1, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil || len(lines) < 300 {
		t.Fatalf("read %d corpus lines: %v", len(lines), err)
	}

	byCase := map[string]corpusLine{}
	for _, l := range lines {
		byCase[l.Case] = l
	}
	var rewrite func(string) string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		for _, h := range c.Headers {
			w.Header()[h.Name] = append(w.Header()[h.Name], rewrite(h.Value))
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(c.Status)
		fmt.Fprint(w, "<!doctype html><head>")
		for _, m := range c.Meta {
			fmt.Fprintf(w, `<meta http-equiv="%s" content="%s">`, html.EscapeString(m.HTTPEquiv), html.EscapeString(rewrite(m.Content)))
		}
		fmt.Fprint(w, "</head><body><button>Buy</button></body>")
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	tls := httptest.NewUnstartedServer(handler)
	// Connections the scanner drops at exit make the server log.
	tls.Config.ErrorLog = log.New(io.Discard, "", 0)
	tls.StartTLS()
	defer tls.Close()
	plainHost, tlsHost := strings.TrimPrefix(plain.URL, "http://"), strings.TrimPrefix(tls.URL, "https://")
	rewrite = strings.NewReplacer("127.0.0.1:18081", plainHost, "127.0.0.1:18443", tlsHost).Replace
	if strings.HasSuffix(plainHost, ":18083") {
		t.Skip("the test server got the corpus's cross-port origin; run again")
	}

	// Group the lines by chain: one command line per chain.
	type group struct {
		chain []string
		urls  []string
		lines []corpusLine
	}
	groups := map[string]*group{}
	var order []string
	for _, l := range lines {
		chain := make([]string, len(l.Ancestors))
		for i, a := range l.Ancestors {
			chain[i] = rewrite(a)
		}
		key := strings.Join(chain, ",")
		g, ok := groups[key]
		if !ok {
			g = &group{chain: chain}
			groups[key] = g
			order = append(order, key)
		}
		base, path := plain.URL, "/case/"
		if strings.HasPrefix(l.VictimOrigin, "https:") {
			base = tls.URL
		}
		if len(l.RedirectHeaders) > 0 {
			path = "/redirect/"
		}
		g.urls = append(g.urls, base+path+url.PathEscape(l.Case))
		g.lines = append(g.lines, l)
	}
	checked := 0
	for _, key := range order {
		g := groups[key]
		args := append([]string{"scan", "-format", "jsonl", "-insecure", "-skip-error-page", "-fail-on", "never", "-concurrency", "8", "-from", key}, g.urls...)
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, &stdout, &stderr); code != exitOK {
			t.Fatalf("-from %s: exit %d: %s", key, code, stderr.String())
		}
		dec := json.NewDecoder(&stdout)
		for i, l := range g.lines {
			var r struct {
				URL      string
				Error    string
				Verdicts []struct {
					Framable  bool
					DecidedBy string `json:"decided_by"`
					Reason    string
				}
			}
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("-from %s: result %d: %v", key, i, err)
			}
			if r.URL != g.urls[i] || r.Error != "" || len(r.Verdicts) != 1 {
				t.Fatalf("%s: result for %s, error %q, %d verdicts; want %s, no error, one verdict", l.ID, r.URL, r.Error, len(r.Verdicts), g.urls[i])
			}
			if v := r.Verdicts[0]; v.Framable != l.Framed {
				t.Errorf("%s: framable %v, Chromium framed %v (%s: %s)", l.ID, v.Framable, l.Framed, v.DecidedBy, v.Reason)
			}
			checked++
		}
	}
	if checked != len(lines) {
		t.Errorf("checked %d lines, want all %d", checked, len(lines))
	}
	t.Logf("%d corpus lines through %d command lines", checked, len(order))
}
