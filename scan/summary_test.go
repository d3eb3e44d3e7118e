package scan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// skipped is a page the crawl did not follow.
func skipped() Result {
	return Result{URL: "http://a.example/away", FoundOn: "http://a.example/", Skipped: "redirect to another origin not followed by the crawl: http://b.example/",
		Err: ErrLeftOrigin, Verdicts: []Verdict{}, Findings: []Finding{}}
}

// TestReport_skippedIsNotAnError checks that every format reports a page
// the crawl chose not to follow without calling it an error, as the help
// says.
func TestReport_skippedIsNotAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format   Format
		want     []string
		wantNone []string
	}{
		{FormatText, []string{"not followed: redirect to another origin", "1 URL scanned, 1 not followed by the crawl, 0 framable by a foreign origin, 0 errors,"}, []string{"error:"}},
		{FormatJSON, []string{`"skipped": "redirect to another origin`, `"error": ""`}, nil},
		{FormatHTML, []string{"not followed: redirect to another origin", "<strong>0</strong> errors"}, []string{"error: redirect"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			fill(t, NewReport(&b, tc.format, false), []Result{skipped()}, nil)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("report does not say %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.wantNone {
				if strings.Contains(b.String(), w) {
					t.Errorf("report says %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestReport_interrupted checks that the text and json formats, not only
// sarif and html, say that the scan stopped before every URL was
// reported, with or without results so far.
func TestReport_interrupted(t *testing.T) {
	t.Parallel()
	stop := errors.New("scan: context canceled")
	for _, results := range [][]Result{nil, {framable("")}} {
		var text strings.Builder
		fill(t, NewReport(&text, FormatText, false), results, stop)
		if want := "INTERRUPTED before every URL was scanned (scan: context canceled): "; !strings.Contains(text.String(), want) {
			t.Errorf("%d results: text report does not say %q:\n%s", len(results), want, text.String())
		}

		var js strings.Builder
		fill(t, NewReport(&js, FormatJSON, false), results, stop)
		var doc struct {
			Results     []json.RawMessage `json:"results"`
			Interrupted string            `json:"interrupted"`
		}
		if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
			t.Fatalf("%d results: %v\n%s", len(results), err, js.String())
		}
		if len(doc.Results) != len(results) || doc.Interrupted != stop.Error() {
			t.Errorf("%d results: json has %d results, interrupted %q; want %q", len(results), len(doc.Results), doc.Interrupted, stop)
		}

		// Not interrupted: no mention.
		js.Reset()
		fill(t, NewReport(&js, FormatJSON, false), results, nil)
		if strings.Contains(js.String(), "interrupted") {
			t.Errorf("%d results: json mentions an interruption that did not happen:\n%s", len(results), js.String())
		}
	}
}
