package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/internal/corpustest"
)

// TestScan_corpus runs "clickguard scan -format jsonl -from CHAIN" over
// local servers that serve every case of the Chromium corpus (headers,
// <meta> tags, a same-origin redirect first where the case has one, its
// status), once per distinct chain, and checks each verdict against what
// Chromium did.
func TestScan_corpus(t *testing.T) {
	t.Parallel()
	lines := corpustest.Read(t)
	if len(lines) < 300 {
		t.Fatalf("read %d corpus lines, want the whole corpus (300 or more)", len(lines))
	}
	srv := corpustest.Serve(t, lines)

	// Group the lines by chain: one command line per chain.
	type group struct {
		chain []string
		urls  []string
		lines []corpustest.Record
	}
	groups := map[string]*group{}
	var order []string
	for _, l := range lines {
		chain := srv.Ancestors(l)
		key := strings.Join(chain, ",")
		g, ok := groups[key]
		if !ok {
			g = &group{chain: chain}
			groups[key] = g
			order = append(order, key)
		}
		g.urls = append(g.urls, srv.URL(l))
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
