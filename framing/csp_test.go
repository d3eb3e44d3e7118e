package framing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/framing"
)

// sourceCases are shared by TestParseSource and the FuzzParseCSP seeds.
var sourceCases = []struct {
	in   string
	want framing.Source
}{
	{"'none'", framing.Source{Kind: framing.SourceNone}},
	{"'NONE'", framing.Source{Kind: framing.SourceNone}},
	{"'self'", framing.Source{Kind: framing.SourceSelf}},
	{"'SELF'", framing.Source{Kind: framing.SourceSelf}},
	{"*", framing.Source{Kind: framing.SourceStar}},
	{"'unsafe-inline'", framing.Source{Kind: framing.SourceKeyword}},
	{"'nonce-abc123'", framing.Source{Kind: framing.SourceKeyword}},
	{"https:", framing.Source{Kind: framing.SourceScheme, Scheme: "https"}},
	{"HTTP:", framing.Source{Kind: framing.SourceScheme, Scheme: "http"}},
	{"data:", framing.Source{Kind: framing.SourceScheme, Scheme: "data"}},
	{"none", framing.Source{Kind: framing.SourceHost, Host: "none"}},
	{"a.example", framing.Source{Kind: framing.SourceHost, Host: "a.example"}},
	{"a.example.", framing.Source{Kind: framing.SourceHost, Host: "a.example."}},
	{"127.0.0.2:18082", framing.Source{Kind: framing.SourceHost, Host: "127.0.0.2", Port: "18082"}},
	{"http://127.0.0.2:18082", framing.Source{Kind: framing.SourceHost, Scheme: "http", Host: "127.0.0.2", Port: "18082"}},
	{"https://*.A.Example:*", framing.Source{Kind: framing.SourceHost, Scheme: "https", Host: "*.a.example", Port: "*"}},
	{"http://*", framing.Source{Kind: framing.SourceHost, Scheme: "http", Host: "*"}},
	{"http://a.example:8080/sub/", framing.Source{Kind: framing.SourceHost, Scheme: "http", Host: "a.example", Port: "8080", Path: "/sub/"}},
	{"a.example/x", framing.Source{Kind: framing.SourceHost, Host: "a.example", Path: "/x"}},
	// A query or fragment after the path is dropped; right after the host
	// or port it makes the source invalid.
	{"http://127.0.0.2:18082/?x", framing.Source{Kind: framing.SourceHost, Scheme: "http", Host: "127.0.0.2", Port: "18082", Path: "/"}},
	{"http://127.0.0.2:18082/#x", framing.Source{Kind: framing.SourceHost, Scheme: "http", Host: "127.0.0.2", Port: "18082", Path: "/"}},
	{"https://partner.example/?embed", framing.Source{Kind: framing.SourceHost, Scheme: "https", Host: "partner.example", Path: "/"}},
	{"https://a.example/?", framing.Source{Kind: framing.SourceHost, Scheme: "https", Host: "a.example", Path: "/"}},
	{"https://a.example/path?x", framing.Source{Kind: framing.SourceHost, Scheme: "https", Host: "a.example", Path: "/path"}},
	{"a.example/p#f?q", framing.Source{Kind: framing.SourceHost, Host: "a.example", Path: "/p"}},
	{"a.example/p?q#f/x", framing.Source{Kind: framing.SourceHost, Host: "a.example", Path: "/p"}},
	{"http://a.example?x", framing.Source{Kind: framing.SourceInvalid}},
	{"http://a.example#x", framing.Source{Kind: framing.SourceInvalid}},
	{"http://a.example:8080?x", framing.Source{Kind: framing.SourceInvalid}},
	{"a.example:80#x/", framing.Source{Kind: framing.SourceInvalid}},
	{"http://a.example:abc", framing.Source{Kind: framing.SourceInvalid}},
	{"http://a.example:", framing.Source{Kind: framing.SourceInvalid}},
	{"http://a.example:99999999999", framing.Source{Kind: framing.SourceInvalid}},
	{"http:/a.example", framing.Source{Kind: framing.SourceInvalid}},
	{"http://", framing.Source{Kind: framing.SourceInvalid}},
	{"*.", framing.Source{Kind: framing.SourceInvalid}},
	{"a*.example", framing.Source{Kind: framing.SourceInvalid}},
	{"a..example", framing.Source{Kind: framing.SourceInvalid}},
	{"[::1]", framing.Source{Kind: framing.SourceInvalid}},
	{"1http:", framing.Source{Kind: framing.SourceInvalid}},
	{"'unterminated", framing.Source{Kind: framing.SourceInvalid}},
	{"İ.example", framing.Source{Kind: framing.SourceInvalid}},
}

