package guard_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/clickguard/clickguard/guard"
)

// tokenApp is a small application: GET /form renders a token, POST /submit
// needs one, POST /login renews the session and the token.
type tokenApp struct {
	srv     *httptest.Server
	reasons chan error
}

func newTokenApp(t *testing.T) *tokenApp {
	t.Helper()
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	a := &tokenApp{reasons: make(chan error, 16)}
	g := &guard.Guard{Sessions: sm}
	g.DenyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.reasons <- guard.Reason(r)
		http.Error(w, "Forbidden", http.StatusForbidden)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, g.Token(r))
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "done")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			t.Errorf("scs RenewToken: %v", err)
		}
		g.RenewToken(r.Context())
		io.WriteString(w, g.Token(r))
	})
	// Outermost first: guard headers and checks, sessions, token, mux.
	a.srv = httptest.NewServer(g.Handler(sm.LoadAndSave(g.TokenHandler(mux))))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *tokenApp) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// srv.Client returns one shared client: give each caller its own jar.
	return &http.Client{Transport: a.srv.Client().Transport, Jar: jar}
}

func getToken(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u + "/form")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("GET /form: status %d, body %q", resp.StatusCode, b)
	}
	return string(b)
}

func post(t *testing.T, c *http.Client, u, path, token string, inHeader bool) (int, string) {
	t.Helper()
	form := url.Values{}
	if token != "" && !inHeader {
		form.Set(guard.TokenField, token)
	}
	req, err := http.NewRequestWithContext(t.Context(), "POST", u+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if inHeader {
		req.Header.Set(guard.TokenHeader, token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (a *tokenApp) wantRefused(t *testing.T, status int, want error) {
	t.Helper()
	if status != http.StatusForbidden {
		t.Errorf("got status %d, want 403", status)
		return
	}
	select {
	case err := <-a.reasons:
		if !errors.Is(err, want) {
			t.Errorf("Reason = %v, want %v", err, want)
		}
	default:
		t.Errorf("deny handler not called")
	}
}

func TestTokenHandler_Flows(t *testing.T) {
	t.Parallel()
	a := newTokenApp(t)
	u := a.srv.URL

	t.Run("no session, no token", func(t *testing.T) {
		st, _ := post(t, a.client(t), u, "/submit", "", false)
		a.wantRefused(t, st, guard.ErrToken)
	})
	t.Run("session without a token yet", func(t *testing.T) {
		c := a.client(t)
		st, _ := post(t, c, u, "/submit", strings.Repeat("A", 86), false)
		a.wantRefused(t, st, guard.ErrToken)
	})
	t.Run("tabs and back button", func(t *testing.T) {
		c := a.client(t)
		tab1 := getToken(t, c, u)
		tab2 := getToken(t, c, u)
		if tab1 == tab2 {
			t.Errorf("two renders gave the same masked token %q: not masked per render", tab1)
		}
		for i, tok := range []string{tab2, tab1, tab1, tab2} { // tab 1 after tab 2; back button resubmits
			if st, body := post(t, c, u, "/submit", tok, false); st != 200 || body != "done" {
				t.Errorf("POST %d: status %d, body %q", i, st, body)
			}
		}
	})
	t.Run("header", func(t *testing.T) {
		c := a.client(t)
		tok := getToken(t, c, u)
		if st, _ := post(t, c, u, "/submit", tok, true); st != 200 {
			t.Errorf("token in %s: status %d", guard.TokenHeader, st)
		}
	})
	t.Run("missing", func(t *testing.T) {
		c := a.client(t)
		getToken(t, c, u)
		st, _ := post(t, c, u, "/submit", "", false)
		a.wantRefused(t, st, guard.ErrToken)
	})
	t.Run("another session's token", func(t *testing.T) {
		victim, attacker := a.client(t), a.client(t)
		getToken(t, victim, u)
		tok := getToken(t, attacker, u)
		st, _ := post(t, victim, u, "/submit", tok, false)
		a.wantRefused(t, st, guard.ErrToken)
	})
	t.Run("tampered", func(t *testing.T) {
		c := a.client(t)
		tok := getToken(t, c, u)
		for _, bad := range []string{tok[:len(tok)-1], tok + "A", flip(tok, 0), flip(tok, 50), flip(tok, 85), strings.Repeat("A", 86)} {
			st, _ := post(t, c, u, "/submit", bad, false)
			a.wantRefused(t, st, guard.ErrToken)
		}
	})
	t.Run("renewal", func(t *testing.T) {
		c := a.client(t)
		old := getToken(t, c, u)
		st, fresh := post(t, c, u, "/login", old, false)
		if st != 200 {
			t.Fatalf("POST /login: status %d", st)
		}
		st, _ = post(t, c, u, "/submit", old, false)
		a.wantRefused(t, st, guard.ErrToken)
		if st, _ := post(t, c, u, "/submit", fresh, false); st != 200 {
			t.Errorf("token rendered after renewal: status %d", st)
		}
		if st, _ := post(t, c, u, "/submit", getToken(t, c, u), false); st != 200 {
			t.Errorf("token rendered on a later page: status %d", st)
		}
	})
}

// flip changes the character at i to another valid base64url character.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestTokenHandler_NoSessions(t *testing.T) {
	t.Parallel()
	var g guard.Guard
	got := ""
	h := g.TokenHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.RenewToken(r.Context()) // does nothing, and does not panic
		got = g.Token(r)
	}))
	rec := serve(h, httptest.NewRequest("POST", "/", nil))
	if rec.Code != 200 || got != "" {
		t.Errorf("without Sessions: status %d, Token %q; want 200 and \"\"", rec.Code, got)
	}
	if err := g.CheckToken(httptest.NewRequest("POST", "/", nil)); err != nil {
		t.Errorf("CheckToken without Sessions = %v", err)
	}
}

