package framing

import (
	"reflect"
	"testing"
)

// TestAsChromium checks the rewrite on the shapes Chromium 148 was measured
// to read otherwise than Chromium 156, and on their neighbours that it
// reads alike, and which versions it applies to. (internal/chromiumlive
// measures it in the local Chromium.)
func TestAsChromium(t *testing.T) {
	h := func(kv ...string) []Header {
		var out []Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Header{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		in, want  []Header
		unchanged bool
	}{
		{"VT in frame-ancestors", h("Content-Security-Policy", "frame-ancestors\v'none'"), h("Content-Security-Policy", "frame-ancestors 'none'"), false},
		{"VT in a report-only policy", h("content-security-policy-report-only", "a\vb"), h("content-security-policy-report-only", "a b"), false},
		{"VT in X-Frame-Options", h("X-Frame-Options", "\vDENY"), nil, true},
		{"attachment on two lines", h("Content-Type", "text/html", "Content-Disposition", "attachment", "Content-Disposition", "attachment"), h("Content-Type", "text/html"), false},
		{"attachment twice, the same", h("Content-Disposition", "attachment, attachment"), []Header{}, false},
		{"inline twice", h("Content-Disposition", "inline, inline"), nil, true},
		{"two different dispositions", h("Content-Disposition", "inline, attachment"), nil, true},
		{"a comma in a quoted filename", h("Content-Disposition", `attachment; filename="a,b.html"`), nil, true},
		{"attachment with a filename, twice", h("Content-Disposition", "attachment; filename=a", "Content-Disposition", "attachment; filename=a"), nil, true},
		{"one attachment", h("Content-Disposition", "attachment"), nil, true},
		{"nosniff before another value", h("X-Content-Type-Options", "NOSNIFF, foo"), []Header{}, false},
		{"nosniff on two lines", h("X-Content-Type-Options", "nosniff", "X-Content-Type-Options", "nosniff"), []Header{}, false},
		{"nosniff alone", h("X-Content-Type-Options", " nosniff "), nil, true},
		{"nosniff on a second line", h("X-Content-Type-Options", "foo", "X-Content-Type-Options", "nosniff"), nil, true},
	} {
		resp := Response{URL: "https://a.example/", Status: 200, Headers: tc.in}
		rd := AsChromium(resp, 148)
		got := rd.Response
		if !rd.Known {
			t.Errorf("%s: Chromium 148's reading is not known", tc.name)
		}
		if tc.unchanged {
			if !reflect.DeepEqual(got, resp) || rd.Otherwise != nil {
				t.Errorf("%s: rewritten to %q (%q), want it as it is", tc.name, got.Headers, rd.Otherwise)
			}
			continue
		}
		if len(got.Headers) != len(tc.want) || len(tc.want) > 0 && !reflect.DeepEqual(got.Headers, tc.want) || got.URL != resp.URL || got.Status != resp.Status {
			t.Errorf("%s: rewritten to %q, want %q", tc.name, got.Headers, tc.want)
		}
		if len(rd.Otherwise) != 1 {
			t.Errorf("%s: says it reads otherwise %q, want one clause", tc.name, rd.Otherwise)
		}
		for _, v := range []struct {
			major int
			same  bool
			known bool
		}{{Chromium, true, true}, {200, true, true}, {150, false, false}, {100, false, true}} {
			rd := AsChromium(resp, v.major)
			if reflect.DeepEqual(rd.Response, resp) != v.same || (rd.Otherwise == nil) != v.same || rd.Known != v.known {
				t.Errorf("%s: AsChromium(%d) left it as it is: %v (%q), known %v; want %v, %v", tc.name, v.major, reflect.DeepEqual(rd.Response, resp), rd.Otherwise, rd.Known, v.same, v.known)
			}
		}
	}
}
