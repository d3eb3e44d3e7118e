package guard_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/guard"
)

func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"https://a.example", "HTTP://A.EXAMPLE:80", "http://[::1]:8080", "https://a.example/",
		"https://xn--bcher-kva.example:8443", "http://127.0.0.1", "https://a..b", "ftp://x", "https://[::ffff:1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := guard.ParseOrigin(s)
		if err != nil {
			return
		}
		// Normalised output is a fixed point.
		if again, err := guard.ParseOrigin(o); err != nil || again != o {
			t.Fatalf("ParseOrigin(%q) = %q, then ParseOrigin(%q) = %q, %v", s, o, o, again, err)
		}
		// Nothing that could end a CSP source or directive, or a header.
		if _, rest, _ := strings.Cut(o, "://"); strings.ContainsAny(rest, " \t\r\n;,'*\"/?#@\\") {
			t.Fatalf("ParseOrigin(%q) = %q holds a separator", s, o)
		}
		if strings.Count(o, "/") != 2 {
			t.Fatalf("ParseOrigin(%q) = %q has a path", s, o)
		}
		// It is what net/url and browsers see as an origin.
		u, err := url.Parse(o)
		if err != nil || u.Scheme+"://"+u.Host != o || u.User != nil || u.Path != "" {
			t.Fatalf("ParseOrigin(%q) = %q, which url.Parse reads as %#v, %v", s, o, u, err)
		}
		p, err := guard.NewPolicy(o)
		if err != nil {
			t.Fatalf("NewPolicy(%q): %v", o, err)
		}
		// The browser model reads the policy as allowing exactly that origin.
		resp := framing.Response{URL: "https://page.invalid/", Headers: []framing.Header{{Name: "Content-Security-Policy", Value: p.String()}}}
		for _, tc := range []struct {
			ancestor string
			want     bool
		}{{o, true}, {"https://other.invalid", false}} {
			v, err := framing.Evaluate(resp, []string{tc.ancestor})
			if err != nil {
				t.Fatalf("framing.Evaluate(%q, %q): %v", p.String(), tc.ancestor, err)
			}
			if v.Framable != tc.want {
				t.Fatalf("%q framed by %q: framable = %v, want %v (%s)", p.String(), tc.ancestor, v.Framable, tc.want, v.Reason)
			}
		}
	})
}

func FuzzMergeCSP(f *testing.F) {
	for _, s := range []string{"", "default-src 'self'", "frame-ancestors *", "a; b, c; frame-ancestors x",
		"FRAME-ANCESTORS\t*;;", "script-src 'nonce-a', frame-ancestors 'self'", ",,;;", "frame-ancestors-x",
		"default-src 'self';\n  script-src 'self'\r\n\fhttps://cdn.example", "frame-ancestors\v*", "img-src a\x00b; style-src c"} {
		f.Add(s, "img-src https:")
	}
	const fa = "frame-ancestors 'none'"
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, values := range [][]string{{a}, {a, b}} {
			got, dropped := guard.MergeCSP(values, fa)
			// A line any server sends as it is: no control character but
			// tabs (Go's HTTP/2 server drops any other).
			if strings.ContainsFunc(got, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				t.Fatalf("MergeCSP(%q) = %q: a control character", values, got)
			}
			// Exactly one frame-ancestors, guard's, in the first policy.
			n := 0
			for i, policy := range strings.Split(got, ",") {
				for d := range strings.SplitSeq(policy, ";") {
					d = strings.Trim(d, " \t")
					name, _, _ := strings.Cut(strings.ToLower(d), " ")
					name, _, _ = strings.Cut(name, "\t")
					if name == "frame-ancestors" {
						n++
						if i != 0 || d != fa {
							t.Fatalf("MergeCSP(%q) = %q: frame-ancestors %q in policy %d", values, got, d, i)
						}
					}
				}
			}
			if n != 1 {
				t.Fatalf("MergeCSP(%q) = %q: %d frame-ancestors directives, want 1", values, got, n)
			}
			// Merging again changes nothing.
			if again, dropped := guard.MergeCSP([]string{got}, fa); again != got || dropped {
				t.Fatalf("MergeCSP(%q) = %q, merged again %q (dropped %v)", values, got, again, dropped)
			}
			// Every other directive survives, its CR, LF and FF as spaces,
			// but one with another control character, which is dropped
			// and said to be.
			for _, v := range values {
				for policy := range strings.SplitSeq(v, ",") {
					for d := range strings.SplitSeq(policy, ";") {
						d = strings.Trim(d, " \t\r\n\f")
						if d == "" || strings.HasPrefix(strings.ToLower(d), "frame-ancestors") {
							continue
						}
						d = strings.NewReplacer("\r", " ", "\n", " ", "\f", " ").Replace(d)
						bad := strings.ContainsFunc(d, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
						switch {
						case !bad && !strings.Contains(got, d):
							t.Fatalf("MergeCSP(%q) = %q lost directive %q", values, got, d)
						case bad && !dropped:
							t.Fatalf("MergeCSP(%q) = %q, %v: directive %q has a control character, and dropped is false", values, got, dropped, d)
						}
					}
				}
			}
		}
	})
}

// checkDecodeToken fails t unless the token decoder agrees with the
// standard library's strict base64url decoder on s (which also skips CR and
// LF; ours refuses them).
func checkDecodeToken(t testing.TB, s string) {
	t.Helper()
	got, ok := guard.DecodeToken(s)
	want, err := base64.RawURLEncoding.Strict().DecodeString(s)
	stdOK := err == nil && len(want) == 64 && len(s) == 86 && !strings.ContainsAny(s, "\r\n")
	if ok != stdOK || (ok && !bytes.Equal(got, want)) {
		t.Fatalf("DecodeToken(%q) = %x, %v; strict base64url gives %x, %v", s, got, ok, want, err)
	}
}

func FuzzToken(f *testing.F) {
	secret := make([]byte, 32)
	rand.Read(secret)
	valid := guard.MaskToken(secret)
	f.Add(valid, 0, byte('A'))
	f.Add(valid, 85, byte('_'))
	f.Add(valid[:85]+"B", 3, byte('-'))
	f.Add("", 0, byte(0))
	f.Add(strings.Repeat("A", 86), 10, byte('='))
	f.Fuzz(func(t *testing.T, s string, i int, c byte) {
		checkDecodeToken(t, s)
		// An arbitrary string is not a masking of a secret it never saw.
		if s != valid && guard.VerifyToken(s, secret) {
			t.Fatalf("VerifyToken(%q) accepted a forged token", s)
		}
		// Any one-character change to a valid token is refused.
		if len(valid) == 0 {
			return
		}
		i = ((i % len(valid)) + len(valid)) % len(valid)
		if valid[i] == c {
			return
		}
		forged := valid[:i] + string(c) + valid[i+1:]
		if guard.VerifyToken(forged, secret) {
			t.Fatalf("VerifyToken accepted %q, a token changed at %d", forged, i)
		}
		// A fresh masking verifies; a masking of another secret does not.
		if !guard.VerifyToken(guard.MaskToken(secret), secret) {
			t.Fatalf("a fresh masking did not verify")
		}
		other := append([]byte(nil), secret...)
		other[i%32] ^= 1 | c
		if guard.VerifyToken(guard.MaskToken(other), secret) {
			t.Fatalf("a masking of another secret verified")
		}
	})
}
