package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"frame-ancestors 'none'", "frame-ancestors 'none'"},
		{"évidence ünïcode", "évidence ünïcode"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"line\nbreak", `line\nbreak`},
		{"bell\a", `bell\a`},
		{"c1 \u009b control", `c1 \u009b control`},
		{"bad \xff utf-8", `bad \xff utf-8`},
		{"frame-ancestors \u202e'enon'", `frame-ancestors \u202e'enon'`},
		{"isolate \u2067x\u2069, marks \u200e\u200f\u061c", `isolate \u2067x\u2069, marks \u200e\u200f\u061c`},
	}
	for _, tc := range tests {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestReport_color checks that colour codes appear only when asked for,
// and that a hostile header cannot inject its own.
func TestReport_color(t *testing.T) {
	t.Parallel()
	res := Result{
		URL: "http://a.example/", FinalURL: "http://a.example/", Status: 200,
		Verdicts: []Verdict{{Chain: ChainForeign, Ancestors: []string{"http://attacker.example"}, Framable: true, DecidedBy: "none", Reason: "no header"}},
		Findings: []Finding{{ID: "no-protection", Severity: SeverityHigh, Message: "m", Evidence: []string{"X-Evil: \x1b]0;pwned\a"}, Fix: "f"}},
	}
	for _, color := range []bool{false, true} {
		var b strings.Builder
		r := NewReport(&b, FormatText, color)
		if err := r.Add(res); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if got := strings.Contains(out, "\x1b["); got != color {
			t.Errorf("color %v: output has ANSI codes = %v:\n%q", color, got, out)
		}
		if strings.Contains(out, "\x1b]") || strings.Contains(out, "\a") {
			t.Errorf("color %v: the header's escape sequence reached the output:\n%q", color, out)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("broken pipe")
	}
	w.n--
	return len(p), nil
}

func TestReport_writeError(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{FormatText, FormatJSON, FormatJSONL, FormatSARIF, FormatHTML} {
		r := NewReport(&failWriter{}, f, false)
		err := r.Add(Result{URL: "http://a.example/", Verdicts: []Verdict{}, Findings: []Finding{}})
		if err == nil || !strings.Contains(err.Error(), "broken pipe") {
			t.Errorf("%s: Add error %v, want the write error", f, err)
		}
		if err2 := r.Close(); err2 != err {
			t.Errorf("%s: Close error %v, want the first error again", f, err2)
		}
	}
}

func TestReport_emptyJSON(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := NewReport(&b, FormatJSON, false).Close(); err != nil {
		t.Fatal(err)
	}
	if b.String() != "{\"results\": []}\n" {
		t.Errorf("empty JSON report = %q", b.String())
	}
}

func TestSeverity(t *testing.T) {
	t.Parallel()
	for s := SeverityInfo; s <= SeverityHigh; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatalf("MarshalText(%d): %v", s, err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("round trip of %s = %v, %v", s, back, err)
		}
	}
	if _, err := Severity(0).MarshalText(); err == nil {
		t.Errorf("MarshalText(0): no error")
	}
	if _, err := ParseSeverity("critical"); err == nil {
		t.Errorf("ParseSeverity(critical): no error")
	}
}

// TestReport_framableSummary checks the summary's count of pages framable
// by a foreign origin: any framable verdict whose chain has an ancestor of
// another origin than the page counts, standard chain or -from chain, once
// per page.
func TestReport_framableSummary(t *testing.T) {
	t.Parallel()
	const page = "https://site.example/p"
	v := func(framable bool, ancestors ...string) Verdict {
		return Verdict{Ancestors: ancestors, Framable: framable}
	}
	tests := []struct {
		name     string
		finalURL string
		verdicts []Verdict
		want     int
	}{
		{"standard foreign chain", page, []Verdict{{Chain: ChainForeign, Ancestors: []string{"https://attacker.example"}, Framable: true}}, 1},
		{"-from foreign origin", page, []Verdict{v(true, "https://partner.example")}, 1},
		{"-from foreign top", page, []Verdict{v(true, "https://site.example", "https://partner.example")}, 1},
		{"-from opaque origin", page, []Verdict{v(true, "null")}, 1},
		{"-from own origin only", page, []Verdict{v(true, "https://site.example"), v(true, "https://site.example:443", "https://site.example")}, 0},
		{"-from foreign origin blocked", page, []Verdict{v(false, "https://partner.example"), v(true, "https://site.example")}, 0},
		{"own origin of the final URL after a redirect", "https://other.example/p", []Verdict{v(true, "https://site.example")}, 1},
		{"several foreign chains count once", page, []Verdict{v(true, "https://a.example"), v(true, "https://b.example")}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			r := NewReport(&b, FormatText, false)
			if err := r.Add(Result{URL: page, FinalURL: tc.finalURL, Status: 200, Verdicts: tc.verdicts, Findings: []Finding{}}); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("1 URL scanned, %d framable by a foreign origin,", tc.want)
			if !strings.Contains(b.String(), want) {
				t.Errorf("summary does not say %q:\n%s", want, b.String())
			}
		})
	}
}