func TestTokenHandler_ReportOnly(t *testing.T) {
	t.Parallel()
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	g := &guard.Guard{Sessions: sm, ReportOnly: true}
	ran := false
	h := sm.LoadAndSave(g.TokenHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })))
	rec := serve(h, httptest.NewRequest("POST", "/", nil))
	if !ran || rec.Code != 200 {
		t.Errorf("report-only token check refused: ran %v, status %d", ran, rec.Code)
	}
	g2 := &guard.Guard{Sessions: sm}
	if err := g2.CheckToken(httptest.NewRequest("POST", "/", nil)); !errors.Is(err, guard.ErrToken) {
		t.Errorf("CheckToken = %v, want %v", err, guard.ErrToken)
	}

	// A body cut off at the limit: the handler, which report-only mode
	// lets run, finds the error itself, as it would without guard.
	var parseErr error
	h = sm.LoadAndSave(g.TokenHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { parseErr = r.ParseForm() })))
	req := httptest.NewRequest("POST", "/", strings.NewReader("title="+strings.Repeat("x", 2<<10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	req.Body = http.MaxBytesReader(rec, req.Body, 1<<10)
	h.ServeHTTP(rec, req)
	if _, ok := errors.AsType[*http.MaxBytesError](parseErr); !ok {
		t.Errorf("report-only, body over the limit: the handler's ParseForm = %v, want an *http.MaxBytesError", parseErr)
	}

	// Bodies net/http itself reads in part, or in full and refuses: the
	// handler's ParseForm gives the error it gives without guard, not an
	// empty form or the part guard did not read. Of a malformed body it gets
	// no field at all, where net/http alone gives the fields it could read.
	for _, tc := range []struct {
		name, body, wantErr string
		bareFields          int
	}{
		{"over 10 MB", "title=" + strings.Repeat("x", 10<<20), "http: POST too large", 0},
		{"10,001 fields", "title=t" + strings.Repeat("&a=1", 10000), "number of URL query parameters exceeded limit", 0},
		{"malformed", "title=%zz&x=1", `invalid URL escape "%zz"`, 1},
	} {
		var form url.Values
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			parseErr = r.ParseForm()
			form = r.PostForm
		})
		for _, s := range []struct {
			name       string
			h          http.Handler
			wantFields int
		}{
			{"without guard", handler, tc.bareFields},
			{"report-only", sm.LoadAndSave(g.TokenHandler(handler)), 0},
		} {
			parseErr = nil
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			s.h.ServeHTTP(httptest.NewRecorder(), req)
			if parseErr == nil || parseErr.Error() != tc.wantErr || len(form) != s.wantFields {
				t.Errorf("%s, %s: the handler's ParseForm = %v with %d fields, want %q with %d", s.name, tc.name, parseErr, len(form), tc.wantErr, s.wantFields)
			}
		}
	}
}

