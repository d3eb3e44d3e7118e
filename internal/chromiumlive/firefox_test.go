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

// firefoxPrefs is the user.js of the profile of a live test's Firefox: no
// first-run page, update, telemetry, safe browsing, remote settings,
// captive-portal or push traffic, no HTTPS upgrade of the lab's http
// pages, and every host name resolving to the lab's attacker address,
// 127.0.0.2 (network.dns.forceResolve), as the corpus's named attackers
// must, which also keeps on loopback any request Firefox makes of its own.
// (Remote settings take their server from the profile only with
// MOZ_REMOTE_SETTINGS_DEVTOOLS=1; see startFirefox.)
const firefoxPrefs = `user_pref("network.dns.forceResolve", "127.0.0.2");
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.sessionstore.resume_from_crash", false);
user_pref("toolkit.startup.max_resumed_crashes", -1);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.server", "");
user_pref("app.update.disabledForTesting", true);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.blockedURIs.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("services.settings.server", "data:,#remote-settings-dummy/v1");
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.trr.mode", 5);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("network.prefetch-next", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("extensions.blocklist.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.newtab.preload", false);
user_pref("browser.topsites.contile.enabled", false);
user_pref("browser.region.network.url", "");
user_pref("browser.region.update.enabled", false);
user_pref("geo.provider.network.url", "");
user_pref("identity.fxaccounts.enabled", false);
user_pref("dom.push.enabled", false);
user_pref("dom.push.connection.enabled", false);
user_pref("media.gmp-manager.updateEnabled", false);
user_pref("media.gmp-manager.url", "");
user_pref("security.OCSP.enabled", 0);
user_pref("security.remote_settings.crlite_filters.enabled", false);
user_pref("security.remote_settings.intermediates.enabled", false);
user_pref("dom.security.https_first", false);
user_pref("dom.security.https_first_schemeless", false);
user_pref("dom.security.https_only_mode", false);
user_pref("browser.download.folderList", 2);
user_pref("browser.download.dir", "/nonexistent");
`

// firefox is the local Firefox (Debian's firefox-esr) and NSS's certutil
// (Debian's libnss3-tools), which tells its profile to trust the lab's
// certificate authority.
type firefox struct {
	path, version string // version as it says: "Mozilla Firefox 153.8.0esr"
	certutil      string
}

// requireFirefox finds the local Firefox and certutil, or skips t, or fails
// it under CLICKGUARD_REQUIRE_ALL=1.
func requireFirefox(t *testing.T) firefox {
	t.Helper()
	var ff firefox
	for _, need := range []struct {
		name, pkg string
		path      *string
	}{{"firefox-esr", "firefox-esr", &ff.path}, {"certutil", "libnss3-tools", &ff.certutil}} {
		path, err := exec.LookPath(need.name)
		if err != nil {
			if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
				t.Fatalf("Firefox is required (CLICKGUARD_REQUIRE_ALL=1): %s not found (apt-get install %s): %v", need.name, need.pkg, err)
			}
			t.Skipf("%s not found (apt-get install %s): %v", need.name, need.pkg, err)
		}
		*need.path = path
	}
	cmd := exec.Command(ff.path, "--version")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --version: %v", ff.path, err)
	}
	ff.version = strings.TrimSpace(string(out))
	return ff
}

