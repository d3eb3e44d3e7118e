package framing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/framing"
)

// xfoCases are shared by TestParseXFO and the FuzzParseXFO seeds.
var xfoCases = []struct {
	name   string
	values []string
	tokens []string
	mode   framing.XFOMode
}{
	{"absent", nil, nil, framing.XFOAbsent},
	{"deny", []string{"DENY"}, []string{"deny"}, framing.XFODeny},
	{"deny lower", []string{"deny"}, []string{"deny"}, framing.XFODeny},
	{"deny spaces", []string{"   DENY   "}, []string{"deny"}, framing.XFODeny},
	{"sameorigin", []string{"SameOrigin"}, []string{"sameorigin"}, framing.XFOSameOrigin},
	{"allowall", []string{"ALLOWALL"}, []string{"allowall"}, framing.XFOAllowAll},
	{"allow-from", []string{"ALLOW-FROM https://a.example"}, []string{"allow-from https://a.example"}, framing.XFOInvalid},
	{"empty", []string{""}, []string{""}, framing.XFOInvalid},
	{"semicolon", []string{"DENY;"}, []string{"deny;"}, framing.XFOInvalid},
	{"quoted", []string{`"DENY"`}, []string{`"deny"`}, framing.XFOInvalid},
	{"space separated", []string{"DENY SAMEORIGIN"}, []string{"deny sameorigin"}, framing.XFOInvalid},
	{"look-alike capital I", []string{"SAMEORİGİN"}, []string{"sameorİgİn"}, framing.XFOInvalid},
	{"invalid UTF-8 kept", []string{"\xffDENY"}, []string{"\xffdeny"}, framing.XFOInvalid},
	{"two unknown", []string{"foo, bar"}, []string{"foo", "bar"}, framing.XFOInvalid},
	{"duplicate collapses", []string{"SAMEORIGIN, sameorigin"}, []string{"sameorigin"}, framing.XFOSameOrigin},
	{"two lines same", []string{"DENY", "deny"}, []string{"deny"}, framing.XFODeny},
	{"known and unknown", []string{"SAMEORIGIN, garbage"}, []string{"sameorigin", "garbage"}, framing.XFOConflict},
	{"trailing comma", []string{"SAMEORIGIN,"}, []string{"sameorigin", ""}, framing.XFOConflict},
	{"leading comma", []string{", DENY"}, []string{"", "deny"}, framing.XFOConflict},
	{"two lines differ", []string{"SAMEORIGIN", "DENY"}, []string{"sameorigin", "deny"}, framing.XFOConflict},
	{"second line empty", []string{"SAMEORIGIN", ""}, []string{"sameorigin", ""}, framing.XFOConflict},
	{"allowall and unknown", []string{"ALLOWALL, garbage"}, []string{"allowall", "garbage"}, framing.XFOConflict},
	// Fetch's "get, decode, and split": a comma inside a quoted string does
	// not split, and the quotes stay in the value.
	{"quoted commas", []string{`"a, DENY, "`}, []string{`"a, deny, "`}, framing.XFOInvalid},
	{"unterminated quote runs to the end", []string{`"a,DENY`}, []string{`"a,deny`}, framing.XFOInvalid},
	{"quote inside a value", []string{`a"b,DENY`}, []string{`a"b,deny`}, framing.XFOInvalid},
	{"escaped quote inside quotes", []string{`"a\", DENY"`}, []string{`"a\", deny"`}, framing.XFOInvalid},
	{"escaped comma inside quotes", []string{`"a\,DENY`}, []string{`"a\,deny`}, framing.XFOInvalid},
	{"backslash ends an unterminated quote", []string{`DENY, "a\`}, []string{"deny", `"a\`}, framing.XFOConflict},
	{"backslash outside quotes is ordinary", []string{`a\,DENY`}, []string{`a\`, "deny"}, framing.XFOConflict},
	{"comma after a closed quote splits", []string{`"x", DENY`}, []string{`"x"`, "deny"}, framing.XFOConflict},
	{"text after a closed quote", []string{`"a,b"c, DENY`}, []string{`"a,b"c`, "deny"}, framing.XFOConflict},
	{"unterminated quote after a value", []string{`DENY, "x`}, []string{"deny", `"x`}, framing.XFOConflict},
	{"single quotes are ordinary", []string{"'a, DENY, '"}, []string{"'a", "deny", "'"}, framing.XFOConflict},
	{"quotes do not span lines", []string{`"a`, `DENY"`}, []string{`"a`, `deny"`}, framing.XFOInvalid},
	// Chromium trims every ASCII whitespace character, VT included.
	{"vertical tab and form feed trimmed", []string{"\vDENY\v", "\fDENY"}, []string{"deny"}, framing.XFODeny},
}

func TestParseXFO(t *testing.T) {
	t.Parallel()
	for _, tc := range xfoCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := framing.ParseXFO(tc.values)
			if got.Mode != tc.mode {
				t.Errorf("ParseXFO(%q).Mode = %v, want %v", tc.values, got.Mode, tc.mode)
			}
			if diff := cmp.Diff(tc.tokens, got.Tokens); diff != "" {
				t.Errorf("ParseXFO(%q).Tokens mismatch (-want +got):\n%s", tc.values, diff)
			}
		})
	}
}

func TestXFOMode_String(t *testing.T) {
	t.Parallel()
	for m, want := range map[framing.XFOMode]string{
		framing.XFOAbsent: "absent", framing.XFODeny: "deny", framing.XFOSameOrigin: "sameorigin",
		framing.XFOAllowAll: "allowall", framing.XFOInvalid: "invalid", framing.XFOConflict: "conflict",
		framing.XFOMode(42): "XFOMode(42)",
	} {
		if got := m.String(); got != want {
			t.Errorf("XFOMode(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}

// TestFirefoxXFO checks FirefoxXFO on the shapes whose Firefox verdict was
// measured (testdata/firefox.json names the lines that Firefox frames
// otherwise than Chromium; the others it frames alike).
func TestFirefoxXFO(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  framing.XFOMode
	}{
		{[]string{"DENY"}, framing.XFODeny},
		{[]string{" deny\t"}, framing.XFODeny},
		{[]string{"SAMEORIGIN", "sameorigin"}, framing.XFOSameOrigin},
		{[]string{"SAMEORIGIN", ""}, framing.XFOConflict},
		{[]string{"SAMEORIGIN", "DENY"}, framing.XFOConflict},
		{[]string{`"a, DENY, "`}, framing.XFOConflict},                    // extra-xfo-quoted-commas
		{[]string{"foo", `"SAMEORIGIN,,SAMEORIGIN`}, framing.XFOConflict}, // extra-xfo-unknown-and-quoted-SAMEORIGIN
		{[]string{"\vDENY\v"}, framing.XFOInvalid},                        // extra-xfo-vt-trimmed
		{[]string{"\fSAMEORIGIN"}, framing.XFOInvalid},                    // extra-xfo-ff-trimmed
		{[]string{"SAMEORIGIN \v"}, framing.XFOInvalid},                   // extra-xfo-SAMEORIGIN-space-vt
		{[]string{"'DENY'", "\vDENY"}, framing.XFOInvalid},                // extra-xfo-quoted-and-vt-DENY
		{[]string{"deny\u3000,SAMEORIGIN\f"}, framing.XFOInvalid},         // extra-xfo-ideographic-space-conflict
		{[]string{"foo", "\fALLOWALL"}, framing.XFOInvalid},               // extra-xfo-unknown-and-ff-ALLOWALL
		{[]string{"ALLOWALL"}, framing.XFOAllowAll},
		{[]string{"ALLOW-FROM https://a.example"}, framing.XFOInvalid},
		{[]string{"foo,foo"}, framing.XFOInvalid},
	} {
		if got := framing.FirefoxXFO(tc.lines).Mode; got != tc.want {
			t.Errorf("FirefoxXFO(%q) = %s, want %s", tc.lines, got, tc.want)
		}
	}
}
