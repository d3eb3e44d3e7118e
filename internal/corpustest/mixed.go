package corpustest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// mixedName is the project's file of mixed-content cases, from the module
// root.
const mixedName = "framing/testdata/mixed-content.json"

// MixedContentCase is a frame whose request Chromium blocks as mixed
// content, or a neighbour of one that it does not block: a page's URL, the
// URLs that redirected to it, and its ancestors.
type MixedContentCase struct {
	Name string `json:"name"`
	// URL is the page's final URL; Redirects are the URLs before it,
	// oldest first (see framing.Response). Their ports are the lab's to
	// choose: the model's verdict does not depend on them.
	URL       string   `json:"url"`
	Redirects []string `json:"redirects"`
	// Ancestors are parent first, top last; an opaque one is written
	// "null (sandboxed <origin>)": a page of that origin in a sandboxed
	// frame.
	Ancestors []string `json:"ancestors"`
	// Blocked says whether Chromium blocks the frame's request as mixed
	// content. The page's headers allow every ancestor.
	Blocked bool `json:"blocked"`
}

// Response is the page's response for the framing model: headers that
// allow every ancestor (frame-ancestors *), so that only mixed content can
// block it.
func (c MixedContentCase) Response() framing.Response {
	return framing.Response{
		URL:       c.URL,
		Status:    200,
		Headers:   []framing.Header{{Name: "Content-Security-Policy", Value: "frame-ancestors *"}},
		Redirects: c.Redirects,
	}
}

// ReadMixedContent reads framing/testdata/mixed-content.json, a JSON array
// of cases: an unknown or missing field, a case without a name, URL or
// ancestors, a name used twice or an empty file fails the test.
func ReadMixedContent(t testing.TB) []MixedContentCase {
	t.Helper()
	return readTestdata(t, "mixed-content cases", mixedName, readMixed)
}

func readMixed(name string) ([]MixedContentCase, error) {
	cases, err := readArray[MixedContentCase](name)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, c := range cases {
		switch {
		case c.Name == "" || c.URL == "" || len(c.Ancestors) == 0 || c.Redirects == nil:
			return nil, fmt.Errorf("case %d (%q): want a name, a url, redirects (even empty) and ancestors", i+1, c.Name)
		case seen[c.Name]:
			return nil, fmt.Errorf("case %d: name %q used twice", i+1, c.Name)
		}
		seen[c.Name] = true
	}
	return cases, nil
}

// readTestdata reads the project's file rel (a slash-separated path from
// the module root) with read, failing t, which names the file's cases
// what, if it cannot.
func readTestdata[T any](t testing.TB, what, rel string, read func(name string) ([]T, error)) []T {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	cases, err := read(p)
	if err != nil {
		t.Fatalf("%s %s: %v", what, p, err)
	}
	return cases
}

// readArray reads a file holding one non-empty JSON array of T, whose
// elements have no field T does not know.
func readArray[T any](name string) ([]T, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var cases []T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	if len(cases) == 0 {
		return nil, errors.New("no cases")
	}
	return cases, nil
}
