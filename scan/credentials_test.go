package scan_test

import (
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/scan"
)

// fakeWeb is a transport that answers for any origin, default ports
// included: a redirect where routes says so, 200 elsewhere. It records,
// per URL, whether the request carried the credentials of credOpts.
type fakeWeb struct {
	routes map[string]string // URL -> Location

	mu   sync.Mutex
	seen map[string]bool // "URL with", "URL without" or "URL partly with"
}

func (f *fakeWeb) RoundTrip(req *http.Request) (*http.Response, error) {
	u := *req.URL
	if strings.HasPrefix(u.Path, "/clickguard-scan-") {
		u.Path = "/clickguard-scan-RANDOM"
	}
	h := req.Header
	var state string
	switch {
	case h.Get("Cookie") == "sid=SECRET" && h.Get("X-Api-Key") == "KEY" && h.Get("Authorization") == "Bearer TOK" && h.Get("User-Agent") == "custom":
		state = "with"
	case h.Get("Cookie") == "" && h.Get("X-Api-Key") == "" && h.Get("Authorization") == "" && h.Get("User-Agent") == scan.UserAgent:
		state = "without"
	default:
		state = "partly with"
	}
	f.mu.Lock()
	f.seen[u.String()+" "+state] = true
	f.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/html"}},
		Body: io.NopCloser(strings.NewReader("<p>page</p>")), Request: req}
	if loc, ok := f.routes[u.String()]; ok {
		resp.StatusCode = http.StatusFound
		resp.Header.Set("Location", loc)
	}
	return resp, nil
}

// TestRun_credentialsStayOnOrigin checks that the cookie and headers go to
// the origin of the URL given, and its https:// upgrade, only: not to a
// redirect's target of another origin (net/http strips Cookie and
// Authorization for another domain but keeps them for a subdomain, and
// keeps every other header), not to the rest of a chain that left the
// origin, and not to the error-page probe of another origin. A header
// that replaced a browser default (User-Agent) gets its default back.
func TestRun_credentialsStayOnOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		url    string
		routes map[string]string
		want   []string
	}{
		{"same origin", "http://site.test/a", map[string]string{"http://site.test/a": "/b"}, []string{
			"http://site.test/a with", "http://site.test/b with", "http://site.test/clickguard-scan-RANDOM with"}},
		{"another origin", "http://site.test/cross", map[string]string{"http://site.test/cross": "http://other.test/p"}, []string{
			"http://other.test/clickguard-scan-RANDOM without", "http://other.test/p without", "http://site.test/cross with"}},
		{"a subdomain", "http://site.test/", map[string]string{"http://site.test/": "http://www.site.test/"}, []string{
			"http://site.test/ with", "http://www.site.test/ without", "http://www.site.test/clickguard-scan-RANDOM without"}},
		{"back through another origin", "http://site.test/out", map[string]string{
			"http://site.test/out":   "http://other.test/back",
			"http://other.test/back": "http://site.test/p",
		}, []string{
			"http://other.test/back without", "http://site.test/clickguard-scan-RANDOM with", "http://site.test/out with", "http://site.test/p without"}},
		{"https upgrade", "http://site.test/", map[string]string{"http://site.test/": "https://site.test/"}, []string{
			"http://site.test/ with", "https://site.test/ with", "https://site.test/clickguard-scan-RANDOM with"}},
		{"https upgrade to another port", "http://site.test/", map[string]string{"http://site.test/": "https://site.test:8443/"}, []string{
			"http://site.test/ with", "https://site.test:8443/ without", "https://site.test:8443/clickguard-scan-RANDOM without"}},
		{"upgrade from another port", "http://site.test:8080/", map[string]string{"http://site.test:8080/": "https://site.test/"}, []string{
			"http://site.test:8080/ with", "https://site.test/ without", "https://site.test/clickguard-scan-RANDOM without"}},
		{"downgrade", "https://site.test/", map[string]string{"https://site.test/": "http://site.test/"}, []string{
			"http://site.test/ without", "http://site.test/clickguard-scan-RANDOM without", "https://site.test/ with"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			web := &fakeWeb{routes: tc.routes, seen: map[string]bool{}}
			opts := scan.Options{
				Transport: web,
				Cookie:    "sid=SECRET",
				Header:    http.Header{"Authorization": {"Bearer TOK"}, "X-Api-Key": {"KEY"}, "User-Agent": {"custom"}},
			}
			err := scan.Run(t.Context(), opts, []string{tc.url}, func(r scan.Result) {
				if r.Error != "" {
					t.Errorf("%s: %s", r.URL, r.Error)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(maps.Keys(web.seen))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