// TestTokenHandler_Body: the token is read from urlencoded and multipart
// bodies, and the handler finds the form parsed; a body cut off by
// http.MaxBytesReader is refused as too large, not as tokenless.
func TestTokenHandler_Body(t *testing.T) {
	t.Parallel()
	g := &guard.Guard{Sessions: oneSession{}}
	token := g.Token(httptest.NewRequest("GET", "/", nil))
	multi := func(fields ...string) (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for i := 0; i < len(fields); i += 2 {
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return mw.FormDataContentType(), b.String()
	}
	urlencoded := "application/x-www-form-urlencoded"
	mct, mbody := multi("title", "t", guard.TokenField, token)
	huge := strings.Repeat("x", 2<<10)
	for _, tc := range []struct {
		name, contentType, body string
		wantStatus              int
		wantTooLarge            bool
	}{
		{"urlencoded", urlencoded, "title=t&" + guard.TokenField + "=" + token, 200, false},
		{"multipart", mct, mbody, 200, false},
		{"too large, token first", urlencoded, guard.TokenField + "=" + token + "&title=" + huge, 413, true},
		{"too large, token last", urlencoded, "title=" + huge + "&" + guard.TokenField + "=" + token, 413, true},
		{"malformed", urlencoded, "title=%zz&" + guard.TokenField + "=" + token, 403, false},
		{"no token", urlencoded, "title=t", 403, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var title string
			h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
				g.TokenHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.PostForm != nil {
						title = r.PostForm.Get("title")
					}
				})).ServeHTTP(w, r)
			}))
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			rec := serve(h, req)
			if rec.Code != tc.wantStatus {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body.String())
			}
			if tc.wantStatus == 200 && title != "t" {
				t.Errorf("the handler found title %q in r.PostForm, want it parsed", title)
			}
			// A deny handler of its own learns why from Reason.
			var reason error
			g2 := &guard.Guard{Sessions: g.Sessions, DenyHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reason = guard.Reason(r)
			})}
			req = httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec = httptest.NewRecorder()
			req.Body = http.MaxBytesReader(rec, req.Body, 1<<10)
			g2.TokenHandler(http.NotFoundHandler()).ServeHTTP(rec, req)
			if _, tooLarge := errors.AsType[*http.MaxBytesError](reason); tooLarge != tc.wantTooLarge || (tc.wantStatus == 200) != (reason == nil) {
				t.Errorf("Reason = %v", reason)
			}
			if got := guard.BodyTooLarge(reason); got != tc.wantTooLarge {
				t.Errorf("BodyTooLarge(%v) = %v", reason, got)
			}
		})
	}
}

