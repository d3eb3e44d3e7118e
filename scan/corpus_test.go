package scan_test

import (
	"testing"

	"github.com/clickguard/clickguard/internal/corpustest"
	"github.com/clickguard/clickguard/scan"
)

// TestRun_corpus serves every corpus case from local servers that stand in
// for the corpus's victim origins and scans it with the line's ancestors:
// fetching, header and <meta> handling and redirects included, every
// verdict must be what Chromium did.
func TestRun_corpus(t *testing.T) {
	t.Parallel()
	cases := corpustest.Read(t)
	srv := corpustest.Serve(t, cases)
	opts := scan.Options{Transport: srv.TLS.Client().Transport, SkipErrorPage: true}

	// Each line has its own chain, so each gets its own Run.
	mismatches, scanned := 0, 0
	for _, c := range cases {
		o := opts
		o.Chains = [][]string{srv.Ancestors(c)}
		var got []scan.Result
		if err := scan.Run(t.Context(), o, []string{srv.URL(c)}, func(r scan.Result) { got = append(got, r) }); err != nil {
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
		scanned++
	}
	if scanned < 300 {
		t.Errorf("scanned %d corpus lines, want the whole corpus", scanned)
	}
	t.Logf("%d corpus lines scanned end to end, %d disagree with Chromium", scanned, mismatches)
}
