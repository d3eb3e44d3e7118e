package scan

import (
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// TestFirefoxXFO checks firefoxXFO on the shapes whose Firefox verdict was
// measured (framing/testdata/firefox.json names the lines that Firefox
// frames otherwise than Chromium; the others it frames alike).
func TestFirefoxXFO(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{"DENY"}, "deny"},
		{[]string{" deny\t"}, "deny"},
		{[]string{"SAMEORIGIN", "sameorigin"}, "sameorigin"},
		{[]string{"SAMEORIGIN", ""}, "conflict"},
		{[]string{"SAMEORIGIN", "DENY"}, "conflict"},
		{[]string{`"a, DENY, "`}, "conflict"},                    // extra-xfo-quoted-commas
		{[]string{"foo", `"SAMEORIGIN,,SAMEORIGIN`}, "conflict"}, // extra-xfo-unknown-and-quoted-SAMEORIGIN
		{[]string{"\vDENY\v"}, ""},                               // extra-xfo-vt-trimmed
		{[]string{"\fSAMEORIGIN"}, ""},                           // extra-xfo-ff-trimmed
		{[]string{"SAMEORIGIN \v"}, ""},                          // extra-xfo-SAMEORIGIN-space-vt
		{[]string{"'DENY'", "\vDENY"}, ""},                       // extra-xfo-quoted-and-vt-DENY
		{[]string{"deny\u3000,SAMEORIGIN\f"}, ""},                // extra-xfo-ideographic-space-conflict
		{[]string{"foo", "\fALLOWALL"}, ""},                      // extra-xfo-unknown-and-ff-ALLOWALL
		{[]string{"ALLOWALL"}, ""},
		{[]string{"ALLOW-FROM https://a.example"}, ""},
		{[]string{"foo,foo"}, ""},
	} {
		var lines []framing.Header
		for _, v := range tc.lines {
			lines = append(lines, framing.Header{Name: "X-Frame-Options", Value: v})
		}
		if got := firefoxXFO(lines); got != tc.want {
			t.Errorf("firefoxXFO(%q) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}
