package chromiumlive

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// pageBrowser is a browser that the lab drives with its pages alone, with
// no automation protocol (see runPages): Firefox and WebKit.
type pageBrowser struct {
	name    string // "Firefox"
	version string // as it says: "Mozilla Firefox 153.8.0esr"
	file    string // its file in framing/testdata: "firefox.json"

	// open returns the command that opens url in the browser, not started;
	// what it needs beside (a display) it starts itself, until t ends.
	open func(t *testing.T, url string) *exec.Cmd
}

// runPages opens the lab's framing pages for records in one browser, each as
// a top-level page, one after the other, and returns whether each record's
// victim document loaded, by id. A page goes on to the next once loaded (its
// load event waits for every frame's, and a victim's for its beacon), or
// after four seconds; the lab's navigator, on 127.0.0.2, redirects /next/<i>
// to page i and takes /next/<len> as the end.
func runPages(t *testing.T, b pageBrowser, l *lab, records []corpustest.Record) map[string]bool {
	t.Helper()
	var (
		mu   sync.Mutex
		tops []string
		at   int // the last page asked for
	)
	done := make(chan struct{})
	nav := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/next/"))
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil || i < 0 || i > len(tops):
			http.NotFound(w, r)
		case i == len(tops):
			if at < i {
				at = i
				close(done)
			}
			fmt.Fprint(w, "done")
		default:
			at = max(at, i)
			http.Redirect(w, r, tops[i], http.StatusFound)
		}
	}))
	for i, r := range records {
		l.forget(r.ID)
		top, markup := l.frames(t, r)
		next := nav.URL + "/next/" + strconv.Itoa(i+1)
		page := top + l.addPage(markup+`<script>let gone = false; function next() { if (!gone) { gone = true; location = "`+next+`"; } }
onload = () => setTimeout(next, 50); setTimeout(next, 4000);</script>`)
		mu.Lock()
		tops = append(tops, page)
		mu.Unlock()
	}

	if output, ok := b.browse(t, nav.URL+"/next/0", done, time.Duration(len(records))*5*time.Second+30*time.Second); !ok {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s did not go through the %d pages: it asked for page %d last; its output:\n%s", b.name, len(records), at, output)
	}
	loaded := make(map[string]bool)
	for _, r := range records {
		loaded[r.ID] = l.wasLoaded(r.ID)
	}
	return loaded
}

// browse opens url in b and waits until done is closed, or timeout has
// passed, then kills b with every process of its group. It returns what b
// wrote and whether done was closed in time.
func (b pageBrowser) browse(t *testing.T, url string, done <-chan struct{}, timeout time.Duration) (output string, ok bool) {
	t.Helper()
	cmd := b.open(t, url)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	// A process that left the group and holds its output open does not
	// keep Wait waiting.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", b.name, err)
	}
	select {
	case <-done:
		ok = true
	case <-time.After(timeout):
	}
	// Its other processes share its process group.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	return out.String(), ok
}

// browserFile is a file of framing/testdata (firefox.json, webkit.json):
// the lines of the corpora that a browser frames otherwise than Chromium.
type browserFile struct {
	Browser   string `json:"browser"`
	Measured  string `json:"measured"`
	Otherwise []struct {
		ID     string `json:"id"`
		Framed bool   `json:"framed"` // the browser's verdict
		Note   string `json:"note"`
	} `json:"otherwise"`
}

// measureCorpora measures in b the lines of the shared corpus and of the
// extra corpus, but those whose own policy blocks the lab's beacon (see
// blocksBeacon), and requires on each the verdict recorded for Chromium, or
// the other where b's file lists the line as one that b frames otherwise.
// A line that disagrees is measured again in a second run of b before it
// counts. The corpora's control lines make it fail when the harness is
// broken, whichever way.
func measureCorpora(t *testing.T, b pageBrowser) {
	path := filepath.Join("..", "..", "framing", "testdata", b.file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file browserFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("framing/testdata/%s: %v", b.file, err)
	}
	otherwise := make(map[string]bool)
	for _, o := range file.Otherwise {
		otherwise[o.ID] = o.Framed
	}
	t.Logf("measuring in %s (the file: %s, %s)", b.version, file.Browser, file.Measured)

	seen := 0
	for _, corpus := range []struct {
		name    string
		records []corpustest.Record
	}{{"shared corpus", corpustest.Read(t)}, {"extra corpus", corpustest.ReadExtra(t)}} {
		var records []corpustest.Record
		for _, r := range corpus.records {
			if !blocksBeacon(r) {
				records = append(records, r)
			}
		}
		want := make(map[string]bool)
		for _, r := range records {
			want[r.ID] = r.Framed
			if framed, ok := otherwise[r.ID]; ok {
				seen++
				if framed == r.Framed {
					t.Errorf("framing/testdata/%s: %s: %s framed = %v, as Chromium: no line of the file", b.file, r.ID, b.name, framed)
				}
				want[r.ID] = framed
			}
		}
		l := newLab(t, records)
		got := runPages(t, b, l, records)
		var again []corpustest.Record
		for _, r := range records {
			if got[r.ID] != want[r.ID] {
				again = append(again, r)
			}
		}
		if len(again) > 0 {
			got2 := runPages(t, b, l, again)
			for _, r := range again {
				if got2[r.ID] != want[r.ID] {
					t.Errorf("%s: %s framed = %v (twice), Chromium = %v, and so the file says %v\n\theaders: %q\n\tmeta: %q\n\tancestors: %q, element %s, sandbox %q",
						r.ID, b.name, got2[r.ID], r.Framed, want[r.ID], r.Headers, r.Meta, r.Ancestors, r.Element, r.Sandbox)
				} else {
					t.Logf("%s: framed = %v the second time, %v the first", r.ID, got2[r.ID], got[r.ID])
				}
			}
		}
		differ := 0
		for _, r := range records {
			if want[r.ID] != r.Framed {
				differ++
			}
		}
		t.Logf("%s: %d lines measured, %d framed otherwise than in Chromium", corpus.name, len(records), differ)
	}
	if seen != len(file.Otherwise) {
		t.Errorf("framing/testdata/%s lists %d lines, of which %d are lines of the corpora measured", b.file, len(file.Otherwise), seen)
	}
}

// blocksBeacon reports whether r's policy forbids the victim document its
// own images (default-src or img-src 'none'), so that the lab's beacon
// cannot say that it loaded.
func blocksBeacon(r corpustest.Record) bool {
	for _, h := range r.Headers {
		if !strings.EqualFold(h.Name, "Content-Security-Policy") {
			continue
		}
		for _, p := range framing.ParseCSP(h.Value) {
			for _, d := range p.Directives {
				if (d.Name == "default-src" || d.Name == "img-src") && d.Value == "'none'" {
					return true
				}
			}
		}
	}
	return false
}

// tool is a program a test needs and the Debian package that has it.
type tool struct{ name, pkg string }

// requireTools returns the paths of tools, which a test of browser needs,
// or skips t when one is missing, or fails it under
// CLICKGUARD_REQUIRE_ALL=1.
func requireTools(t *testing.T, browser string, tools ...tool) []string {
	t.Helper()
	var paths []string
	for _, need := range tools {
		path, err := exec.LookPath(need.name)
		if err != nil {
			if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
				t.Fatalf("%s is required (CLICKGUARD_REQUIRE_ALL=1): %s not found (apt-get install %s): %v", browser, need.name, need.pkg, err)
			}
			t.Skipf("%s not found (apt-get install %s): %v", need.name, need.pkg, err)
		}
		paths = append(paths, path)
	}
	return paths
}