// TestTokenHandler_tooLarge: a body that net/http itself will not read in
// full, with no http.MaxBytesReader around it, is refused as too large (413,
// and a Reason that says so), not as tokenless: a URL-encoded body over 10
// MB or of more than 10,000 fields, and a multipart body of more parts than
// ParseMultipartForm takes. A URL-encoded body of exactly 10 MB, or of
// 10,000 fields, is read.
func TestTokenHandler_tooLarge(t *testing.T) {
	t.Parallel()
	g := &guard.Guard{Sessions: oneSession{}}
	token := g.Token(httptest.NewRequest("GET", "/", nil))
	field := guard.TokenField + "=" + token + "&title="
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	mw.WriteField(guard.TokenField, token)
	for range 1000 { // the token's and 1,000 more: net/http takes 1,000
		mw.WriteField("title", "t")
	}
	mw.Close()
	for _, tc := range []struct {
		name, contentType, body string
		wantStatus              int
		wantReason              func(error) bool
	}{
		{"urlencoded, 10 MB", "application/x-www-form-urlencoded", field + strings.Repeat("x", 10<<20-len(field)), 200, nil},
		{"urlencoded, over 10 MB", "application/x-www-form-urlencoded", field + strings.Repeat("x", 10<<20+1-len(field)), 413, func(err error) bool {
			e, ok := errors.AsType[*http.MaxBytesError](err)
			return ok && e.Limit == 10<<20
		}},
		{"multipart, 1,001 parts", mw.FormDataContentType(), parts.String(), 413, func(err error) bool {
			return errors.Is(err, multipart.ErrMessageTooLarge)
		}},
		{"urlencoded, 10,000 fields", "application/x-www-form-urlencoded", field + strings.Repeat("&a=1", 10000-2), 200, nil},
		{"urlencoded, 10,001 fields", "application/x-www-form-urlencoded", field + strings.Repeat("&a=1", 10001-2), 413, func(err error) bool {
			return strings.Contains(err.Error(), "more fields than net/url parses")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			newReq := func() *http.Request {
				req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", tc.contentType)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				return req
			}
			ran := false
			h := g.Handler(g.TokenHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true })))
			rec := serve(h, newReq())
			if rec.Code != tc.wantStatus || ran != (tc.wantStatus == 200) {
				t.Errorf("status %d (handler ran: %v), want %d: %s", rec.Code, ran, tc.wantStatus, rec.Body.String())
			}
			reason := g.CheckToken(newReq())
			if (tc.wantReason == nil) != (reason == nil) || tc.wantReason != nil && (!errors.Is(reason, guard.ErrToken) || !tc.wantReason(reason)) {
				t.Errorf("Reason = %v", reason)
			}
			if got := guard.BodyTooLarge(reason); got != (tc.wantStatus == 413) {
				t.Errorf("BodyTooLarge(%v) = %v", reason, got)
			}
		})
	}
}

// TestTokenHandler_SameRequest checks that the token layer hands the
// handler the request it was given, inside guard.Handler, twice, under a
// Guard without sessions and alone: nothing of the request or its context is
// replaced, Token works, and a token it renders passes the check.
func TestTokenHandler_SameRequest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stack func(g *guard.Guard, h http.Handler) http.Handler
	}{
		{"inside Handler", func(g *guard.Guard, h http.Handler) http.Handler { return g.Handler(g.TokenHandler(h)) }},
		{"twice inside Handler", func(g *guard.Guard, h http.Handler) http.Handler {
			return g.Handler(g.TokenHandler(g.TokenHandler(h)))
		}},
		{"inside the Handler of a Guard without sessions", func(g *guard.Guard, h http.Handler) http.Handler {
			return new(guard.Guard).Handler(g.TokenHandler(h))
		}},
		{"alone", func(g *guard.Guard, h http.Handler) http.Handler { return g.TokenHandler(h) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &guard.Guard{Sessions: &mapStore{m: map[string][]byte{}}}
			sent := httptest.NewRequest("GET", "/", nil)
			var token string
			tc.stack(g, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r != sent {
					t.Error("the handler got a different request")
				}
				if token = g.Token(r); token == "" {
					t.Error(`Token = ""`)
				}
			})).ServeHTTP(httptest.NewRecorder(), sent)

			post := httptest.NewRequest("POST", "/", nil)
			post.Header.Set("Sec-Fetch-Site", "same-origin")
			post.Header.Set(guard.TokenHeader, token)
			rec := httptest.NewRecorder()
			tc.stack(g, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(rec, post)
			if rec.Code != http.StatusOK {
				t.Errorf("POST with the rendered token: status %d, want 200", rec.Code)
			}
		})
	}
}

