// Package corpustest is test support for reading the Chromium framing corpus,
// serving its cases over HTTP and mapping them onto the framing model's input.
//
// The corpus (../shared/corpus/chromium-framing.jsonl beside the module, with
// a README describing each field) records what headless Chromium did with a
// victim response in a framing context. It is part of the project's truth: a
// test that needs it fails, never skips, when it is missing or malformed.
package corpustest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// Record is one line of the corpus: one victim response loaded in one framing
// context, and whether Chromium rendered it inside the frame.
type Record struct {
	ID              string   `json:"id"` // Case "@" ContextKey, unique
	Case            string   `json:"case"`
	Group           string   `json:"group"`
	Headers         []Header `json:"headers"` // exact header lines, in order
	Meta            []Meta   `json:"meta"`    // <meta http-equiv> tags in the body
	RedirectHeaders []Header `json:"redirect_headers"`
	Status          int      `json:"status"`
	Context         string   `json:"context"`
	ContextKey      string   `json:"context_key"`
	Element         string   `json:"element"`
	Sandbox         string   `json:"sandbox"`
	VictimOrigin    string   `json:"victim_origin"`
	Ancestors       []string `json:"ancestors"` // parent first, top last
	Framed          bool     `json:"framed"`
	ChromiumVersion string   `json:"chromium_version"`
	Note            string   `json:"note"`
}

// Header is one header line of a corpus response.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Meta is one <meta http-equiv> tag in the body of a corpus response.
type Meta struct {
	HTTPEquiv string `json:"http_equiv"`
	Content   string `json:"content"`
}

// requiredKeys are the fields every record carries; the others (meta,
// redirect_headers, sandbox, note) are optional. A missing "framed" would
// otherwise read as false.
var requiredKeys = []string{
	"id", "case", "group", "headers", "status", "context", "context_key",
	"element", "victim_origin", "ancestors", "framed", "chromium_version",
}

// fileName is the corpus file inside ../shared/corpus beside the module root.
const fileName = "chromium-framing.jsonl"

// extraName is the project's own file of further measurements, in the
// corpus's line format, from the module root.
const extraName = "framing/testdata/chromium-extra.jsonl"

// Path returns the corpus path: ../shared/corpus/chromium-framing.jsonl from
// the module root, the nearest directory above the test's working directory
// (its package directory) that holds go.mod. It fails the test when there is
// no such directory.
func Path(t testing.TB) string {
	t.Helper()
	p, err := path()
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return p
}

func path() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "..", "shared", "corpus", fileName), nil
}

// ExtraPath returns the path of the project's extra measurements,
// framing/testdata/chromium-extra.jsonl from the module root. It fails the
// test when there is no module root.
func ExtraPath(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("extra corpus: %v", err)
	}
	return filepath.Join(root, filepath.FromSlash(extraName))
}

// ReadExtra reads every line of the project's extra measurements: cases
// measured in Chromium the same way as the shared corpus, kept in the
// module because the shared corpus is read-only here. The rules of [Read]
// apply.
func ReadExtra(t testing.TB) []Record {
	t.Helper()
	p := ExtraPath(t)
	records, err := read(p)
	if err != nil {
		t.Fatalf("extra corpus %s: %v", p, err)
	}
	return records
}

// moduleRoot returns the nearest directory above the working directory
// that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Read reads every line of the corpus. A missing, unreadable, empty or
// malformed corpus (a blank line, a line that is not one JSON object, an
// unknown field, a missing required field) fails the test.
func Read(t testing.TB) []Record {
	t.Helper()
	p := Path(t)
	records, err := read(p)
	if err != nil {
		t.Fatalf("corpus %s (part of the project's truth, expected beside the module): %v", p, err)
	}
	return records
}

func read(name string) ([]Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var records []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		r, err := parse(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		records = append(records, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(records) == 0 {
		return nil, errors.New("no records")
	}
	return records, nil
}

// parse decodes one line into a record, strictly.
func parse(line []byte) (Record, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return Record{}, errors.New("blank line")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(line, &keys); err != nil {
		return Record{}, err
	}
	for _, k := range requiredKeys {
		if _, ok := keys[k]; !ok {
			return Record{}, fmt.Errorf("no %q field", k)
		}
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// FinalOrigin returns the origin of the document r's frame commits: the
// victim origin, or the origin its redirect leads to, when the redirect's
// Location reads "(to <origin>, 302)". The corpus's redirects are all
// same-origin ("(same-origin, 302)"); generated cases also redirect to
// other origins.
func (r Record) FinalOrigin() string {
	for _, h := range r.RedirectHeaders {
		if h.Name != "Location" {
			continue
		}
		if o, ok := strings.CutPrefix(h.Value, "(to "); ok {
			if o, ok = strings.CutSuffix(o, ", 302)"); ok {
				return o
			}
		}
	}
	return r.VictimOrigin
}

// Response maps r onto the framing model's input:
//
//   - headers and meta become Response.Headers and Response.Meta as they are;
//   - redirect_headers (present, even empty) means a 302 came first:
//     Response.Redirected is true, and the 302's own headers play no part,
//     because the browser never renders a redirect response. The 302 is
//     same-origin unless its Location reads "(to <origin>, 302)": then the
//     page is at that origin, and the victim origin's root is in
//     Response.Redirects (see FinalOrigin);
//   - the page's URL is the final origin's root: the final document's URL;
//   - sandbox (an attribute on the victim's own frame) needs no field: the
//     ancestors already show the origins Chromium saw, and SAMEORIGIN,
//     'self' and scheme-less sources use the page's URL origin, which
//     sandboxing does not change;
//   - element (iframe, object, embed) becomes Response.Element: the same
//     framing rules apply to every frame element, but an <object> shows its
//     fallback content for a status outside 2xx.
func (r Record) Response() framing.Response {
	resp := framing.Response{
		URL:        r.FinalOrigin() + "/",
		Status:     r.Status,
		Element:    r.Element,
		Redirected: r.RedirectHeaders != nil,
	}
	if r.FinalOrigin() != r.VictimOrigin {
		resp.Redirects = []string{r.VictimOrigin + "/"}
	}
	for _, h := range r.Headers {
		resp.Headers = append(resp.Headers, framing.Header{Name: h.Name, Value: h.Value})
	}
	for _, m := range r.Meta {
		resp.Meta = append(resp.Meta, framing.Meta{HTTPEquiv: m.HTTPEquiv, Content: m.Content})
	}
	return resp
}
