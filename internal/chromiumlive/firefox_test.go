package chromiumlive

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

// requireFirefox returns the local Firefox (Debian's firefox-esr), whose
// profile NSS's certutil (Debian's libnss3-tools) tells to trust the lab's
// certificate authority, or skips t, or fails it under
// CLICKGUARD_REQUIRE_ALL=1.
func requireFirefox(t *testing.T) pageBrowser {
	t.Helper()
	paths := requireTools(t, "Firefox", tool{"firefox-esr", "firefox-esr"}, tool{"certutil", "libnss3-tools"})
	path, certutil := paths[0], paths[1]
	cmd := exec.Command(path, "--version")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --version: %v", path, err)
	}
	return pageBrowser{
		name:    "Firefox",
		version: strings.TrimSpace(string(out)),
		file:    "firefox.json",
		open: func(t *testing.T, url string) *exec.Cmd {
			profile := firefoxProfile(t, certutil)
			cmd := exec.Command(path, "--headless", "--no-remote", "--profile", profile, url)
			// Firefox writes under HOME and TMPDIR: both are the profile,
			// removed with it.
			cmd.Env = append(os.Environ(), "HOME="+profile, "TMPDIR="+profile,
				"MOZ_CRASHREPORTER_DISABLE=1", "MOZ_REMOTE_SETTINGS_DEVTOOLS=1")
			return cmd
		},
	}
}

// firefoxProfile makes a Firefox profile in a directory of its own, removed
// when the test ends: firefoxPrefs, and the lab's certificate authority
// trusted for web sites in its certificate database.
func firefoxProfile(t *testing.T, certutil string) string {
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
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir
}

// TestCorpus_firefox measures the corpora's lines in the local Firefox, over
// http and https (its profile trusts the lab's certificate authority), and
// requires Chromium's verdict on each, or the other where
// framing/testdata/firefox.json lists the line as one that Firefox frames
// otherwise (see measureCorpora).
func TestCorpus_firefox(t *testing.T) {
	measureCorpora(t, requireFirefox(t))
}