// TestDecodeToken holds the token decoder to the standard library's strict
// base64url: on random 64-byte values, and on every one-character change of
// a valid token, to every byte value (a fuzz run rarely reaches a string of
// 86 characters that is almost valid).
func TestDecodeToken(t *testing.T) {
	strict := base64.RawURLEncoding.Strict()
	var raw [64]byte
	for range 200 {
		rand.Read(raw[:])
		s := strict.EncodeToString(raw[:])
		if got, ok := guard.DecodeToken(s); !ok || !bytes.Equal(got, raw[:]) {
			t.Fatalf("DecodeToken(%q) = %x, %v; want %x, true", s, got, ok, raw)
		}
	}
	valid := strict.EncodeToString(raw[:])
	for i := range len(valid) {
		for c := range 256 {
			checkDecodeToken(t, valid[:i]+string(byte(c))+valid[i+1:])
		}
	}
}

// TestTokenHandler_MultipartFiles checks that the files the token check
// spools to disk while it parses a multipart body are removed when the
// request is done, refused or served. net/http removes only the files of the
// request it passed in, and the session middleware hands TokenHandler a copy
// (r.WithContext), so without guard they would stay on disk for good: any
// client could fill it with refused uploads.
func TestTokenHandler_MultipartFiles(t *testing.T) {
	t.Parallel()
	sm := scs.New()
	sm.Store = memstore.NewWithCleanupInterval(0)
	var token string
	var spooled []string // the files the handlers saw on disk
	spool := func(r *http.Request) {
		f, _, err := r.FormFile("f")
		if err != nil {
			t.Errorf("the uploaded file cannot be opened: %v", err)
			return
		}
		defer f.Close()
		if osf, ok := f.(*os.File); ok {
			spooled = append(spooled, osf.Name())
		}
	}
	g := &guard.Guard{Sessions: sm, DenyHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spool(r)
		w.WriteHeader(http.StatusForbidden)
	})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) { token = g.Token(r) })
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) { spool(r) })
	h := g.Handler(sm.LoadAndSave(g.TokenHandler(mux)))
	cookie := serve(h, httptest.NewRequest("GET", "/form", nil)).Header().Get("Set-Cookie")

	// A file larger than the 32 MiB ParseMultipartForm keeps in memory,
	// generated as it is read.
	upload := func(token string) io.Reader {
		head := "--b\r\nContent-Disposition: form-data; name=\"" + guard.TokenField + "\"\r\n\r\n" + token + "\r\n" +
			"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\n\r\n"
		return io.MultiReader(strings.NewReader(head), io.LimitReader(xReader{}, 33<<20), strings.NewReader("\r\n--b--\r\n"))
	}
	for _, tc := range []struct {
		name       string
		token      string
		wantStatus int
	}{
		{"refused", "wrong", http.StatusForbidden},
		{"served", token, http.StatusOK},
	} {
		spooled = nil
		req := httptest.NewRequest("POST", "/upload", upload(tc.token))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
		if rec := serve(h, req); rec.Code != tc.wantStatus {
			t.Errorf("%s: got status %d, want %d", tc.name, rec.Code, tc.wantStatus)
		}
		if len(spooled) != 1 {
			t.Fatalf("%s: the handler saw %d files on disk, want 1", tc.name, len(spooled))
		}
		if _, err := os.Stat(spooled[0]); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %s is still there after the request (%v)", tc.name, spooled[0], err)
			os.Remove(spooled[0])
		}
	}
}

// xReader reads an endless run of 'x'.
type xReader struct{}

var xs = bytes.Repeat([]byte("x"), 64<<10)

func (xReader) Read(p []byte) (int, error) { return copy(p, xs), nil }

