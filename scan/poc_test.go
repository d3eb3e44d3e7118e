package scan_test

import (
	"html"
	"math"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/scan"
)

var frameSrc = regexp.MustCompile(`<iframe id="target" src="([^"]*)"`)

// TestWritePoC: the page frames exactly the target, whatever characters its
// address holds; the decoy text and the layout values arrive escaped and in
// place; nothing but an http or https URL and sane values is accepted.
func TestWritePoC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, target string
		poc          scan.PoC
		want         []string // in the page
	}{
		{"plain", "https://bank.example/account", scan.PoC{X: 40, Y: 40},
			[]string{"left: 40px; top: 40px", "width: 1000px; height: 700px", "opacity: 0;", ">Click here to continue</button>"}},
		{"quotes and markup in the address", `https://bank.example/?q="><script>alert(1)</script>`, scan.PoC{Opacity: 0.25},
			[]string{"opacity: 0.25;", `value="0.25"`}},
		{"decoy text is text", "http://127.0.0.1:8080/", scan.PoC{Decoy: `<b>Win</b> & "more"`, X: 10, Y: 600, Width: 800, Height: 640},
			[]string{"&lt;b&gt;Win&lt;/b&gt; &amp; &#34;more&#34;</button>", "left: 10px; top: 600px", "width: 800px; height: 640px"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := scan.WritePoC(&b, tc.target, tc.poc); err != nil {
				t.Fatalf("WritePoC: %v", err)
			}
			page := b.String()
			m := frameSrc.FindAllStringSubmatch(page, -1)
			if len(m) != 1 {
				t.Fatalf("%d target frames in the page, want 1:\n%s", len(m), page)
			}
			// html/template percent-encodes what a URL may not hold raw;
			// decoded, it must be the target.
			got, err := url.PathUnescape(html.UnescapeString(m[0][1]))
			if err != nil || got != tc.target {
				t.Errorf("the frame's src is %q (%v), want %q", m[0][1], err, tc.target)
			}
			if strings.Contains(page, "<script>alert") {
				t.Errorf("the target's markup reached the page unescaped")
			}
			if n := strings.Count(page, "<script>"); n != 1 {
				t.Errorf("%d scripts in the page, want the page's own one", n)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
		})
	}

	for _, tc := range []struct {
		name, target string
		poc          scan.PoC
		says         string
	}{
		{"script URL", "javascript:alert(1)", scan.PoC{}, "scheme must be http or https"},
		{"data URL", "data:text/html,<p>x", scan.PoC{}, "scheme must be http or https"},
		{"relative", "/account", scan.PoC{}, "scheme must be http or https"},
		{"no host", "https:///account", scan.PoC{}, "no host"},
		{"password", "https://user:s3cret@a.example/", scan.PoC{}, `URL "https://user:xxxxx@a.example/" has a user name or password`},
		{"user name", "https://user@a.example/", scan.PoC{}, "has a user name or password"},
		{"opacity above 1", "https://a.example/", scan.PoC{Opacity: 1.01}, "opacity 1.01"},
		{"negative opacity", "https://a.example/", scan.PoC{Opacity: -0.5}, "opacity -0.5"},
		{"opacity not a number", "https://a.example/", scan.PoC{Opacity: math.NaN()}, "opacity NaN: want a value from 0 to 1"},
		{"decoy left of the frame", "https://a.example/", scan.PoC{X: -1}, "decoy at -1,0"},
		{"decoy below the frame", "https://a.example/", scan.PoC{Y: 700}, "decoy at 0,700"},
		{"negative width", "https://a.example/", scan.PoC{Width: -5}, "frame size -5×0: want a positive width and height"},
		{"negative height", "https://a.example/", scan.PoC{Height: -1}, "frame size 0×-1"},
	} {
		var b strings.Builder
		err := scan.WritePoC(&b, tc.target, tc.poc)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: WritePoC error %v, want one saying %q", tc.name, err, tc.says)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the password: %v", tc.name, err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: WritePoC wrote %d bytes before refusing", tc.name, b.Len())
		}
	}
}
