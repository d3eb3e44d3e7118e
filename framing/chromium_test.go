package framing

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestAsChromium checks the rewrite on the shapes older versions of
// Chromium were measured to read otherwise than Chromium 156, and on their
// neighbours that they read alike, and which versions it applies to: the
// versions up to old (the newest measured to read the shape otherwise),
// not those from current (the oldest measured to read it as the model),
// and, not known, those between. (internal/chromiumlive measures it in the
// local Chromium.)
func TestAsChromium(t *testing.T) {
	h := func(kv ...string) []Header {
		var out []Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Header{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	// As measured in Chromium 148, 150 and 156.
	const vt, disposition, nosniff = "150 156", "150 156", "148 150"
	for _, tc := range []struct {
		name     string
		in, want []Header
		versions string // old and current; "" for a response every version reads alike
	}{
		{"VT in frame-ancestors", h("Content-Security-Policy", "frame-ancestors\v'none'"), h("Content-Security-Policy", "frame-ancestors 'none'"), vt},
		{"VT in a report-only policy", h("content-security-policy-report-only", "a\vb"), h("content-security-policy-report-only", "a b"), vt},
		{"VT in X-Frame-Options", h("X-Frame-Options", "\vDENY"), nil, ""},
		{"attachment on two lines", h("Content-Type", "text/html", "Content-Disposition", "attachment", "Content-Disposition", "attachment"), h("Content-Type", "text/html"), disposition},
		{"attachment twice, the same", h("Content-Disposition", "attachment, attachment"), []Header{}, disposition},
		{"inline twice", h("Content-Disposition", "inline, inline"), nil, ""},
		{"two different dispositions", h("Content-Disposition", "inline, attachment"), nil, ""},
		{"a comma in a quoted filename", h("Content-Disposition", `attachment; filename="a,b.html"`), nil, ""},
		{"attachment with a filename, twice", h("Content-Disposition", "attachment; filename=a", "Content-Disposition", "attachment; filename=a"), nil, ""},
		{"one attachment", h("Content-Disposition", "attachment"), nil, ""},
		{"nosniff before another value", h("X-Content-Type-Options", "NOSNIFF, foo"), []Header{}, nosniff},
		{"nosniff on two lines", h("X-Content-Type-Options", "nosniff", "X-Content-Type-Options", "nosniff"), []Header{}, nosniff},
		{"nosniff alone", h("X-Content-Type-Options", " nosniff "), nil, ""},
		{"nosniff on a second line", h("X-Content-Type-Options", "foo", "X-Content-Type-Options", "nosniff"), nil, ""},
	} {
		resp := Response{URL: "https://a.example/", Status: 200, Headers: tc.in}
		if tc.versions == "" {
			for _, major := range []int{100, 148, 149, 150, 153, Chromium} {
				if rd := AsChromium(resp, major); !reflect.DeepEqual(rd.Response, resp) || rd.Otherwise != nil || !rd.Known {
					t.Errorf("%s: AsChromium(%d) rewrote it to %q (%q), known %v; want it as it is, known", tc.name, major, rd.Response.Headers, rd.Otherwise, rd.Known)
				}
			}
			continue
		}
		var old, current int
		if _, err := fmt.Sscan(tc.versions, &old, &current); err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			major        int
			reads, known bool
		}{
			{100, true, true}, {old, true, true}, {old + 1, true, old+1 == current}, {current - 1, true, false},
			{current, false, true}, {Chromium, false, true}, {200, false, true},
		} {
			if v.major == current {
				v.reads = false
			}
			rd := AsChromium(resp, v.major)
			if !v.reads {
				if !reflect.DeepEqual(rd.Response, resp) || rd.Otherwise != nil || !rd.Known {
					t.Errorf("%s: AsChromium(%d) rewrote it to %q (%q), known %v; want it as it is, known", tc.name, v.major, rd.Response.Headers, rd.Otherwise, rd.Known)
				}
				continue
			}
			got := rd.Response
			if len(got.Headers) != len(tc.want) || len(tc.want) > 0 && !reflect.DeepEqual(got.Headers, tc.want) || got.URL != resp.URL || got.Status != resp.Status {
				t.Errorf("%s: AsChromium(%d) rewrote it to %q, want %q", tc.name, v.major, got.Headers, tc.want)
			}
			if rd.Known != v.known {
				t.Errorf("%s: AsChromium(%d) known %v, want %v", tc.name, v.major, rd.Known, v.known)
			}
			says := fmt.Sprintf("to Chromium %d and older", old)
			if len(rd.Otherwise) != 1 || !strings.Contains(rd.Otherwise[0], says) || strings.Contains(rd.Otherwise[0], "not measured") == v.known {
				t.Errorf("%s: AsChromium(%d) says it reads otherwise %q; want one clause, saying %q, and whether %d was measured", tc.name, v.major, rd.Otherwise, says, v.major)
			}
		}
	}
}

// TestAsChromium_twoShapes: a version reads each shape of a response as
// measured for that shape: Chromium 150 reads a VT as 148 does and nosniff
// twice as 156 does; 149's reading of nosniff was not measured.
func TestAsChromium_twoShapes(t *testing.T) {
	resp := Response{URL: "https://a.example/", Status: 200, Headers: []Header{
		{Name: "Content-Security-Policy", Value: "frame-ancestors\v'none'"},
		{Name: "X-Content-Type-Options", Value: "nosniff, nosniff"},
	}}
	for _, tc := range []struct {
		major   int
		headers []Header
		clauses int
		known   bool
	}{
		{148, []Header{{Name: "Content-Security-Policy", Value: "frame-ancestors 'none'"}}, 2, true},
		{149, []Header{{Name: "Content-Security-Policy", Value: "frame-ancestors 'none'"}}, 2, false},
		{150, []Header{{Name: "Content-Security-Policy", Value: "frame-ancestors 'none'"}, resp.Headers[1]}, 1, true},
		{155, []Header{{Name: "Content-Security-Policy", Value: "frame-ancestors 'none'"}, resp.Headers[1]}, 1, false},
		{156, resp.Headers, 0, true},
	} {
		rd := AsChromium(resp, tc.major)
		if !reflect.DeepEqual(rd.Response.Headers, tc.headers) || len(rd.Otherwise) != tc.clauses || rd.Known != tc.known {
			t.Errorf("AsChromium(%d) = %q, %q, known %v; want %q, %d clauses, known %v", tc.major, rd.Response.Headers, rd.Otherwise, rd.Known, tc.headers, tc.clauses, tc.known)
		}
	}
	if got := OlderChromium(); !slices.Equal(got, []int{150, 148}) {
		t.Errorf("OlderChromium() = %v, want the versions measured, newest first", got)
	}
}

// TestVTAsWhitespace: a VT in an enforced or a report-only policy becomes a
// space, the other headers stay as they are, and a response with no VT in a
// policy comes back as it was.
func TestVTAsWhitespace(t *testing.T) {
	resp := Response{URL: "https://victim.example/", Status: 200, Headers: []Header{
		{Name: "content-security-policy", Value: "frame-ancestors\v'none'"},
		{Name: "Content-Security-Policy-Report-Only", Value: "frame-ancestors *\v*"},
		{Name: "X-Frame-Options", Value: "\vDENY"},
	}}
	got, vt := VTAsWhitespace(resp)
	want := []Header{
		{Name: "content-security-policy", Value: "frame-ancestors 'none'"},
		{Name: "Content-Security-Policy-Report-Only", Value: "frame-ancestors * *"},
		{Name: "X-Frame-Options", Value: "\vDENY"},
	}
	if !vt || !slices.Equal(got.Headers, want) || got.URL != resp.URL || got.Status != resp.Status {
		t.Errorf("VTAsWhitespace = %+v, %v; want headers %q and true", got, vt, want)
	}
	if resp.Headers[0].Value != "frame-ancestors\v'none'" {
		t.Errorf("VTAsWhitespace changed the response it was given: %q", resp.Headers[0].Value)
	}
	plain := Response{Status: 200, Headers: []Header{{Name: "X-Frame-Options", Value: "\vDENY"}}}
	if got, vt := VTAsWhitespace(plain); vt || &got.Headers[0] != &plain.Headers[0] {
		t.Errorf("VTAsWhitespace(%+v) = %+v, %v; want it back, false", plain, got, vt)
	}
}
