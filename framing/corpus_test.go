package framing_test

import (
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// response maps a corpus record onto the model's input:
//
//   - headers and meta become Response.Headers and Response.Meta as they are;
//   - redirect_headers (present, even empty) means a same-origin 302 came
//     first: Response.Redirected is true, and the 302's own headers play no
//     part, because the browser never renders a redirect response;
//   - the page's URL is the victim origin's root: the final document's URL;
//   - sandbox (an attribute on the victim's own frame) needs no field: the
//     ancestors already show the origins Chromium saw, and SAMEORIGIN,
//     'self' and scheme-less sources use the page's URL origin, which
//     sandboxing does not change;
//   - element (iframe, object, embed) needs none either: the same rules
//     apply to every frame element.
func response(c corpustest.Record) framing.Response {
	r := framing.Response{
		URL:        c.VictimOrigin + "/",
		Status:     c.Status,
		Redirected: c.RedirectHeaders != nil,
	}
	for _, h := range c.Headers {
		r.Headers = append(r.Headers, framing.Header{Name: h.Name, Value: h.Value})
	}
	for _, m := range c.Meta {
		r.Meta = append(r.Meta, framing.Meta{HTTPEquiv: m.HTTPEquiv, Content: m.Content})
	}
	return r
}

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
		resp := response(c)
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
