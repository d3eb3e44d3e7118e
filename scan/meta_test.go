package scan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/framing"
)

func TestFindMeta(t *testing.T) {
	t.Parallel()
	xfo := func(c string) framing.Meta { return framing.Meta{HTTPEquiv: "X-Frame-Options", Content: c} }
	tests := []struct {
		name string
		html string
		want []framing.Meta
	}{
		{"none", `<html><head><title>x</title></head></html>`, nil},
		{"double quotes", `<meta http-equiv="X-Frame-Options" content="DENY">`, []framing.Meta{xfo("DENY")}},
		{"single quotes", `<meta http-equiv='X-Frame-Options' content='DENY'>`, []framing.Meta{xfo("DENY")}},
		{"unquoted", `<meta http-equiv=X-Frame-Options content=DENY>`, []framing.Meta{xfo("DENY")}},
		{"upper case tag and attributes", `<META HTTP-EQUIV="X-Frame-Options" CONTENT="DENY">`, []framing.Meta{xfo("DENY")}},
		{"self-closing", `<meta http-equiv="X-Frame-Options" content="DENY"/>`, []framing.Meta{xfo("DENY")}},
		{"content first", `<meta content="DENY" http-equiv="X-Frame-Options">`, []framing.Meta{xfo("DENY")}},
		{"spaces around equals", "<meta http-equiv = \"X-Frame-Options\"\n content =\t'DENY'>", []framing.Meta{xfo("DENY")}},
		{"first duplicate attribute wins", `<meta http-equiv="X-Frame-Options" content="DENY" content="SAMEORIGIN">`, []framing.Meta{xfo("DENY")}},
		{"no content", `<meta http-equiv="refresh">`, []framing.Meta{{HTTPEquiv: "refresh"}}},
		{"charset meta ignored", `<meta charset="utf-8"><meta name="x" content="y">`, nil},
		{"entities", `<meta http-equiv="Content-Security-Policy" content="frame-ancestors &#39;none&#39; &amp;&quot;">`,
			[]framing.Meta{{HTTPEquiv: "Content-Security-Policy", Content: `frame-ancestors 'none' &"`}}},
		{"hex entity", `<meta http-equiv="X-Frame-Options" content="&#x44;ENY">`, []framing.Meta{xfo("DENY")}},
		{"unknown entity kept", `<meta http-equiv="X-Frame-Options" content="&bogus;">`, []framing.Meta{xfo("&bogus;")}},
		{"greater-than inside value", `<meta content="a>b" http-equiv="X-Frame-Options">`, []framing.Meta{xfo("a>b")}},
		{"in a comment", `<!-- <meta http-equiv="X-Frame-Options" content="DENY"> -->`, nil},
		{"in a script", `<script>document.write('<meta http-equiv="X-Frame-Options" content="DENY">')</script>`, nil},
		{"after a script", `<SCRIPT>if (a<b) {}</Script><meta http-equiv="X-Frame-Options" content="DENY">`, []framing.Meta{xfo("DENY")}},
		{"in a title", `<title><meta http-equiv="X-Frame-Options" content="DENY"></title>`, nil},
		{"in the body", `<body><p>hi<meta http-equiv="X-Frame-Options" content="SAMEORIGIN"></p></body>`, []framing.Meta{xfo("SAMEORIGIN")}},
		{"two tags", `<meta http-equiv="X-Frame-Options" content="DENY"><meta http-equiv="Content-Security-Policy" content="frame-ancestors 'self'">`,
			[]framing.Meta{xfo("DENY"), {HTTPEquiv: "Content-Security-Policy", Content: "frame-ancestors 'self'"}}},
		{"doctype and end tags", `<!DOCTYPE html></div><meta http-equiv="X-Frame-Options" content="DENY">`, []framing.Meta{xfo("DENY")}},
		{"metadata is not meta", `<metadata http-equiv="X-Frame-Options" content="DENY">`, nil},
		{"cut off tag dropped", `<meta http-equiv="X-Frame-Options" content="DE`, nil},
		{"unterminated comment", `<!-- <meta http-equiv="X-Frame-Options" content="DENY">`, nil},
		{"stray less-than", `a < b <meta http-equiv="X-Frame-Options" content="DENY">`, []framing.Meta{xfo("DENY")}},
		{"plaintext stops", `<plaintext><meta http-equiv="X-Frame-Options" content="DENY">`, nil},
		{"binary", "\x00\xff<\x00<meta\x00>", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := findMeta([]byte(tc.html))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findMeta(%q) mismatch (-want +got):\n%s", tc.html, diff)
			}
		})
	}
}

// TestFindMeta_largeScript checks that a long script without its end tag
// costs one pass, not one allocation per byte. It is not parallel:
// AllocsPerRun counts every allocation of the process.
func TestFindMeta_largeScript(t *testing.T) {
	body := []byte("<script>" + strings.Repeat("x<y ", 64<<10))
	allocs := testing.AllocsPerRun(5, func() { findMeta(body) })
	if allocs > 10 {
		t.Errorf("findMeta allocated %v times on a 256 KiB script, want at most 10", allocs)
	}
}

func FuzzFindMeta(f *testing.F) {
	f.Add([]byte(`<meta http-equiv="X-Frame-Options" content="DENY">`))
	f.Add([]byte(`<!-- x --><script>'<meta'</script><meta content=&#39; http-equiv=a>`))
	f.Add([]byte(`<meta http-equiv`))
	f.Fuzz(func(t *testing.T, b []byte) {
		first := findMeta(b)
		if diff := cmp.Diff(first, findMeta(b)); diff != "" {
			t.Fatalf("findMeta is not deterministic:\n%s", diff)
		}
		// Text without '<' holds no tag.
		if !strings.Contains(string(b), "<") && len(first) != 0 {
			t.Fatalf("findMeta(%q) = %v without any tag", b, first)
		}
	})
}