// profile makes a Firefox profile in a directory of its own, removed when
// the test ends: firefoxPrefs, and the lab's certificate authority trusted
// for web sites in its certificate database.
func (ff firefox) profile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	caPEM, _ := labCA()
	ca := filepath.Join(dir, "lab-ca.pem")
	if err := os.WriteFile(filepath.Join(dir, "user.js"), []byte(firefoxPrefs), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + dir, "--empty-password"},
		{"-A", "-d", "sql:" + dir, "-n", "clickguard test lab authority", "-t", "C,,", "-i", ca},
	} {
		if out, err := exec.Command(ff.certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir
}

// firefoxRun opens the lab's framing pages for records in one headless
// Firefox, each as a top-level page, one after the other, and returns
// whether each record's victim document loaded, by id. A page goes on to the next
// once loaded (its load event waits for every frame's, and a victim's for
// its beacon), or after four seconds; the lab's navigator, on 127.0.0.2,
// redirects /next/<i> to page i and takes /next/<len> as the end.
func firefoxRun(t *testing.T, ff firefox, l *lab, records []corpustest.Record) map[string]bool {
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

	profile := ff.profile(t)
	cmd := exec.Command(ff.path, "--headless", "--no-remote", "--profile", profile, nav.URL+"/next/0")
	// Firefox writes under HOME and TMPDIR: both are the profile, removed
	// with it.
	cmd.Env = append(os.Environ(), "HOME="+profile, "TMPDIR="+profile,
		"MOZ_CRASHREPORTER_DISABLE=1", "MOZ_REMOTE_SETTINGS_DEVTOOLS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Firefox: %v", err)
	}
	// Its content processes share its process group.
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}
	select {
	case <-done:
		stop()
	case <-time.After(time.Duration(len(records))*5*time.Second + 30*time.Second):
		stop()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("Firefox did not go through the %d pages: it asked for page %d last; its output:\n%s", len(records), at, stderr.String())
	}
	loaded := make(map[string]bool)
	for _, r := range records {
		loaded[r.ID] = l.wasLoaded(r.ID)
	}
	return loaded
}

// firefoxFile is framing/testdata/firefox.json: the lines of the corpora
// that Firefox frames otherwise than Chromium.
type firefoxFile struct {
	Browser   string `json:"browser"`
	Measured  string `json:"measured"`
	Otherwise []struct {
		ID     string `json:"id"`
		Framed bool   `json:"framed"` // Firefox's verdict
		Note   string `json:"note"`
	} `json:"otherwise"`
}

// TestCorpus_firefox measures in the local Firefox the lines of the shared
// corpus and of the extra corpus, over http and https (its profile trusts
// the lab's certificate authority), but those whose own policy blocks the
// lab's beacon (see blocksBeacon), and requires on each the verdict recorded for
// Chromium, or the other where framing/testdata/firefox.json lists the line
// as one that Firefox frames otherwise. A line that disagrees is measured
// again in a second Firefox before it counts. The corpora's control lines
// make the test fail when the harness is broken, whichever way.
func TestCorpus_firefox(t *testing.T) {
	ff := requireFirefox(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "framing", "testdata", "firefox.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file firefoxFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("framing/testdata/firefox.json: %v", err)
	}
	otherwise := make(map[string]bool)
	for _, o := range file.Otherwise {
		otherwise[o.ID] = o.Framed
	}
	t.Logf("measuring in %s (the file: %s, %s)", ff.version, file.Browser, file.Measured)

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
					t.Errorf("framing/testdata/firefox.json: %s: Firefox framed = %v, as Chromium: no line of the file", r.ID, framed)
				}
				want[r.ID] = framed
			}
		}
		l := newLab(t, records)
		got := firefoxRun(t, ff, l, records)
		var again []corpustest.Record
		for _, r := range records {
			if got[r.ID] != want[r.ID] {
				again = append(again, r)
			}
		}
		if len(again) > 0 {
			got2 := firefoxRun(t, ff, l, again)
			for _, r := range again {
				if got2[r.ID] != want[r.ID] {
					t.Errorf("%s: Firefox framed = %v (twice), Chromium = %v, and so the Firefox file says %v\n\theaders: %q\n\tmeta: %q\n\tancestors: %q, element %s, sandbox %q",
						r.ID, got2[r.ID], r.Framed, want[r.ID], r.Headers, r.Meta, r.Ancestors, r.Element, r.Sandbox)
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
		t.Errorf("framing/testdata/firefox.json lists %d lines, of which %d are lines of the corpora measured", len(file.Otherwise), seen)
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
