package corpustest

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// line is a well-formed corpus line.
const line = `{"id": "xfo-DENY@cross-origin", "case": "xfo-DENY", "group": "xfo", "headers": [{"name": "X-Frame-Options", "value": "DENY"}], "status": 200, "context": "cross-origin", "context_key": "cross-origin", "element": "iframe", "victim_origin": "http://127.0.0.1:18081", "ancestors": ["http://127.0.0.2:18082"], "framed": false, "chromium_version": "Chrome/156.0.8078.108"}`

func TestPath(t *testing.T) {
	t.Parallel()
	// The test runs in internal/corpustest, two levels below the module root.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(wd, "..", "..", "..", "shared", "corpus", "chromium-framing.jsonl")
	if got := Path(t); filepath.Clean(got) != filepath.Clean(want) {
		t.Errorf("Path = %s, want %s", got, want)
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	records := Read(t)
	if len(records) < 300 {
		t.Fatalf("Read = %d records, want the whole corpus (300 or more)", len(records))
	}
	for _, r := range records {
		if r.ID != r.Case+"@"+r.ContextKey {
			t.Errorf("record %q: id is not case@context_key (%q@%q)", r.ID, r.Case, r.ContextKey)
		}
		if r.VictimOrigin == "" || len(r.Ancestors) == 0 || r.Status == 0 {
			t.Errorf("record %q: victim origin %q, ancestors %q, status %d; want all set", r.ID, r.VictimOrigin, r.Ancestors, r.Status)
		}
	}
}

func TestRead_malformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		missing bool // no file at all
		wantErr string
	}{
		{name: "missing file", missing: true, wantErr: "no such file"},
		{name: "empty", content: "", wantErr: "no records"},
		{name: "blank line", content: line + "\n\n" + line + "\n", wantErr: "line 2: blank line"},
		{name: "not JSON", content: line + "\n{\"id\": \n", wantErr: "line 2: unexpected end of JSON input"},
		{name: "two values", content: line + " {}\n", wantErr: "line 1: invalid character"},
		{name: "unknown field", content: strings.Replace(line, `"group"`, `"grup": "x", "group"`, 1) + "\n", wantErr: `line 1: json: unknown field "grup"`},
		{name: "no framed", content: strings.Replace(line, `"framed": false, `, "", 1) + "\n", wantErr: `line 1: no "framed" field`},
		{name: "wrong type", content: strings.Replace(line, `"status": 200`, `"status": "200"`, 1) + "\n", wantErr: "line 1: json: cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "corpus.jsonl")
			if !tc.missing {
				if err := os.WriteFile(name, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			records, err := read(name)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("read = %d records, error %v; want an error containing %q", len(records), err, tc.wantErr)
			}
		})
	}
}

