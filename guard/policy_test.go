package guard_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/guard"
)

func TestNewPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sources    []string
		want       string
		origins    []string
		embeddable bool
		wantErr    bool
	}{
		{"none", nil, "frame-ancestors 'none'", nil, false, false},
		{"self", []string{"'self'"}, "frame-ancestors 'self'", nil, true, false},
		{"self in capitals", []string{"'SELF'"}, "frame-ancestors 'self'", nil, true, false},
		// Keywords ignore the case of ASCII letters only: 'ſ' (U+017F)
		// folds to 's' in Unicode, not in CSP.
		{"self with a long s refused", []string{"'\u017felf'"}, "", nil, false, true},
		{"origins normalised and deduplicated", []string{"HTTPS://A.example:443", "https://a.example", "http://127.0.0.1:8080"},
			"frame-ancestors https://a.example http://127.0.0.1:8080", []string{"https://a.example", "http://127.0.0.1:8080"}, true, false},
		{"self and origin", []string{originA, "'self'"}, "frame-ancestors 'self' https://a.example", []string{originA}, true, false},
		{"IPv6 refused", []string{"http://[::1]:8080"}, "", nil, false, true},
		{"wildcard refused", []string{"*"}, "", nil, false, true},
		{"keyword refused", []string{"'none'"}, "", nil, false, true},
		{"unquoted self refused", []string{"self"}, "", nil, false, true},
		{"injection refused", []string{"https://a.example; script-src *"}, "", nil, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := guard.NewPolicy(tc.sources...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewPolicy(%q) error = %v, want error %v", tc.sources, err, tc.wantErr)
			}
			if err != nil {
				if p.String() != "frame-ancestors 'none'" || p.IsEmbeddable() {
					t.Errorf("NewPolicy(%q) failed but returned %q", tc.sources, p)
				}
				return
			}
			if p.String() != tc.want {
				t.Errorf("String() = %q, want %q", p.String(), tc.want)
			}
			if diff := cmp.Diff(tc.origins, p.Origins()); diff != "" {
				t.Errorf("Origins() (-want +got):\n%s", diff)
			}
			if p.IsEmbeddable() != tc.embeddable {
				t.Errorf("IsEmbeddable() = %v, want %v", p.IsEmbeddable(), tc.embeddable)
			}
		})
	}
}

// TestNewPolicy_Messages checks that a source written as CSP would have it,
// but not as NewPolicy takes it, is refused with a message that says how
// to write it, and that 'self' is a keyword in any case, as in CSP.
func TestNewPolicy_Messages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ source, want string }{
		{"'none'", `guard: new policy: 'none' is not a source: no sources at all make frame-ancestors 'none'`},
		{"self", `guard: new policy: "self" is not an origin: the keyword is 'self', with its quotes`},
		{"'unsafe-inline'", `guard: new policy: "'unsafe-inline'" is not a frame-ancestors source: give 'self' or origins`},
		{"*", `guard: new policy: invalid origin "*": wildcards are not allowed: give each origin`},
		{"https://*.a.example", `guard: new policy: invalid origin "https://*.a.example": wildcards are not allowed: give each origin`},
	} {
		if _, err := guard.NewPolicy(tc.source); err == nil || err.Error() != tc.want {
			t.Errorf("NewPolicy(%q) = %v, want %q", tc.source, err, tc.want)
		}
	}
	if p, err := guard.NewPolicy("'SELF'"); err != nil || p.String() != "frame-ancestors 'self'" {
		t.Errorf(`NewPolicy("'SELF'") = %q, %v, want frame-ancestors 'self'`, p, err)
	}
}
