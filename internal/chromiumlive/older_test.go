package chromiumlive

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// The framing model follows Chromium 156, in which its corpora were
// measured. Chromium 148 (Debian bookworm's chromium package on
// 2026-12-07) reads three things otherwise, as this package's tests
// measured in Chromium 148.0.7778.167:
//
//   - U+000B (VT) in a Content-Security-Policy value is whitespace, where
//     Chromium 156 ignores a frame-ancestors directive that holds one, and
//     takes "frame-ancestors\v'none'" for a directive of another name;
//   - the Content-Disposition type is what comes before the first ';' of
//     the header's lines joined with ", ", so that two lines "attachment"
//     (or one "attachment, attachment") give the type "attachment,
//     attachment", which is not a token: the response renders, where
//     Chromium 156 downloads it;
//   - X-Content-Type-Options is nosniff only when its lines joined with
//     ", " are "nosniff", so that "nosniff, foo" is not, where Chromium 156
//     takes the first value.
//
// The versions between were not measured: either reading may hold there.
// asChromium148 rewrites a response into one that the model reads as
// Chromium 148 reads the original, and expectFramed says which verdicts
// the local Chromium may give.
const (
	// readsAsOld is the newest version measured to read responses as
	// asChromium148 says.
	readsAsOld = 148
	// readsAsModel is the oldest version measured to read them as the
	// model does.
	readsAsModel = 156
)

// chromiumMajor returns the major version of a browser's product string,
// such as "HeadlessChrome/148.0.7778.167".
func chromiumMajor(t *testing.T, product string) int {
	t.Helper()
	_, v, _ := strings.Cut(product, "/")
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		t.Fatalf("browser version %q: no major version", product)
	}
	return n
}

// expectFramed returns the verdicts (framed or not) that the local
// Chromium, product, may give resp in a frame of ancestors, when Chromium
// 156 gives framed (see byVersion).
func expectFramed(t *testing.T, product string, framed bool, resp framing.Response, ancestors []string) []bool {
	t.Helper()
	return byVersion(t, product, resp, ancestors, framed, func(v framing.Verdict) bool { return v.Framable })
}

// expectShown returns what the local Chromium, product, may show for the
// no-document case c, loaded by element as resp in a frame of ancestors:
// what the file says (Chromium 156), or what the model's verdict on the
// response as older versions read it makes of c (see byVersion).
func expectShown(t *testing.T, product string, c corpustest.NoDocumentCase, element string, resp framing.Response, ancestors []string) []string {
	t.Helper()
	shown := func(c corpustest.NoDocumentCase) string {
		if element == "object" {
			return c.ObjectFrame()
		}
		return c.Frame
	}
	return byVersion(t, product, resp, ancestors, shown(c), func(v framing.Verdict) string {
		switch {
		case v.Framable:
			c.Frame = corpustest.FrameDocument
		case c.Status >= 200 && c.Status <= 299:
			c.Frame = corpustest.FrameNothing // a download commits nothing
		default:
			c.Frame = corpustest.FrameError
		}
		return shown(c)
	})
}

// byVersion returns what the local Chromium, product, may make of resp in
// a frame of ancestors, where Chromium 156 makes newer of it: newer from
// readsAsModel on, and wherever asChromium148 leaves resp as it is;
// otherwise, up to readsAsOld, older of the model's verdict on
// asChromium148(resp), and in between, either.
func byVersion[T any](t *testing.T, product string, resp framing.Response, ancestors []string, newer T, older func(framing.Verdict) T) []T {
	t.Helper()
	major := chromiumMajor(t, product)
	old := asChromium148(resp)
	if major >= readsAsModel || reflect.DeepEqual(old, resp) {
		return []T{newer}
	}
	v, err := framing.Evaluate(old, ancestors)
	if err != nil {
		t.Fatalf("Evaluate (as Chromium %d reads the response): %v", readsAsOld, err)
	}
	if major <= readsAsOld {
		return []T{older(v)}
	}
	return []T{newer, older(v)}
}

