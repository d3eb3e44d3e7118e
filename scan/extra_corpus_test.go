package scan_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/internal/corpustest"
	"github.com/clickguard/clickguard/scan"
)

// TestRun_extraCorpus scans, end to end as TestRun_corpus does, the
// project's extra Chromium measurements. Go's HTTP client refuses a header
// value holding a control character such as VT, so the scanner cannot
// fetch those lines' pages: for them the test requires a fetch error, not
// a verdict.
func TestRun_extraCorpus(t *testing.T) {
	t.Parallel()
	cases := corpustest.ReadExtra(t)
	srv := corpustest.Serve(t, cases)
	opts := scan.Options{Transport: srv.TLS.Client().Transport, SkipErrorPage: true}
	for _, c := range cases {
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
			if got[0].Error == "" {
				t.Errorf("%s: scanned a header with a control character, want a fetch error", c.ID)
			}
			continue
		}
		if got[0].Error != "" || len(got[0].Verdicts) != 1 {
			t.Fatalf("%s: got %+v, want one result with one verdict", c.ID, got[0])
		}
		if v := got[0].Verdicts[0]; v.Framable != c.Framed {
			t.Errorf("%s: framable = %v, Chromium framed = %v (%s: %s)", c.ID, v.Framable, c.Framed, v.DecidedBy, v.Reason)
		}
	}
}

func hasControl(hs []corpustest.Header) bool {
	for _, h := range hs {
		if strings.ContainsFunc(h.Value, func(r rune) bool { return r < 0x20 && r != '\t' }) {
			return true
		}
	}
	return false
}

// TestRun_findingsQuotesAndQueries pins the findings for X-Frame-Options
// values with quoted strings and for sources with a query or fragment.
func TestRun_findingsQuotesAndQueries(t *testing.T) {
	t.Parallel()
	const (
		csp = "Content-Security-Policy"
		xfo = "X-Frame-Options"
	)
	tests := []struct {
		name string
		page sitePage
		want []string
		fix  string // the fix of the first finding of want that has one, when set
	}{
		// One unknown value each, so no conflict: the header is ignored.
		{"quote inside a value", sitePage{headers: [][2]string{{xfo, `a"b,DENY`}}},
			[]string{"no-protection:high", "xfo-invalid:medium"}, ""},
		{"quoted commas", sitePage{headers: [][2]string{{xfo, `"a, DENY, "`}}},
			[]string{"no-protection:high", "xfo-invalid:medium"}, ""},
		// Single quotes are ordinary: three values, a conflict that blocks.
		{"single quotes", sitePage{headers: [][2]string{{xfo, "'a, DENY, '"}}},
			[]string{"xfo-conflict:medium"}, "X-Frame-Options: DENY"},
		// A source whose only path is "/" before a query has no path.
		{"query after the root path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/?embed"}}},
			[]string{"embeddable:info"}, ""},
		{"fragment after the root path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/#x"}}},
			[]string{"embeddable:info"}, ""},
		{"query after a path", sitePage{headers: [][2]string{{csp, "frame-ancestors 'self' https://partner.example/embed?x"}}},
			[]string{"embeddable:info", "source-path:medium"}, "Content-Security-Policy: frame-ancestors 'self' https://partner.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(site{pages: map[string]sitePage{"/p": tc.page}})
			defer srv.Close()
			r := scanOne(t, srv, scan.Options{}, "/p")
			if r.Error != "" {
				t.Fatalf("Error = %q", r.Error)
			}
			if diff := cmp.Diff(tc.want, idSeverities(r)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s\nfindings: %+v", diff, r.Findings)
			}
			if tc.fix == "" {
				return
			}
			for _, f := range r.Findings {
				if f.Fix != "" {
					if f.Fix != tc.fix {
						t.Errorf("fix = %q, want %q", f.Fix, tc.fix)
					}
					return
				}
			}
			t.Errorf("no finding has a fix, want %q", tc.fix)
		})
	}
}
