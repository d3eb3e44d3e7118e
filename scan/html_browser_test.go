package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestHTML_chromium opens a report of a hostile site in Chromium from disk:
// its style sheet applies under its own Content-Security-Policy (and does
// not when the hash is wrong, so the check can fail), and Chromium's parser
// finds no script, event handler or foreign image in it either.
func TestHTML_chromium(t *testing.T) {
	browser := chromiumtest.Start(t)
	src := htmlReport(t, append(hostile(), framable("")), errors.New("interrupted"))
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + path
	}
	report := write("report.html", src)
	if !strings.Contains(src, "sha256-") {
		t.Fatal("the report has no style hash")
	}
	wrongHash := write("wrong-hash.html", strings.Replace(src, "sha256-", "sha256-AAAA", 1))

	type look struct {
		Badge   string // background colour of a high severity badge
		Markup  int    // scripts, event handlers, images that are not data:
		Summary bool   // the summary is above the first result
	}
	open := func(url string) look {
		tab, cancel := chromedp.NewContext(browser)
		defer cancel()
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatalf("open %s: %v", url, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[look](`(() => {
			const badge = document.querySelector(".badge.sev-high");
			let markup = document.querySelectorAll("script, iframe, object, embed, img:not([src^='data:'])").length;
			for (const el of document.querySelectorAll("*")) {
				for (const a of el.attributes) if (a.name.startsWith("on")) markup++;
			}
			const summary = document.getElementById("summary").getBoundingClientRect().top;
			const first = document.getElementById("r1").getBoundingClientRect().top;
			return {Badge: badge ? getComputedStyle(badge).backgroundColor : "", Markup: markup, Summary: summary < first};
		})()`))
		if err != nil {
			t.Fatalf("read %s: %v", url, err)
		}
		return got
	}

	got := open(report)
	if got.Badge != "rgb(179, 38, 30)" {
		t.Errorf("high badge background %q: the style sheet did not apply", got.Badge)
	}
	if got.Markup != 0 {
		t.Errorf("Chromium found %d scripts, event handlers or foreign images", got.Markup)
	}
	if !got.Summary {
		t.Error("the summary is not shown first")
	}
	if got := open(wrongHash); got.Badge == "rgb(179, 38, 30)" {
		t.Error("with a wrong hash the style sheet still applied: the check above proves nothing")
	}
}