func TestRead_wellFormed(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "corpus.jsonl")
	second := strings.Replace(line, `"status": 200`, `"status": 404, "meta": [{"http_equiv": "Content-Security-Policy", "content": "frame-ancestors 'none'"}], "redirect_headers": [], "sandbox": "allow-scripts", "note": "n"`, 1)
	if err := os.WriteFile(name, []byte(line+"\n"+second), 0o600); err != nil {
		t.Fatal(err)
	}
	records, err := read(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 {
		t.Fatalf("read = %d records, want 2", len(records))
	}
	r := records[0]
	if r.ID != "xfo-DENY@cross-origin" || r.Case != "xfo-DENY" || r.Framed || r.Status != 200 ||
		!slices.Equal(r.Headers, []Header{{"X-Frame-Options", "DENY"}}) ||
		!slices.Equal(r.Ancestors, []string{"http://127.0.0.2:18082"}) || r.RedirectHeaders != nil {
		t.Errorf("record 1 = %+v", r)
	}
	r = records[1]
	if r.Status != 404 || r.Sandbox != "allow-scripts" || r.Note != "n" || r.RedirectHeaders == nil ||
		!slices.Equal(r.Meta, []Meta{{"Content-Security-Policy", "frame-ancestors 'none'"}}) {
		t.Errorf("record 2 = %+v", r)
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	records := []Record{
		{
			Case:         "csp-self",
			Headers:      []Header{{"content-security-policy", "frame-ancestors http://127.0.0.1:18081"}, {"X-Frame-Options", "DENY"}, {"X-Frame-Options", "SAMEORIGIN"}},
			Meta:         []Meta{{"Content-Security-Policy", `frame-ancestors "x" https://127.0.0.1:18443`}},
			Status:       203,
			VictimOrigin: "http://127.0.0.1:18081",
			Ancestors:    []string{"http://127.0.0.1:18081", "http://127.0.0.1:18083", "null (sandboxed http://127.0.0.2:18082)"},
		},
		{
			Case:            "redirect xfo/deny",
			Headers:         []Header{{"X-Frame-Options", "DENY"}},
			RedirectHeaders: []Header{{"Location", "/elsewhere"}, {"X-Frame-Options", "SAMEORIGIN"}},
			Status:          200,
			VictimOrigin:    "https://127.0.0.1:18443",
		},
		{
			Case:            "to-http",
			Headers:         []Header{{"X-Frame-Options", "SAMEORIGIN"}},
			RedirectHeaders: []Header{{"Location", "(to http://127.0.0.1:18081, 302)"}},
			Status:          200,
			VictimOrigin:    "https://127.0.0.1:18443",
		},
	}
	s := Serve(t, records)
	for _, srv := range []string{s.Plain.URL, s.TLS.URL} {
		u, err := url.Parse(srv)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(u.Port())
		if u.Hostname() != "127.0.0.1" || slices.Contains(corpusPorts, p) {
			t.Errorf("server %s: want 127.0.0.1 on a port none of %v", srv, corpusPorts)
		}
	}
	tlsHost := strings.TrimPrefix(s.TLS.URL, "https://")

	if got, want := s.Ancestors(records[0]), []string{s.Plain.URL, "http://127.0.0.1:18083", "null (sandboxed http://127.0.0.2:18082)"}; !slices.Equal(got, want) {
		t.Errorf("Ancestors = %q, want %q", got, want)
	}
	if got, want := s.URL(records[0]), s.Plain.URL+"/case/csp-self"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
	if got, want := s.URL(records[1]), s.TLS.URL+"/redirect/redirect%20xfo%2Fdeny"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}

	client := s.TLS.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}

	resp, body := get(s.URL(records[0]))
	if resp.StatusCode != 203 {
		t.Errorf("case: status %d, want 203", resp.StatusCode)
	}
	if got, want := resp.Header["Content-Security-Policy"], []string{"frame-ancestors " + s.Plain.URL}; !slices.Equal(got, want) {
		t.Errorf("case: CSP %q, want %q (rewritten)", got, want)
	}
	if got, want := resp.Header["X-Frame-Options"], []string{"DENY", "SAMEORIGIN"}; !slices.Equal(got, want) {
		t.Errorf("case: X-Frame-Options %q, want both lines in order %q", got, want)
	}
	if want := `<meta http-equiv="Content-Security-Policy" content="frame-ancestors &#34;x&#34; https://` + tlsHost + `">`; !strings.Contains(body, want) {
		t.Errorf("case: body %s does not contain %s", body, want)
	}

	resp, _ = get(s.URL(records[1]))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/case/redirect%20xfo%2Fdeny" {
		t.Errorf("redirect: status %d to %q, want 302 to /case/redirect%%20xfo%%2Fdeny", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := resp.Header.Values("X-Frame-Options"); !slices.Equal(got, []string{"SAMEORIGIN"}) {
		t.Errorf("redirect: X-Frame-Options %q, want the redirect's own", got)
	}
	resp, _ = get(s.TLS.URL + "/case/redirect%20xfo%2Fdeny")
	if got := resp.Header.Values("X-Frame-Options"); resp.StatusCode != 200 || !slices.Equal(got, []string{"DENY"}) {
		t.Errorf("redirect target: status %d, X-Frame-Options %q; want 200, DENY", resp.StatusCode, got)
	}

	// A redirect to another origin: served there, and judged there.
	resp, _ = get(s.URL(records[2]) + "?id=x")
	if want := s.Plain.URL + "/case/to-http?id=x"; resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("redirect to another origin: status %d to %q, want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if o := records[1].FinalOrigin(); o != records[1].VictimOrigin {
		t.Errorf("FinalOrigin of a same-origin redirect = %s, want the victim's", o)
	}
	if r := records[2].Response(); r.URL != "http://127.0.0.1:18081/" || !slices.Equal(r.Redirects, []string{"https://127.0.0.1:18443/"}) || !r.Redirected {
		t.Errorf("Response of a redirect to another origin: URL %s via %q (redirected %v), want http://127.0.0.1:18081/ via the victim's root", r.URL, r.Redirects, r.Redirected)
	}

	for _, p := range []string{"/case/nope", "/csp-self", "/"} {
		if resp, _ := get(s.Plain.URL + p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestReadMixedContent(t *testing.T) {
	t.Parallel()
	cases := ReadMixedContent(t)
	if len(cases) < 10 {
		t.Errorf("%d mixed-content cases, want the file's", len(cases))
	}
}

func TestReadMixed_malformed(t *testing.T) {
	t.Parallel()
	const one = `{"name": "a", "url": "http://v.test/", "redirects": [], "ancestors": ["https://top.test"], "blocked": true}`
	tests := []struct{ name, content, wantErr string }{
		{"empty array", `[]`, "no cases"},
		{"not JSON", `[` + one, "unexpected EOF"},
		{"two values", `[` + one + `] []`, "more than one JSON value"},
		{"unknown field", `[` + strings.Replace(one, `"url"`, `"uri": "", "url"`, 1) + `]`, `unknown field "uri"`},
		{"no name", `[` + strings.Replace(one, `"name": "a", `, "", 1) + `]`, "want a name"},
		{"no redirects", `[` + strings.Replace(one, `"redirects": [], `, "", 1) + `]`, "redirects (even empty)"},
		{"name twice", `[` + one + `, ` + one + `]`, `name "a" used twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "mixed.json")
			if err := os.WriteFile(name, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cases, err := readMixed(name)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("readMixed = %d cases, error %v; want an error containing %q", len(cases), err, tc.wantErr)
			}
		})
	}
}

func TestReadNoDocument(t *testing.T) {
	t.Parallel()
	cases := ReadNoDocument(t)
	shown := map[string]int{}
	for _, c := range cases {
		shown[c.Frame]++
	}
	if shown[FrameDocument] == 0 || shown[FrameNothing] == 0 || shown[FrameError] == 0 {
		t.Errorf("the no-document cases show %v: the file needs documents, nothing and error pages for its measures to be able to fail", shown)
	}
}

func TestReadNoDocument_malformed(t *testing.T) {
	t.Parallel()
	const one = `{"name": "a", "status": 204, "headers": [], "body": "", "frame": "nothing"}`
	tests := []struct{ name, content, wantErr string }{
		{"empty array", `[]`, "no cases"},
		{"unknown field", `[` + strings.Replace(one, `"body"`, `"bdy": "", "body"`, 1) + `]`, `unknown field "bdy"`},
		{"no name", `[` + strings.Replace(one, `"name": "a", `, "", 1) + `]`, "want a name"},
		{"no status", `[` + strings.Replace(one, `"status": 204, `, "", 1) + `]`, "a status from 100 to 599"},
		{"no headers", `[` + strings.Replace(one, `"headers": [], `, "", 1) + `]`, "headers (even empty)"},
		{"a header that is not a pair", `[` + strings.Replace(one, `"headers": []`, `"headers": [["A"]]`, 1) + `]`, "want a name and a value"},
		{"a header without a name", `[` + strings.Replace(one, `"headers": []`, `"headers": [["", "v"]]`, 1) + `]`, "want a name and a value"},
		{"unknown frame", `[` + strings.Replace(one, `"nothing"`, `"blank"`, 1) + `]`, `frame "blank"`},
		{"name twice", `[` + one + `, ` + one + `]`, `name "a" used twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "no-document.json")
			if err := os.WriteFile(name, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cases, err := readNoDocument(name)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("readNoDocument = %d cases, error %v; want an error containing %q", len(cases), err, tc.wantErr)
			}
		})
	}
}
