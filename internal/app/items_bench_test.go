package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// BenchmarkItemsPageWrk loads GET /items (20 items, logged in) with wrk on
// loopback, against the full stack and against the same app built with
// Config.Unprotected (no guard layers), each on fresh tables of the embedded
// DynamoDB, and reports page views per second. It skips when wrk is not
// installed. Each case runs wrk once for 5 seconds, so use -benchtime 1x:
//
//	go test -run '^$' -bench BenchmarkItemsPageWrk -benchtime 1x ./internal/app/
func BenchmarkItemsPageWrk(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed")
	}
	for _, tc := range itemsPageConfigs {
		b.Run(tc.name, func(b *testing.B) {
			srv, c := itemsPageServer(b, tc.cfg)
			resp, err := c.Get(srv.URL + "/items")
			if err != nil {
				b.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || strings.Count(string(page), `class="item-row"`) != 20 {
				b.Fatalf("GET /items: status %d, %d items, want 200 and 20", resp.StatusCode, strings.Count(string(page), `class="item-row"`))
			}
			u, _ := url.Parse(srv.URL)
			var cookie string
			for _, ck := range c.Jar.Cookies(u) {
				if ck.Name == "__Host-session" {
					cookie = ck.Name + "=" + ck.Value
				}
			}
			if cookie == "" {
				b.Fatal("no session cookie after login")
			}
			var rps float64
			for range b.N {
				out, err := exec.CommandContext(b.Context(), wrk, "-t2", "-c16", "-d5s", "-H", "Cookie: "+cookie, srv.URL+"/items").CombinedOutput()
				if err != nil {
					b.Fatalf("wrk: %v\n%s", err, out)
				}
				m := rpsRE.FindSubmatch(out)
				if m == nil || non2xxRE.Match(out) {
					b.Fatalf("wrk output without a clean result:\n%s", out)
				}
				rps, _ = strconv.ParseFloat(string(m[1]), 64)
			}
			b.ReportMetric(rps, "pages/s")
		})
	}
}

// BenchmarkItemsPage serves GET /items (20 items, logged in) one request
// at a time over the TLS test server, with the full stack and with
// Config.Unprotected; allocations count both the server and the client.
//
//	go test -run '^$' -bench 'BenchmarkItemsPage$' -benchmem -count 3 ./internal/app/
func BenchmarkItemsPage(b *testing.B) {
	for _, tc := range itemsPageConfigs {
		b.Run(tc.name, func(b *testing.B) {
			srv, c := itemsPageServer(b, tc.cfg)
			for b.Loop() {
				resp, err := c.Get(srv.URL + "/items")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body) //nolint:errcheck // the status is what matters
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// itemsPageConfigs are the stacks the GET /items benchmarks compare: the
// full one and the same app built with Config.Unprotected.
var itemsPageConfigs = []struct {
	name string
	cfg  app.Config
}{
	{"protected", app.Config{}},
	{"unprotected", app.Config{Unprotected: true}},
}

// itemsPageServer serves the app built with cfg on fresh tables of the
// embedded DynamoDB, with alice logged in on the returned client and owning
// 20 items.
func itemsPageServer(b *testing.B, cfg app.Config) (*httptest.Server, *http.Client) {
	env := storetest.EmbeddedBackend(b).Env(b)
	srv, c := benchLogin(b, env, "alice", cfg)
	seedItems(b, env, "alice", 20)
	return srv, c
}

var (
	rpsRE    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	non2xxRE = regexp.MustCompile(`Non-2xx or 3xx responses`)
)
