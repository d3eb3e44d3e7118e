package framing_test

import (
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// TestCorpus requires agreement with every line of the shared corpus and
// of the project's extra measurements (testdata/chromium-extra.jsonl,
// re-measured in Chromium by internal/chromiumlive).
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases := append(corpustest.Read(t), corpustest.ReadExtra(t)...)
	ids := make(map[string]bool)
	wrong := 0
	for _, c := range cases {
		if ids[c.ID] {
			t.Errorf("corpus id %q is not unique", c.ID)
		}
		ids[c.ID] = true
		resp := c.Response()
		got, err := framing.Evaluate(resp, c.Ancestors)
		if err != nil {
			t.Errorf("%s: Evaluate: %v", c.ID, err)
			continue
		}
		if got.Framable != c.Framed {
			wrong++
			t.Errorf("%s: framable = %v, want %v (Chromium)\n\theaders: %q\n\tmeta: %q\n\tredirected: %v\n\tancestors: %q\n\tdecided by %s: %s",
				c.ID, got.Framable, c.Framed, c.Headers, c.Meta, resp.Redirected, c.Ancestors, got.DecidedBy, got.Reason)
		}
		if got.Reason == "" {
			t.Errorf("%s: empty reason", c.ID)
		}
	}
	t.Logf("%d corpus lines (extra ones included), %d disagree with Chromium", len(cases), wrong)
}