// TestReport_machineFormatsEscape checks that JSON, JSON Lines and SARIF
// carry no character that clean would escape as it is (a terminal escape or
// a bidirectional override in a header, which would reorder what a person
// reading the report sees), and that a JSON parser still reads the very
// strings the site sent.
func TestReport_machineFormatsEscape(t *testing.T) {
	t.Parallel()
	checkMachineFormats(t, "X-Bidi: \u202eenon\u202c, isolate \u2067x\u2069, marks \u200e\u200f\u061c, c1 \u009b[31m, del \x7f, replacement \ufffd")
}

// FuzzMachineFormats checks the same for any string a site could send.
func FuzzMachineFormats(f *testing.F) {
	f.Add("X-Bidi: \u202eenon\u202c")
	f.Add("bad \xff utf-8 \x00 \x1b[31m \u2028")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			// encoding/json writes U+FFFD for invalid UTF-8: the check
			// still holds, but the string cannot read back as it was.
			s = strings.ToValidUTF8(s, "\ufffd")
		}
		checkMachineFormats(t, s)
	})
}

// checkMachineFormats reports a machine format whose report of a result
// and an interruption, both holding hostile, is not JSON, has a character
// that rawControl matches, or has no string that reads back as hostile.
func checkMachineFormats(t *testing.T, hostile string) {
	t.Helper()
	res := framable("")
	res.Findings[0].Evidence = []string{hostile}
	res.Findings[0].Message = hostile
	for _, f := range []Format{FormatJSON, FormatJSONL, FormatSARIF} {
		var b strings.Builder
		fill(t, NewReport(&b, f, false), []Result{res}, errors.New(hostile))
		out := b.String()
		if i := strings.IndexFunc(out, rawControl); i >= 0 {
			t.Errorf("%s: raw %U in the report: %q", f, []rune(out[i:])[0], out[max(0, i-20):min(len(out), i+20)])
		}
		docs := []string{out}
		if f == FormatJSONL {
			docs = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		}
		found := 0
		for _, doc := range docs {
			var v any
			if err := json.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatalf("%s: not JSON: %v\n%s", f, err, doc)
			}
			found += countStrings(v, hostile)
		}
		if found == 0 {
			t.Errorf("%s: no string in the report reads back as %q:\n%s", f, hostile, out)
		}
	}
}

// countStrings counts the strings in the decoded JSON value v that hold s.
func countStrings(v any, s string) int {
	switch v := v.(type) {
	case string:
		if strings.Contains(v, s) {
			return 1
		}
	case []any:
		n := 0
		for _, e := range v {
			n += countStrings(e, s)
		}
		return n
	case map[string]any:
		n := 0
		for _, e := range v {
			n += countStrings(e, s)
		}
		return n
	}
	return 0
}