func TestParseSource(t *testing.T) {
	t.Parallel()
	for _, tc := range sourceCases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			want := tc.want
			want.Text = tc.in
			if diff := cmp.Diff(want, framing.ParseSource(tc.in)); diff != "" {
				t.Errorf("ParseSource(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// cspCases are shared by TestParseCSP and the FuzzParseCSP seeds.
var cspCases = []struct {
	name  string
	value string
	want  []framing.Policy
}{
	{"empty", "", nil},
	{"only commas", " , ,", nil},
	{"none", "frame-ancestors 'none'", []framing.Policy{{
		Text: "frame-ancestors 'none'",
		Directives: []framing.Directive{{Name: "frame-ancestors", Value: "'none'",
			Sources: []framing.Source{{Text: "'none'", Kind: framing.SourceNone}}}},
	}}},
	{"upper case name, empty value, spaces", "  FRAME-ANCESTORS   ;", []framing.Policy{{
		Text:       "FRAME-ANCESTORS   ;",
		Directives: []framing.Directive{{Name: "frame-ancestors"}},
	}}},
	{"tabs", "frame-ancestors\t'self'\thttps:", []framing.Policy{{
		Text: "frame-ancestors\t'self'\thttps:",
		Directives: []framing.Directive{{Name: "frame-ancestors", Value: "'self'\thttps:", Sources: []framing.Source{
			{Text: "'self'", Kind: framing.SourceSelf},
			{Text: "https:", Kind: framing.SourceScheme, Scheme: "https"},
		}}},
	}}},
	{"duplicates kept in order", "frame-ancestors *; frame-ancestors 'none'", []framing.Policy{{
		Text: "frame-ancestors *; frame-ancestors 'none'",
		Directives: []framing.Directive{
			{Name: "frame-ancestors", Value: "*", Sources: []framing.Source{{Text: "*", Kind: framing.SourceStar}}},
			{Name: "frame-ancestors", Value: "'none'", Sources: []framing.Source{{Text: "'none'", Kind: framing.SourceNone}}},
		},
	}}},
	{"comma splits policies", "default-src 'self', frame-ancestors *", []framing.Policy{
		{Text: "default-src 'self'", Directives: []framing.Directive{{Name: "default-src", Value: "'self'",
			Sources: []framing.Source{{Text: "'self'", Kind: framing.SourceSelf}}}}},
		{Text: "frame-ancestors *", Directives: []framing.Directive{{Name: "frame-ancestors", Value: "*",
			Sources: []framing.Source{{Text: "*", Kind: framing.SourceStar}}}}},
	}},
	// VT (U+000B) is not ASCII whitespace: it neither ends a name nor
	// separates sources, nor is it trimmed.
	{"vertical tab after the name", "frame-ancestors\v'none'", []framing.Policy{{
		Text:       "frame-ancestors\v'none'",
		Directives: []framing.Directive{{Name: "frame-ancestors\v'none'"}},
	}}},
	{"vertical tab between sources", "frame-ancestors *\v* ", []framing.Policy{{
		Text: "frame-ancestors *\v*",
		Directives: []framing.Directive{{Name: "frame-ancestors", Value: "*\v*",
			Sources: []framing.Source{{Text: "*\v*", Kind: framing.SourceInvalid}}}},
	}}},
	{"vertical tab not trimmed", "\vframe-ancestors 'none'\v", []framing.Policy{{
		Text: "\vframe-ancestors 'none'\v",
		Directives: []framing.Directive{{Name: "\vframe-ancestors", Value: "'none'\v",
			Sources: []framing.Source{{Text: "'none'\v", Kind: framing.SourceInvalid}}}},
	}}},
	{"form feed is whitespace", "\fframe-ancestors\f'none'\f", []framing.Policy{{
		Text: "frame-ancestors\f'none'",
		Directives: []framing.Directive{{Name: "frame-ancestors", Value: "'none'",
			Sources: []framing.Source{{Text: "'none'", Kind: framing.SourceNone}}}},
	}}},
	{"empty directives skipped", ";;upgrade-insecure-requests;;", []framing.Policy{{
		Text:       ";;upgrade-insecure-requests;;",
		Directives: []framing.Directive{{Name: "upgrade-insecure-requests"}},
	}}},
}

func TestParseCSP(t *testing.T) {
	t.Parallel()
	for _, tc := range cspCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, framing.ParseCSP(tc.value)); diff != "" {
				t.Errorf("ParseCSP(%q) mismatch (-want +got):\n%s", tc.value, diff)
			}
		})
	}
}

func TestPolicy_FrameAncestors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		want   string // the value obeyed
		ok     bool
	}{
		{"none", "default-src 'none'", "", false},
		{"typo", "frame-ancestor 'none'", "", false},
		{"only", "frame-ancestors 'self'", "'self'", true},
		{"first wins", "frame-ancestors 'none'; frame-ancestors *", "'none'", true},
		{"after others", "default-src 'self'; FRAME-ANCESTORS https:", "https:", true},
		{"empty", "frame-ancestors", "", true},
		// Chromium drops a directive whose value has a non-ASCII
		// character, and ignores later duplicates of its name.
		{"bad character", "frame-ancestors https://ä.example; frame-ancestors 'none'", "", false},
		// VT is such a character in a value; in a name it makes another
		// (unknown) directive, so a later frame-ancestors is obeyed.
		{"vertical tab in value", "frame-ancestors *\v*; frame-ancestors 'none'", "", false},
		{"vertical tab after name", "frame-ancestors\v*; frame-ancestors 'none'", "'none'", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := framing.ParseCSP(tc.policy)
			if len(p) != 1 {
				t.Fatalf("ParseCSP(%q) gave %d policies, want 1", tc.policy, len(p))
			}
			d, ok := p[0].FrameAncestors()
			if ok != tc.ok || d.Value != tc.want {
				t.Errorf("FrameAncestors() of %q = %q, %v; want %q, %v", tc.policy, d.Value, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSourceKind_String(t *testing.T) {
	t.Parallel()
	for k, want := range map[framing.SourceKind]string{
		framing.SourceNone: "none", framing.SourceSelf: "self", framing.SourceStar: "star",
		framing.SourceScheme: "scheme", framing.SourceHost: "host", framing.SourceKeyword: "keyword",
		framing.SourceInvalid: "invalid", framing.SourceKind(99): "SourceKind(99)",
	} {
		if got := k.String(); got != want {
			t.Errorf("SourceKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
