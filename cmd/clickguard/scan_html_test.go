package main

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestScan_html scans every page of the site and an unreachable URL with
// -format html: one section per URL in order, and a summary whose counts
// are the text report's.
func TestScan_html(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	urls := append([]string{"http://" + closedAddr(t) + "/down"}, siteURLs(srv.URL)...)
	code, page, stderr := runScanCmd(t, "", append([]string{"-format", "html"}, urls...)...)
	if code != exitFailure {
		t.Errorf("exit code %d, want %d (the exit status does not depend on the format)", code, exitFailure)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing", stderr)
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
		t.Errorf("not one whole page: starts %.40q, ends %q", page, page[max(0, len(page)-40):])
	}
	sections := regexp.MustCompile(`<section class="result" id="r(\d+)"[^>]*>\s*<h2[^>]*>(?:<a [^>]*>)?([^<]*)<`).FindAllStringSubmatch(page, -1)
	if len(sections) != len(urls) {
		t.Fatalf("%d sections for %d URLs", len(sections), len(urls))
	}
	for i, s := range sections {
		if s[2] != urls[i] {
			t.Errorf("section %s is %q, want %q", s[1], s[2], urls[i])
		}
	}

	_, text, _ := runScanCmd(t, "", urls...)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	m := regexp.MustCompile(`^(\d+) URLs scanned, (\d+) framable by a foreign origin, (\d+) errors?, findings: (\d+) high, (\d+) medium, (\d+) low, (\d+) info$`).FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("text summary %q", lines[len(lines)-1])
	}
	summary := page[strings.Index(page, `id="summary"`):]
	for i, label := range []string{"URLs scanned", "framable by a foreign origin", "error", "HIGH", "MEDIUM", "LOW", "INFO"} {
		want := regexp.MustCompile(`<strong>` + m[i+1] + `</strong> (<span class="badge [^"]*">)?` + label)
		if !want.MatchString(summary) {
			t.Errorf("the summary does not say %s %s like the text report", m[i+1], label)
		}
	}
}