// asChromium148 returns resp rewritten so that the model, which follows
// Chromium 156, reads it as Chromium 148 reads resp (see above); resp
// itself when they read it alike.
func asChromium148(resp framing.Response) framing.Response {
	var dispositions, options []string
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Content-Disposition"):
			dispositions = append(dispositions, strings.Trim(h.Value, " \t"))
		case strings.EqualFold(h.Name, "X-Content-Type-Options"):
			options = append(options, strings.Trim(h.Value, " \t"))
		}
	}
	joined := strings.Join(dispositions, ", ")
	typ, _, _ := strings.Cut(joined, ";")
	// Chromium 148 refuses different values as 156 does; the same value
	// twice it reads as a type that is not a token: inline.
	inline := len(dispositions) > 0 && !isToken(strings.Trim(typ, " \t")) && sameValues(joined)
	nosniff := strings.EqualFold(strings.Join(options, ", "), "nosniff")
	first := ""
	if len(options) > 0 {
		first, _, _ = strings.Cut(options[0], ",")
	}
	// Chromium 156 reads nosniff from the first value.
	changed := !nosniff && strings.EqualFold(strings.Trim(first, " \t"), "nosniff")

	out := resp
	out.Headers = nil
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Content-Security-Policy") || strings.EqualFold(h.Name, "Content-Security-Policy-Report-Only"):
			if v := strings.ReplaceAll(h.Value, "\v", " "); v != h.Value {
				h.Value, changed = v, true
			}
		case strings.EqualFold(h.Name, "Content-Disposition") && inline:
			changed = true
			continue
		case strings.EqualFold(h.Name, "X-Content-Type-Options") && !nosniff:
			continue
		}
		out.Headers = append(out.Headers, h)
	}
	if !changed {
		return resp
	}
	return out
}

// isToken reports whether s is an HTTP token (RFC 9110).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// sameValues reports whether the comma-separated values of v, trimmed, are
// all the same.
func sameValues(v string) bool {
	values := strings.Split(v, ",")
	for _, s := range values[1:] {
		if strings.Trim(s, " \t") != strings.Trim(values[0], " \t") {
			return false
		}
	}
	return true
}

// TestAsChromium148 checks the rewrite on the shapes Chromium 148 was
// measured to read otherwise, and on their neighbours that it reads as
// Chromium 156 does.
func TestAsChromium148(t *testing.T) {
	h := func(kv ...string) []framing.Header {
		var out []framing.Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, framing.Header{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		in, want  []framing.Header
		unchanged bool
	}{
		{"VT in frame-ancestors", h("Content-Security-Policy", "frame-ancestors\v'none'"), h("Content-Security-Policy", "frame-ancestors 'none'"), false},
		{"VT in a report-only policy", h("content-security-policy-report-only", "a\vb"), h("content-security-policy-report-only", "a b"), false},
		{"VT in X-Frame-Options", h("X-Frame-Options", "\vDENY"), nil, true},
		{"attachment on two lines", h("Content-Type", "text/html", "Content-Disposition", "attachment", "Content-Disposition", "attachment"), h("Content-Type", "text/html"), false},
		{"attachment twice on one line", h("Content-Disposition", "attachment, attachment"), nil, false},
		{"two different dispositions", h("Content-Disposition", "inline, attachment"), nil, true},
		{"a comma in a quoted filename", h("Content-Disposition", `attachment; filename="a,b.html"`), nil, true},
		{"one attachment", h("Content-Disposition", "attachment"), nil, true},
		{"nosniff before another value", h("X-Content-Type-Options", "NOSNIFF, foo"), nil, false},
		{"nosniff on two lines", h("X-Content-Type-Options", "nosniff", "X-Content-Type-Options", "nosniff"), nil, false},
		{"nosniff alone", h("X-Content-Type-Options", " nosniff "), nil, true},
		{"nosniff on a second line", h("X-Content-Type-Options", "foo", "X-Content-Type-Options", "nosniff"), nil, true},
	} {
		resp := framing.Response{URL: "https://a.example/", Status: 200, Headers: tc.in}
		got := asChromium148(resp)
		if tc.unchanged {
			if !reflect.DeepEqual(got, resp) {
				t.Errorf("%s: rewritten to %q, want it as it is", tc.name, got.Headers)
			}
			continue
		}
		if !reflect.DeepEqual(got.Headers, tc.want) || got.URL != resp.URL || got.Status != resp.Status {
			t.Errorf("%s: rewritten to %q, want %q", tc.name, got.Headers, tc.want)
		}
	}
}
