package chromiumlive

import (
	"strconv"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// The framing model follows Chromium 156 (framing.Chromium), in which its
// corpora were measured; the files hold that version's verdicts. Older
// versions read three shapes of response otherwise (see
// framing.AsChromium), as these tests measured in Chromium 148 and 150:
// from a version that was measured, or older than 148, they require its
// reading of each shape, from 156 on the model's, and from a version
// between two measured ones that read a shape otherwise, either.

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
// a frame of ancestors, where Chromium 156 makes newer of it: newer where
// framing.AsChromium leaves resp as it is for that version; else older of
// the model's verdict on the response as that version reads it, or, for a
// version whose reading is not known, either.
func byVersion[T any](t *testing.T, product string, resp framing.Response, ancestors []string, newer T, older func(framing.Verdict) T) []T {
	t.Helper()
	rd := framing.AsChromium(resp, chromiumMajor(t, product))
	if len(rd.Otherwise) == 0 {
		return []T{newer}
	}
	v, err := framing.Evaluate(rd.Response, ancestors)
	if err != nil {
		t.Fatalf("Evaluate (as %s reads the response): %v", product, err)
	}
	if rd.Known {
		return []T{older(v)}
	}
	return []T{newer, older(v)}
}
