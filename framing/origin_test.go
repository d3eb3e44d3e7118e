package framing_test

import (
	"testing"

	"github.com/clickguard/clickguard/framing"
)

// originCases are shared by TestParseOrigin and the FuzzParseOrigin seeds.
var originCases = []struct {
	in      string
	want    framing.Origin
	str     string
	wantErr bool
}{
	{"http://127.0.0.1:18081", framing.Origin{Scheme: "http", Host: "127.0.0.1", Port: 18081}, "http://127.0.0.1:18081", false},
	{"https://a.example", framing.Origin{Scheme: "https", Host: "a.example", Port: 443}, "https://a.example", false},
	{"https://a.example:443/", framing.Origin{Scheme: "https", Host: "a.example", Port: 443}, "https://a.example", false},
	{"HTTP://A.Example:80", framing.Origin{Scheme: "http", Host: "a.example", Port: 80}, "http://a.example", false},
	{"  http://a.example:8080  ", framing.Origin{Scheme: "http", Host: "a.example", Port: 8080}, "http://a.example:8080", false},
	{"http://[::1]:8080", framing.Origin{Scheme: "http", Host: "[::1]", Port: 8080}, "http://[::1]:8080", false},
	{"custom://host", framing.Origin{Scheme: "custom", Host: "host"}, "custom://host", false},
	{"null", framing.Origin{Opaque: true}, "null", false},
	{"null (sandboxed http://127.0.0.2:18082)", framing.Origin{Opaque: true}, "null", false},
	{"", framing.Origin{}, "", true},
	{"a.example", framing.Origin{}, "", true},
	{"http://", framing.Origin{}, "", true},
	{"http://a.example/path", framing.Origin{}, "", true},
	{"http://a.example/?q", framing.Origin{}, "", true},
	{"http://a.example/#f", framing.Origin{}, "", true},
	{"http://user@a.example", framing.Origin{}, "", true},
	{"http://a.example:0", framing.Origin{}, "", true},
	{"http://a.example:70000", framing.Origin{}, "", true},
	{"http://a.example:port", framing.Origin{}, "", true},
	{"http://exämple.test", framing.Origin{}, "", true},
	{"http://İ.example", framing.Origin{}, "", true},
	{"mailto:a@b.example", framing.Origin{}, "", true},
}

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range originCases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := framing.ParseOrigin(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseOrigin(%q) = %+v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOrigin(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParseOrigin(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.str {
				t.Errorf("ParseOrigin(%q).String() = %q, want %q", tc.in, s, tc.str)
			}
		})
	}
}

func TestOrigin_IsSameOrigin(t *testing.T) {
	t.Parallel()
	a := framing.Origin{Scheme: "https", Host: "a.example", Port: 443}
	tests := []struct {
		name string
		x, y framing.Origin
		want bool
	}{
		{"equal", a, a, true},
		{"other port", a, framing.Origin{Scheme: "https", Host: "a.example", Port: 8443}, false},
		{"other scheme", a, framing.Origin{Scheme: "http", Host: "a.example", Port: 443}, false},
		{"other host", a, framing.Origin{Scheme: "https", Host: "b.example", Port: 443}, false},
		{"opaque", framing.Origin{Opaque: true}, framing.Origin{Opaque: true}, false},
	}
	for _, tc := range tests {
		if got := tc.x.IsSameOrigin(tc.y); got != tc.want {
			t.Errorf("%s: %v.IsSameOrigin(%v) = %v, want %v", tc.name, tc.x, tc.y, got, tc.want)
		}
	}
}
