package framing_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// corpusPath is the Chromium corpus, beside the module root (the module is
// ../ from this package, the corpus ../shared/corpus from the module).
var corpusPath = filepath.Join("..", "..", "shared", "corpus", "chromium-framing.jsonl")

// corpusCase is one line of the corpus.
type corpusCase struct {
	ID              string         `json:"id"`
	Case            string         `json:"case"`
	Group           string         `json:"group"`
	Headers         []corpusHeader `json:"headers"`
	Meta            []corpusMeta   `json:"meta"`
	RedirectHeaders []corpusHeader `json:"redirect_headers"`
	Status          int            `json:"status"`
	Context         string         `json:"context"`
	ContextKey      string         `json:"context_key"`
	Element         string         `json:"element"`
	Sandbox         string         `json:"sandbox"`
	VictimOrigin    string         `json:"victim_origin"`
	Ancestors       []string       `json:"ancestors"`
	Framed          bool           `json:"framed"`
	Note            string         `json:"note"`
}

type corpusHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type corpusMeta struct {
	HTTPEquiv string `json:"http_equiv"`
	Content   string `json:"content"`
}

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
func (c corpusCase) response() framing.Response {
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

// loadCorpus reads every line of the corpus; a missing or malformed corpus
// fails the test, since it is the project's truth.
func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatalf("open corpus (part of the project's truth, expected beside the module): %v", err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c corpusCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("corpus line %d: %v", n, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	if len(cases) == 0 {
		t.Fatalf("corpus %s is empty", corpusPath)
	}
	return cases
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	cases := loadCorpus(t)
	ids := make(map[string]bool)
	wrong := 0
	for _, c := range cases {
		if ids[c.ID] {
			t.Errorf("corpus id %q is not unique", c.ID)
		}
		ids[c.ID] = true
		resp := c.response()
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
	t.Logf("%d corpus lines, %d disagree with Chromium", len(cases), wrong)
}