// TestCheckToken_Reason checks that each refusal of the token check wraps
// ErrToken and says why on one line, ready for a log line or a deny page.
func TestCheckToken_Reason(t *testing.T) {
	t.Parallel()
	withToken := oneSession{}
	g := &guard.Guard{Sessions: withToken}
	g.Token(httptest.NewRequest("GET", "/", nil))
	empty := &guard.Guard{Sessions: oneSession{}}
	for _, tc := range []struct {
		name, sent string
		g          *guard.Guard
		want       string
	}{
		{"no token", "", g, "guard: missing or invalid CSRF token: no token in request"},
		{"session without token", "x", empty, "guard: missing or invalid CSRF token: session has no token"},
		{"mismatch", "x", g, "guard: missing or invalid CSRF token: token does not match the session"},
	} {
		req := httptest.NewRequest("POST", "/", nil)
		if tc.sent != "" {
			req.Header.Set(guard.TokenHeader, tc.sent)
		}
		err := tc.g.CheckToken(req)
		if !errors.Is(err, guard.ErrToken) || err.Error() != tc.want {
			t.Errorf("%s: CheckToken = %q, want %q wrapping ErrToken", tc.name, err, tc.want)
		}
	}
}

// bodyWatch is a request body that records whether it was read.
type bodyWatch struct{ read bool }

func (b *bodyWatch) Read(p []byte) (int, error) {
	b.read = true
	return 0, io.EOF
}

// TestTokenHandler_NoRoute checks that an unsafe request for which the mux
// under TokenHandler has no route gets the mux's 404 or 405, without a
// token and without its body being read, while one for a route still needs
// the token, and one from another site is still refused before.
func TestTokenHandler_NoRoute(t *testing.T) {
	t.Parallel()
	g := &guard.Guard{Sessions: oneSession{}}
	token := g.Token(httptest.NewRequest("GET", "/", nil))
	served := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) { served++ })
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { served++ })
	h := g.Handler(g.TokenHandler(mux))
	// A mux inside other middleware is not seen: every unsafe request
	// then needs the token.
	hidden := g.Handler(g.TokenHandler(http.HandlerFunc(mux.ServeHTTP)))
	for _, tc := range []struct {
		name         string
		h            http.Handler
		method, path string
		site, token  string
		wantStatus   int
		wantAllow    string
		wantRead     bool
	}{
		{"no route", h, "POST", "/nope", "same-origin", "", http.StatusNotFound, "", false},
		{"no route for the method", h, "PUT", "/items", "same-origin", "", http.StatusMethodNotAllowed, "POST", false},
		{"no route for the method, with a wildcard", h, "DELETE", "/items/7", "same-origin", "", http.StatusMethodNotAllowed, "GET, HEAD", false},
		{"route without the token", h, "POST", "/items", "same-origin", "", http.StatusForbidden, "", true},
		{"route with the token", h, "POST", "/items", "same-origin", token, http.StatusOK, "", false},
		{"no route, from another site", h, "POST", "/nope", "cross-site", "", http.StatusForbidden, "", false},
		{"no route, mux hidden", hidden, "POST", "/nope", "same-origin", "", http.StatusForbidden, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &bodyWatch{}
			req := httptest.NewRequest(tc.method, tc.path, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", tc.site)
			if tc.token != "" {
				req.Header.Set(guard.TokenHeader, tc.token)
			}
			before := served
			rec := serve(tc.h, req)
			if rec.Code != tc.wantStatus || rec.Header().Get("Allow") != tc.wantAllow {
				t.Errorf("%s %s: status %d, Allow %q; want %d, %q", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.wantStatus, tc.wantAllow)
			}
			if body.read != tc.wantRead {
				t.Errorf("%s %s: body read %v, want %v", tc.method, tc.path, body.read, tc.wantRead)
			}
			if ran := served > before; ran != (tc.wantStatus == http.StatusOK) {
				t.Errorf("%s %s: a handler of the application ran: %v", tc.method, tc.path, ran)
			}
			if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("%s %s: X-Frame-Options %q, want guard's DENY", tc.method, tc.path, got)
			}
		})
	}
}

