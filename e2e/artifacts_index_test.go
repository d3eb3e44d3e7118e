package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecorder_writeIndex checks the artifacts page without a browser: every
// shot is listed with its verdict, a shared screenshot is written once, and
// text that came from a framed page is escaped.
func TestRecorder_writeIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRecorder(dir)
	png := []byte("\x89PNG fake")
	if err := r.addAll("framing_GET /items/{id}_from-cross-site", []shot{
		{Group: "framing", Route: "GET /items/{id}", Attack: "iframe from cross-site", Verdict: "blocked", What: "Chromium's error page", OK: true},
		{Group: "framing", Route: "GET /items/{id}", Attack: "object from cross-site", Verdict: "RENDERED", What: `<script>alert(1)</script>`, OK: false},
	}, png); err != nil {
		t.Fatal(err)
	}
	if err := r.add(shot{Group: "clickjack", Route: "GET /items/{id}/delete", Attack: "decoy click", Verdict: "item deleted: false", OK: true}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.writeIndex(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		"3 attacks in Chromium, 1 with an unexpected verdict",
		`src="framing_GET-items-id-_from-cross-site.png"`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`<figure class="bad">`,
		"item deleted: false",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("index.html contains unescaped text from a framed page")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) != 1 {
		t.Errorf("wrote %d screenshots, want 1 (shared by two attacks): %q", len(files), files)
	}
}
