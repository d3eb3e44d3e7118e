package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
	"github.com/clickguard/clickguard/scan"
)

// TestScan_ownApp scans every GET page of the application, signed in, with
// clickguard scan: no finding may reach low, and the one embeddable page
// must be described as framable only by its owner's allowlisted origin.
// The scan judges what a frame of another site receives: guard refuses
// such framed navigations with 403 (and its framing headers) on every page
// but the embeddable one, and the scan must say so, while the top-level
// navigation shows that each page is served, signed in (a confirmation
// page, which refuses that one too, opened from the address bar).
func TestScan_ownApp(t *testing.T) {
	t.Parallel()
	o := signedInApp(t)
	srv, session, id := o.srv, o.session, o.itemID

	var urls []string
	// The scanner's top-level requests are cross-site navigations, which
	// confirmation pages refuse, with the same framing headers.
	wantStatus := map[string]int{}
	for _, r := range app.Routes() {
		if r.Method != "GET" || strings.HasPrefix(r.Pattern, "/static/") {
			continue
		}
		pid := id
		if strings.HasSuffix(r.Pattern, "/leave") {
			pid = o.sharedID
		}
		p := strings.ReplaceAll(strings.TrimSuffix(r.Pattern, "{$}"), "{id}", pid)
		urls = append(urls, srv.URL+p)
		wantStatus[srv.URL+p] = http.StatusOK
		if r.Confirms {
			wantStatus[srv.URL+p] = http.StatusForbidden
		}
	}
	args := append([]string{"scan", "-insecure", "-format", "json", "-fail-on", "low", "-cookie", session}, urls...)
	code, stdout, stderr := runCmd(t, args...)
	if code != exitOK {
		t.Errorf("scan exit code %d, want %d (no finding at low or above); stderr:\n%s\nstdout:\n%s", code, exitOK, stderr, stdout)
	}
	var report struct {
		Results []struct {
			URL      string `json:"url"`
			FinalURL string `json:"final_url"`
			Status   int    `json:"status"`
			TopLevel *struct {
				FinalURL string `json:"final_url"`
				Status   int    `json:"status"`
				Error    string `json:"error"`
			} `json:"top_level"`
			Error    string `json:"error"`
			Verdicts []struct {
				Ancestors []string `json:"ancestors"`
				Framable  bool     `json:"framable"`
			} `json:"verdicts"`
			Findings []struct {
				ID       string `json:"id"`
				Severity string `json:"severity"`
				Message  string `json:"message"`
			} `json:"findings"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("scan output is not JSON: %v\n%s", err, stdout)
	}
	if len(report.Results) != len(urls) {
		t.Fatalf("scan reported %d results, want %d", len(report.Results), len(urls))
	}
	for _, r := range report.Results {
		embed := strings.Contains(r.URL, "/embed/")
		top := r.TopLevel
		if want := wantStatus[r.URL]; top == nil || top.Error != "" || top.Status != want || top.FinalURL == srv.URL+"/login" && r.URL != top.FinalURL {
			t.Errorf("%s: top-level navigation %+v; want status %d (signed in, no redirect to the login page)", r.URL, top, want)
			continue
		}
		// A framed navigation from another site: refused before the
		// handler runs, except on the page that lets other origins in.
		wantFramed := http.StatusForbidden
		if embed {
			wantFramed = http.StatusOK
		}
		if r.Error != "" || r.Status != wantFramed || r.FinalURL != r.URL {
			t.Errorf("%s: framed navigation: status %d at %s, error %q; want %d at the same URL", r.URL, r.Status, r.FinalURL, r.Error, wantFramed)
		}
		refused := r.Status == http.StatusForbidden && top.Status == http.StatusOK
		for _, v := range r.Verdicts {
			if v.Framable {
				t.Errorf("%s: framable by %v, want refused (only https://partner.example may frame the embed page)", r.URL, v.Ancestors)
			}
		}
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.ID)
			if f.Severity != "info" {
				t.Errorf("%s: finding %s is %s: %s", r.URL, f.ID, f.Severity, f.Message)
			}
			if f.ID == "embeddable" && !strings.Contains(f.Message, "https://partner.example") {
				t.Errorf("%s: embeddable finding does not name the allowlisted origin: %s", r.URL, f.Message)
			}
		}
		if got := slices.Contains(ids, "embeddable"); got != embed {
			t.Errorf("%s: embeddable finding present = %v, want %v (findings %v)", r.URL, got, embed, ids)
		}
		if got := slices.Contains(ids, "framed-navigation-refused"); got != refused {
			t.Errorf("%s: framed-navigation-refused present = %v, want %v (findings %v)", r.URL, got, refused, ids)
		}
		// A confirmation page refuses both, and opens from the address bar.
		shut := r.Status == http.StatusForbidden && top.Status == http.StatusForbidden
		if got := slices.Contains(ids, "cross-site-navigation-refused"); got != shut {
			t.Errorf("%s: cross-site-navigation-refused present = %v, want %v (findings %v)", r.URL, got, shut, ids)
		}
		// guard's refusal carries the same framing headers as the page.
		if slices.Contains(ids, "framing-headers-differ") {
			t.Errorf("%s: the framed and top-level navigations get different framing headers (findings %v)", r.URL, ids)
		}
	}
}

// ownApp is the application on an embedded DynamoDB, served over TLS, with
// a signed-in user "scanner" who has a public item and an embed allowlist,
// and an item of "sharer" shared with them.
type ownApp struct {
	handler  http.Handler
	srv      *httptest.Server
	session  string // the Cookie header value of scanner's session
	itemID   string // scanner's public item
	sharedID string // sharer's item, shared with scanner
}

func signedInApp(t *testing.T) ownApp {
	t.Helper()
	env := storetest.EmbeddedBackend(t).Env(t)
	a, err := app.New(app.Config{Password: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}},
		env.Store, store.NewSessions(env.Client, env.Tables.Sessions), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(a.Handler())
	t.Cleanup(srv.Close)
	c := &appClient{t: t, base: srv.URL, http: srv.Client()}
	c.http.Jar, _ = cookiejar.New(nil)

	c.post("/signup", "/signup", url.Values{"username": {"scanner"}, "password": {"a long enough password"}})
	itemURL := c.post("/items/new", "/items", url.Values{"title": {"Scanned"}, "body": {"text"}})
	id := itemURL[strings.LastIndex(itemURL, "/")+1:]
	vis := c.get("/items/" + id + "/visibility")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(vis)
	if version == nil {
		t.Fatalf("no version on the visibility page:\n%s", vis)
	}
	c.post("/items/"+id+"/visibility", "/items/"+id+"/visibility", url.Values{"public": {"true"}, "version": {version[1]}})
	acct := c.get("/account")
	uversion := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(acct)
	if uversion == nil {
		t.Fatalf("no version on the account page:\n%s", acct)
	}
	c.post("/account", "/account/embed-origins", url.Values{"origins": {"https://partner.example"}, "version": {uversion[1]}})

	var session string
	u, _ := url.Parse(srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "__Host-session" {
			session = ck.Name + "=" + ck.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie after signing up")
	}

	// An item shared with the scanning user, for the pages only a grantee
	// sees (/items/{id}/leave).
	ctx := t.Context()
	if _, err := env.Store.CreateUser(ctx, store.User{Username: "sharer", PasswordHash: "x"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	shared, err := env.Store.CreateItem(ctx, "sharer", "Shared", "text", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddShare(ctx, "sharer", shared.ID, "scanner", store.Actor{}); err != nil {
		t.Fatal(err)
	}

	return ownApp{handler: a.Handler(), srv: srv, session: session, itemID: id, sharedID: shared.ID}
}

// appClient drives the application like a browser with a cookie jar: it
// fetches a form's page for its token, then posts the form.
type appClient struct {
	t    *testing.T
	base string
	http *http.Client
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *appClient) get(path string) string {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: status %d:\n%s", path, resp.StatusCode, body)
	}
	return string(body)
}

// post submits form to action with the token of the page at formPage, and
// returns the URL the answer ended on (after redirects).
func (c *appClient) post(formPage, action string, form url.Values) string {
	c.t.Helper()
	m := tokenRE.FindStringSubmatch(c.get(formPage))
	if m == nil {
		c.t.Fatalf("no csrf_token on %s", formPage)
	}
	form.Set("csrf_token", m[1])
	resp, err := c.http.PostForm(c.base+action, form)
	if err != nil {
		c.t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("POST %s: status %d:\n%s", action, resp.StatusCode, body)
	}
	return resp.Request.URL.String()
}

// TestScan_ownAppChromium scans three pages of the application, signed in,
// with -browser and the session's cookie, as a site owner proves their own
// pages: the item list, an item and its embed page, served over plain HTTP
// on loopback, as "clickguard serve" serves them by default. The cookie is
// named __Host-session, so Chromium stores it only with Secure, which it
// takes on a local http URL: every verdict must get Chromium's proof, which
// must agree with it. The embed page, framed over https by the allowlisted
// origin, renders.
func TestScan_ownAppChromium(t *testing.T) {
	chromiumtest.Require(t)
	o := signedInApp(t)
	plain := httptest.NewServer(o.handler) // the same sessions, over http
	defer plain.Close()
	flags := []string{"-browser", "-chromium", chromiumPath, "-insecure", "-timeout", "60s", "-skip-error-page",
		"-fail-on", "never", "-format", "json", "-cookie", o.session}
	for _, run := range []struct {
		args     []string
		framable bool
	}{
		{[]string{plain.URL + "/items", plain.URL + "/items/" + o.itemID, plain.URL + "/embed/" + o.itemID}, false},
		{[]string{"-from", "https://partner.example", o.srv.URL + "/embed/" + o.itemID}, true},
	} {
		code, stdout, stderr := runScanCmd(t, "", append(slices.Clone(flags), run.args...)...)
		if code != exitOK || stderr != "" {
			t.Fatalf("%q: exit code %d, stderr %q; want 0 and nothing:\n%s", run.args, code, stderr, stdout)
		}
		var doc struct{ Results []scan.Result }
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("decode: %v\n%s", err, stdout)
		}
		for _, r := range doc.Results {
			for _, v := range r.Verdicts {
				switch {
				case v.Browser == nil || v.Browser.Error != "":
					t.Errorf("%s in %q: no proof: %+v", r.URL, v.Ancestors, v.Browser)
				case v.Framable != run.framable || v.Browser.Rendered != v.Framable:
					t.Errorf("%s in %q: framable %v, Chromium rendered %v (%s); want %v for both", r.URL, v.Ancestors, v.Framable, v.Browser.Rendered, v.Browser.What, run.framable)
				}
			}
		}
	}
}