// TestTokenHandler_formOrder: a field both in the query and in the body
// reads behind guard as without it: r.Form holds a URL-encoded body's values
// before the query's, a multipart body's after them, as net/http puts them.
func TestTokenHandler_formOrder(t *testing.T) {
	t.Parallel()
	g := &guard.Guard{Sessions: oneSession{}}
	token := g.Token(httptest.NewRequest("GET", "/", nil))
	multipartType, multipartBody := multipartForm("id", "body", "id", "body2", guard.TokenField, token)
	for _, body := range []struct{ name, contentType, body string }{
		{"urlencoded", "application/x-www-form-urlencoded", "id=body&id=body2&" + guard.TokenField + "=" + token},
		{"multipart", multipartType, multipartBody},
	} {
		t.Run(body.name, func(t *testing.T) {
			t.Parallel()
			var form, postForm url.Values
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
					t.Errorf("ParseMultipartForm: %v", err)
				}
				form, postForm = r.Form, r.PostForm
			})
			newReq := func() *http.Request {
				req := httptest.NewRequest("POST", "/items?id=query&q=1", strings.NewReader(body.body))
				req.Header.Set("Content-Type", body.contentType)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				return req
			}
			serve(handler, newReq())
			wantForm, wantPost := form, postForm
			form, postForm = nil, nil
			if rec := serve(g.Handler(g.TokenHandler(handler)), newReq()); rec.Code != 200 {
				t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body.String())
			}
			if !maps.EqualFunc(form, wantForm, slices.Equal) || !maps.EqualFunc(postForm, wantPost, slices.Equal) {
				t.Errorf("behind guard, Form %v and PostForm %v; without it %v and %v", form, postForm, wantForm, wantPost)
			}
		})
	}
}

// TestTokenHandler_query: the token check reads the body alone. A query
// string that Go's parser refuses (a semicolon, a bad escape, more than
// 10,000 parameters) on a form post whose body carries a valid token is
// no reason to refuse it: the handler's own ParseForm reports the query's
// error, as it would without guard, and finds the body's fields.
func TestTokenHandler_query(t *testing.T) {
	t.Parallel()
	g := &guard.Guard{Sessions: oneSession{}}
	token := g.Token(httptest.NewRequest("GET", "/", nil))
	multipartType, multipartBody := multipartForm("title", "t", guard.TokenField, token)
	for _, q := range []struct{ name, query, wantErr string }{
		{"semicolon", "a=1;b=2&c=3", "invalid semicolon separator in query"},
		{"bad escape", "q=%zz&c=3", `invalid URL escape "%zz"`},
		{"10,001 parameters", strings.Repeat("a=1&", 10000) + "c=3", "number of URL query parameters exceeded limit"},
	} {
		for _, body := range []struct{ name, contentType, body string }{
			{"urlencoded", "application/x-www-form-urlencoded", "title=t&" + guard.TokenField + "=" + token},
			{"multipart", multipartType, multipartBody},
		} {
			t.Run(q.name+", "+body.name, func(t *testing.T) {
				t.Parallel()
				var parseErr error
				var title string
				handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					parseErr = r.ParseForm()
					r.ParseMultipartForm(1 << 20)
					title = r.FormValue("title")
				})
				newReq := func() *http.Request {
					req := httptest.NewRequest("POST", "/items?"+q.query, strings.NewReader(body.body))
					req.Header.Set("Content-Type", body.contentType)
					req.Header.Set("Sec-Fetch-Site", "same-origin")
					return req
				}
				// Without guard, for comparison.
				serve(handler, newReq())
				if parseErr == nil || parseErr.Error() != q.wantErr || title != "t" {
					t.Fatalf("without guard, ParseForm = %v and title %q, want %q and t", parseErr, title, q.wantErr)
				}
				parseErr, title = nil, ""
				rec := serve(g.Handler(g.TokenHandler(handler)), newReq())
				if rec.Code != 200 {
					t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body.String())
				}
				if parseErr == nil || parseErr.Error() != q.wantErr {
					t.Errorf("the handler's ParseForm = %v, want %q", parseErr, q.wantErr)
				}
				if title != "t" {
					t.Errorf("the handler found title %q, want t", title)
				}
			})
		}
	}
}

