package scan_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/clickguard/clickguard/scan"
)

// benchServer serves a protected page at every path after delay, standing
// in for an application that does some work per request.
func benchServer(delay time.Duration) *httptest.Server {
	body := []byte("<!doctype html><html><head><title>page</title></head><body>" +
		"<form method=post><button>Pay</button></form></body></html>")
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if delay > 0 {
			time.Sleep(delay)
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(body)
	}))
}

func benchURLs(base string, n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/page/%d", base, i)
	}
	return urls
}

// BenchmarkRun scans 1,000 local URLs, one by one and 32 at a time, from a
// server that answers at once and from one that takes 2ms per page.
func BenchmarkRun(b *testing.B) {
	for _, delay := range []time.Duration{0, 2 * time.Millisecond} {
		srv := benchServer(delay)
		urls := benchURLs(srv.URL, 1000)
		for _, c := range []int{1, 32} {
			b.Run(fmt.Sprintf("urls=1000/delay=%s/concurrency=%d", delay, c), func(b *testing.B) {
				opts := scan.Options{Concurrency: c}
				for b.Loop() {
					n := 0
					if err := scan.Run(b.Context(), opts, urls, func(r scan.Result) {
						if r.Error != "" {
							b.Fatalf("%s: %s", r.URL, r.Error)
						}
						n++
					}); err != nil {
						b.Fatal(err)
					}
					if n != len(urls) {
						b.Fatalf("%d results, want %d", n, len(urls))
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(urls)), "µs/url")
			})
		}
		srv.Close()
	}
}

// liveHeap returns the bytes of live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkRun_memory reports the peak live heap while scanning lists of
// growing length, writing the JSON report to io.Discard as it goes: with
// results streamed, the peak should not grow with the list.
func BenchmarkRun_memory(b *testing.B) {
	srv := benchServer(0)
	defer srv.Close()
	for _, n := range []int{1000, 4000, 16000} {
		urls := benchURLs(srv.URL, n)
		b.Run(fmt.Sprintf("urls=%d", n), func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				base := liveHeap()
				rep := scan.NewReport(io.Discard, scan.FormatJSON, false)
				i := 0
				err := scan.Run(b.Context(), scan.Options{Concurrency: 32}, urls, func(r scan.Result) {
					if err := rep.Add(r); err != nil {
						b.Fatal(err)
					}
					if i++; i%500 == 0 {
						if h := liveHeap(); h > base && h-base > peak {
							peak = h - base
						}
					}
				})
				if err != nil {
					b.Fatal(err)
				}
				if err := rep.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/1024, "peak-live-KiB")
		})
	}
}

// TestRun_memoryFlat checks that the live heap does not grow with the
// number of URLs scanned: results are emitted and dropped as they come.
func TestRun_memoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("scans 2,000 local URLs")
	}
	srv := benchServer(0)
	defer srv.Close()
	urls := benchURLs(srv.URL, 2000)
	base := liveHeap()
	var early, late uint64
	i := 0
	err := scan.Run(t.Context(), scan.Options{Concurrency: 16}, urls, func(r scan.Result) {
		switch i++; i {
		case 400:
			early = liveHeap()
		case 2000:
			late = liveHeap()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	kib := func(h uint64) int64 { return (int64(h) - int64(base)) / 1024 }
	t.Logf("live heap above start: %d KiB after 400 URLs, %d KiB after 2000", kib(early), kib(late))
	// 1,600 more results kept in memory would cost well over 1 MiB (each
	// holds three verdicts with their reasons); a streaming Run stays level.
	if grew := kib(late) - kib(early); grew > 1024 {
		t.Errorf("live heap grew by %d KiB between 400 and 2000 URLs, want under 1024 KiB", grew)
	}
}

// TestReport_htmlMemoryFlat checks that the html report's memory does not
// grow with the number of results, every one of which needs attention: the
// summary keeps the first 1,000 and counts the rest.
func TestReport_htmlMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 results")
	}
	rep := scan.NewReport(io.Discard, scan.FormatHTML, false)
	base := liveHeap()
	var early, late uint64
	for i := range 20000 {
		u := fmt.Sprintf("http://a.example/page/%d", i)
		err := rep.Add(scan.Result{
			URL: u, FinalURL: u, Status: 200,
			Verdicts: []scan.Verdict{{Chain: scan.ChainForeign, Ancestors: []string{"http://attacker.example"}, Framable: true, DecidedBy: "none", Reason: "no header"}},
			Findings: []scan.Finding{{ID: "no-protection", Severity: scan.SeverityHigh, Message: "m", Evidence: []string{"(none)"}, Fix: "f"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		switch i + 1 {
		case 2000:
			early = liveHeap()
		case 20000:
			late = liveHeap()
		}
	}
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	kib := func(h uint64) int64 { return (int64(h) - int64(base)) / 1024 }
	t.Logf("live heap above start: %d KiB after 2,000 results, %d KiB after 20,000", kib(early), kib(late))
	// 18,000 more entries in the summary would cost well over 1 MiB.
	if grew := kib(late) - kib(early); grew > 256 {
		t.Errorf("live heap grew by %d KiB between 2,000 and 20,000 results, want under 256 KiB", grew)
	}
}

// BenchmarkReport measures writing one result with findings, in each
// format, to io.Discard.
func BenchmarkReport(b *testing.B) {
	res := scan.Result{
		URL: "http://a.example/page", FinalURL: "http://a.example/page", Status: 200,
		Verdicts: []scan.Verdict{
			{Chain: scan.ChainForeign, Ancestors: []string{"http://attacker.example"}, Framable: true, DecidedBy: "none", Reason: "neither Content-Security-Policy frame-ancestors nor X-Frame-Options is set: any origin may frame the page"},
			{Chain: scan.ChainSelf, Ancestors: []string{"http://a.example"}, Framable: true, DecidedBy: "none", Reason: "neither Content-Security-Policy frame-ancestors nor X-Frame-Options is set: any origin may frame the page"},
			{Chain: scan.ChainDouble, Ancestors: []string{"http://a.example", "http://attacker.example"}, Framable: true, DecidedBy: "none", Reason: "neither Content-Security-Policy frame-ancestors nor X-Frame-Options is set: any origin may frame the page"},
		},
		Findings: []scan.Finding{{ID: "no-protection", Severity: scan.SeverityHigh, Message: "No framing protection that browsers enforce: any site can load this page in a frame and trick users into clicking on it (clickjacking).",
			Evidence: []string{"(no X-Frame-Options or Content-Security-Policy frame-ancestors header)"}, Fix: "Content-Security-Policy: frame-ancestors 'none'"}},
	}
	for _, f := range []scan.Format{scan.FormatText, scan.FormatJSONL, scan.FormatSARIF, scan.FormatHTML} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			rep := scan.NewReport(io.Discard, f, false)
			for b.Loop() {
				if err := rep.Add(res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
