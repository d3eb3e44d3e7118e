package corpustest

import (
	"fmt"
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// noDocName is the project's file of responses that put no document in a
// frame, and their neighbours that do, from the module root.
const noDocName = "framing/testdata/no-document.json"

// What a frame shows, in [NoDocumentCase.Frame].
const (
	FrameDocument = "document" // the page's document
	FrameNothing  = "nothing"  // nothing committed: the frame keeps its empty document
	FrameError    = "error"    // Chromium's error page
	FrameFallback = "fallback" // an <object>'s fallback content: no frame at all
)

// NoDocumentCase is one response, served to a frame of the page's own
// origin: its status, header lines and body, and what Chromium shows in an
// iframe for it.
type NoDocumentCase struct {
	Name    string     `json:"name"`
	Status  int        `json:"status"`
	Headers [][]string `json:"headers"` // each a name and a value
	Body    string     `json:"body"`
	// Frame is what an iframe (and an embed) shows: "document",
	// "nothing" or "error". An <object> shows the same, except its
	// fallback content where an iframe shows Chromium's error page or a
	// document with a status outside 2xx (see ObjectFrame).
	Frame string `json:"frame"`
}

// ObjectFrame is what an <object> shows for the case.
func (c NoDocumentCase) ObjectFrame() string {
	if c.Frame == FrameError || c.Frame == FrameDocument && (c.Status < 200 || c.Status > 299) {
		return FrameFallback
	}
	return c.Frame
}

// Response is the case's response at pageURL for the framing model, loaded
// by element, with the body sniffed as a browser sniffs it.
func (c NoDocumentCase) Response(pageURL, element string) framing.Response {
	headers := make([]framing.Header, len(c.Headers))
	for i, h := range c.Headers {
		headers[i] = framing.Header{Name: h[0], Value: h[1]}
	}
	return framing.Response{URL: pageURL, Status: c.Status, Element: element, Headers: headers,
		Sniffed: framing.Sniff([]byte(c.Body))}
}

// ReadNoDocument reads framing/testdata/no-document.json, a JSON array of
// cases: an unknown or missing field, a case without a name or status, a
// frame other than document, nothing or error, a name used twice or an
// empty file fails the test.
func ReadNoDocument(t testing.TB) []NoDocumentCase {
	t.Helper()
	return readTestdata(t, "no-document cases", noDocName, readNoDocument)
}

func readNoDocument(name string) ([]NoDocumentCase, error) {
	cases, err := readArray[NoDocumentCase](name)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, c := range cases {
		switch {
		case c.Name == "" || c.Status < 100 || c.Status > 599 || c.Headers == nil:
			return nil, fmt.Errorf("case %d (%q): want a name, a status from 100 to 599 and headers (even empty)", i+1, c.Name)
		case c.Frame != FrameDocument && c.Frame != FrameNothing && c.Frame != FrameError:
			return nil, fmt.Errorf("case %d (%q): frame %q: want document, nothing or error", i+1, c.Name, c.Frame)
		case seen[c.Name]:
			return nil, fmt.Errorf("case %d: name %q used twice", i+1, c.Name)
		}
		for _, h := range c.Headers {
			if len(h) != 2 || h[0] == "" {
				return nil, fmt.Errorf("case %d (%q): header %q: want a name and a value", i+1, c.Name, h)
			}
		}
		seen[c.Name] = true
	}
	return cases, nil
}