// multipartForm encodes the fields, given as name, value, name, value...,
// as a multipart/form-data body, and returns its Content-Type and body.
func multipartForm(fields ...string) (contentType, body string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	mw.Close()
	return mw.FormDataContentType(), b.String()
}

// TestTokenHandler_bodyUnread: in report-only mode, a body of which the
// token check read nothing, because its Content-Type header does not parse
// (a JSON endpoint without a token, the kind report-only lets through),
// reaches the handler whole, as it would without guard.
func TestTokenHandler_bodyUnread(t *testing.T) {
	t.Parallel()
	const payload = `{"title":"t"}`
	for _, contentType := range []string{"application/json; charset", "application/json, text/plain", "multipart/form-data"} {
		var got string
		var readErr error
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			got, readErr = string(b), err
		})
		newReq := func() *http.Request {
			req := httptest.NewRequest("POST", "/api/items", strings.NewReader(payload))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return req
		}
		serve(handler, newReq())
		if got != payload || readErr != nil {
			t.Fatalf("%s without guard: %q, %v", contentType, got, readErr)
		}
		got, readErr = "", nil
		var log bytes.Buffer
		g := &guard.Guard{Sessions: oneSession{}, ReportOnly: true, Logger: slog.New(slog.NewTextHandler(&log, nil))}
		serve(g.Handler(g.TokenHandler(handler)), newReq())
		if got != payload || readErr != nil {
			t.Errorf("%s in report-only mode: the handler read %q, error %v; without guard %q", contentType, got, readErr, payload)
		}
		if !strings.Contains(log.String(), "request would be refused") {
			t.Errorf("%s in report-only mode: no record of the would-be refusal:\n%s", contentType, log.String())
		}
	}
}

// TestTokenHandler_bodyErrorNotLogged: the parsers' errors quote the line
// they failed on, which may hold the token or a password; a refusal's
// reason, which is logged, says the body is malformed without them.
func TestTokenHandler_bodyErrorNotLogged(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	g := &guard.Guard{Sessions: oneSession{}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	token := g.Token(httptest.NewRequest("GET", "/", nil))
	var reason error
	g.DenyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reason = guard.Reason(r)
		http.Error(w, "Forbidden", http.StatusForbidden)
	})
	for _, tc := range []struct{ secret, contentType, body string }{
		// A part without the blank line after its headers.
		{token, "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n" + token + "\r\n--b--\r\n"},
		{"hunter2-secret", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"password\"\r\nhunter2-secret\r\n--b--\r\n"},
		// A bad escape in a URL-encoded password.
		{"%zz", "application/x-www-form-urlencoded", "password=ab%zzcd&" + guard.TokenField + "=" + token},
	} {
		log.Reset()
		reason = nil
		req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.contentType)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if rec := serve(g.Handler(g.TokenHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))), req); rec.Code != 403 {
			t.Fatalf("%.20q: status %d, want 403", tc.body, rec.Code)
		}
		if !errors.Is(reason, guard.ErrToken) || !strings.Contains(reason.Error(), "malformed") {
			t.Errorf("%.20q: reason %v, want a token error saying the body is malformed", tc.body, reason)
		}
		if strings.Contains(reason.Error(), tc.secret) || strings.Contains(log.String(), tc.secret) {
			t.Errorf("%.20q: %q is in the reason or the log:\n%v\n%s", tc.body, tc.secret, reason, log.String())
		}
	}
}
