package scan_test

import (
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
	"github.com/clickguard/clickguard/scan"
)

// TestRun_corpus serves every case of the shared corpus and of the
// project's extra measurements from local servers that stand in
// for the corpus's victim origins and scans it with the line's ancestors:
// fetching, header and <meta> handling and redirects included, every
// verdict must be what Chromium did, except where an <object> alone kept
// the page from rendering: the scanner judges an iframe.
func TestRun_corpus(t *testing.T) {
	t.Parallel()
	for _, set := range []struct {
		name  string
		cases []corpustest.Record
		least int
	}{
		{"the shared corpus", corpustest.Read(t), 300},
		{"the project's extra measurements", corpustest.ReadExtra(t), 40},
	} {
		srv := corpustest.Serve(t, set.cases)
		opts := scan.Options{Transport: srv.TLS.Client().Transport, SkipErrorPage: true}

		// Each line has its own chain, so each gets its own Run.
		mismatches, scanned := 0, 0
		for _, c := range set.cases {
			o := opts
			o.Chains = [][]string{srv.Ancestors(c)}
			var got []scan.Result
			if err := scan.Run(t.Context(), o, []string{srv.URL(c)}, func(r scan.Result) { got = append(got, r) }); err != nil {
				t.Fatalf("Run(%s): %v", c.ID, err)
			}
			if len(got) != 1 {
				t.Fatalf("%s: got %d results, want 1", c.ID, len(got))
			}
			if hasControl(c.Headers) {
				// Go's HTTP client refuses a header value holding a control
				// character such as VT: no verdict, a fetch error.
				if got[0].Error == "" {
					t.Errorf("%s: scanned a header with a control character, want a fetch error", c.ID)
				}
				scanned++
				continue
			}
			if got[0].Error != "" || len(got[0].Verdicts) != 1 {
				t.Fatalf("%s: got %+v, want one result with one verdict", c.ID, got)
			}
			v := got[0].Verdicts[0]
			want := c.Framed
			if c.Element == "object" && (c.Status < 200 || c.Status > 299) {
				// The scanner judges the frame an attacker would use, an
				// iframe: an <object> shows its fallback for this status
				// whatever the headers say, which protects nothing.
				resp := c.Response()
				resp.Element = ""
				iframe, err := framing.Evaluate(resp, c.Ancestors)
				if err != nil {
					t.Fatalf("%s: Evaluate: %v", c.ID, err)
				}
				want = iframe.Framable
			}
			if v.Framable != want {
				mismatches++
				t.Errorf("%s: framable = %v, want %v (Chromium framed = %v in a %s) (%s: %s)", c.ID, v.Framable, want, c.Framed, c.Element, v.DecidedBy, v.Reason)
			}
			if len(c.RedirectHeaders) > 0 && len(got[0].Redirects) != 1 {
				t.Errorf("%s: got %d redirects, want 1", c.ID, len(got[0].Redirects))
			}
			scanned++
		}
		if scanned < set.least {
			t.Errorf("%s: scanned %d lines, want the whole file", set.name, scanned)
		}
		t.Logf("%s: %d lines scanned end to end, %d disagree with Chromium", set.name, scanned, mismatches)
	}
}

// hasControl reports whether a header value holds a control character
// other than tab.
func hasControl(hs []corpustest.Header) bool {
	for _, h := range hs {
		if strings.ContainsFunc(h.Value, func(r rune) bool { return r < 0x20 && r != '\t' }) {
			return true
		}
	}
	return false
}
