package scan_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/clickguard/clickguard/scan"
)

// ExampleRun scans one page that relies on the ignored ALLOW-FROM and
// prints the verdicts and findings.
func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "ALLOW-FROM https://partner.example")
		fmt.Fprint(w, "<!doctype html><title>Account</title>")
	}))
	defer srv.Close()

	opts := scan.Options{SkipErrorPage: true}
	err := scan.Run(context.Background(), opts, []string{srv.URL + "/account"}, func(r scan.Result) {
		for _, v := range r.Verdicts {
			fmt.Printf("%s: framable %v (decided by %s)\n", v.Chain, v.Framable, v.DecidedBy)
		}
		for _, f := range r.Findings {
			fmt.Printf("%s %s, fix: %s\n", f.Severity, f.ID, f.Fix)
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	// Output:
	// foreign origin: framable true (decided by none)
	// own origin: framable true (decided by none)
	// own origin inside foreign top: framable true (decided by none)
	// high no-protection, fix: Content-Security-Policy: frame-ancestors 'none'
	// medium xfo-allow-from, fix: Content-Security-Policy: frame-ancestors 'self' https://partner.example
}

// ExampleReport writes each result as text as soon as Run emits it.
func ExampleReport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
	}))
	defer srv.Close()

	rep := scan.NewReport(os.Stdout, scan.FormatText, false)
	opts := scan.Options{SkipErrorPage: true, Chains: [][]string{{"https://partner.example"}}}
	// A URL that is not http(s) is reported, not fatal.
	err := scan.Run(context.Background(), opts, []string{"ftp://files.example/"}, func(r scan.Result) {
		_ = rep.Add(r)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	_ = rep.Close()
	// Output:
	// ftp://files.example/
	//   error: invalid URL "ftp://files.example/": scheme must be http or https
	//
	// 1 URL scanned, 0 framable by a foreign origin, 1 error, no findings
}
