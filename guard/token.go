package guard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// TokenField is the form field that carries the token.
const TokenField = "csrf_token"

// TokenHeader is the request header that may carry the token instead, for
// scripts.
const TokenHeader = "X-CSRF-Token"

// tokenHeaderKey is TokenHeader in canonical form, for a map lookup that
// does not allocate.
const tokenHeaderKey = "X-Csrf-Token"

// TokenSessionKey is the session key under which the raw token is stored.
const TokenSessionKey = "guard.csrf_token"

const (
	tokenLen  = 32
	maskedLen = 86 // base64.RawURLEncoding.EncodedLen(2 * tokenLen)
)

// tokenEncoding refuses non-canonical encodings, so one masked token has
// exactly one spelling. decodeToken is its inverse for exactly maskedLen
// characters, without allocating.
var tokenEncoding = base64.RawURLEncoding.Strict()

const b64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// b64Value maps a base64url character to its value, and anything else to
// 0xff. It is an immutable table.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(b64URL) {
		t[b64URL[i]] = byte(i)
	}
	return t
}()

// decodeToken decodes the maskedLen characters of s into dst and reports
// whether s is the canonical unpadded base64url encoding of 64 bytes. Its
// time does not depend on the characters.
func decodeToken(dst *[2 * tokenLen]byte, s string) bool {
	if len(s) != maskedLen {
		return false
	}
	// An invalid character has the top bit set in b64Value; bad collects it.
	var bad byte
	// Ten blocks of 8 characters, 48 bits each: 80 characters, 60 bytes.
	// Each block is written as 8 bytes, the last 2 of them zero and
	// overwritten by the next block (the tail, for the last one).
	for blk := range 10 {
		q := s[8*blk : 8*blk+8]
		c0, c1, c2, c3 := b64Value[q[0]], b64Value[q[1]], b64Value[q[2]], b64Value[q[3]]
		c4, c5, c6, c7 := b64Value[q[4]], b64Value[q[5]], b64Value[q[6]], b64Value[q[7]]
		bad |= c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7
		v := uint64(c0)<<58 | uint64(c1)<<52 | uint64(c2)<<46 | uint64(c3)<<40 |
			uint64(c4)<<34 | uint64(c5)<<28 | uint64(c6)<<22 | uint64(c7)<<16
		be.PutUint64(dst[6*blk:], v)
	}
	// Six characters left: 36 bits, of which the last 4 must be zero.
	q := s[80:86]
	c0, c1, c2, c3, c4, c5 := b64Value[q[0]], b64Value[q[1]], b64Value[q[2]], b64Value[q[3]], b64Value[q[4]], b64Value[q[5]]
	bad |= c0 | c1 | c2 | c3 | c4 | c5
	v := uint32(c0)<<26 | uint32(c1)<<20 | uint32(c2)<<14 | uint32(c3)<<8 | uint32(c4)<<2 | uint32(c5)>>4
	be.PutUint32(dst[60:], v)
	return bad&0xc0|c5&0x0f == 0
}

var be = binary.BigEndian

// SessionStore is the part of a session manager guard needs. The
// implementation must scope the values to the request's session through ctx.
// *scs.SessionManager satisfies it.
type SessionStore interface {
	GetBytes(ctx context.Context, key string) []byte
	Put(ctx context.Context, key string, val any)
}

// TokenHandler returns a handler that checks the session-bound token on
// unsafe requests (all methods but GET, HEAD and OPTIONS). It must run
// inside the session middleware (scs LoadAndSave), and inside
// [Guard.Handler] so that refusals carry headers. It hands next the request
// unchanged: [Guard.Token] needs nothing from it but the session.
//
// The token is read from the TokenHeader header, else from the TokenField
// field of the request body (never the URL query), which TokenHandler then
// parses before next runs, as [http.Request.PostFormValue] does: up to 32 MB
// of a multipart body in memory and larger files in temporary files, which
// are removed when next returns. A limit that next sets on the body comes too
// late: bound it outside TokenHandler, with [http.MaxBytesHandler], and a
// body over the limit is refused with 413 (see [Guard.DenyHandler]), as is
// a URL-encoded body over 10 MB, net/http's own bound, without one, or of
// more fields than net/url parses. An error in the URL query (a semicolon,
// a bad escape) refuses nothing: next's own [http.Request.ParseForm]
// reports it, as it would without guard ([http.Request.ParseMultipartForm],
// which returns at once for a body already parsed, does not repeat it).
// The form next reads is the one net/http would make, its fields in the
// same order, with one exception: after such a query error, the fields of
// a multipart body come before the query's in [http.Request.Form] (so
// FormValue gives the body's value of a field that is in both), where
// net/http puts them after; a handler that needs the query's value reads
// [http.Request.URL] itself.
//
// Every unsafe request that reaches TokenHandler needs the token: a route
// that must take them without one, such as a webhook that authenticates its
// sender its own way, is served by a mux outside TokenHandler (see the
// example). When next is a [*http.ServeMux] that has no route for the
// request, the mux answers it with its 404 Not Found or 405 Method Not
// Allowed, without a token and without the body being read: no handler of
// the application runs, and a wrong URL or method is told as such rather
// than as a missing token.
//
// One token lives as long as the session, so several tabs and the
// back button keep working; each render masks it afresh (against BREACH);
// the comparison takes constant time. If Sessions is nil, TokenHandler
// returns next unchanged.
//
// [Guard.Token] makes the session's token on its first render. Two
// requests that load a session without one at the same time (tabs a
// browser restores at once) each make one, and a session manager that
// saves a request's whole session, as scs does, keeps the last: the form of
// the other fails its check. Make the token when the session starts, with
// [Guard.RenewToken] right after the login, so that renders only read it.
func (g *Guard) TokenHandler(next http.Handler) http.Handler {
	mustHandler(next, "Guard.TokenHandler")
	if g.Sessions == nil {
		return next
	}
	c := g.compile()
	store := g.Sessions
	mux, _ := next.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mux != nil && !safeMethod(r.Method) {
			if _, pattern := mux.Handler(r); pattern == "" {
				mux.ServeHTTP(w, r) // 404 or 405: no route, nothing to protect
				return
			}
		}
		before := r.MultipartForm
		err := checkToken(store, r)
		if f := r.MultipartForm; f != nil && before == nil {
			// The check parsed a multipart body, whose large files are
			// spooled to disk. net/http removes them only for the request it
			// passed in, and r is usually a copy (the session middleware's
			// WithContext): remove them when this request is done, refused
			// or served, or any client could fill the disk.
			defer f.RemoveAll()
		}
		if err != nil && c.reject(w, r, err) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CheckToken reports, as an error wrapping [ErrToken], why r would fail the
// token check of [Guard.TokenHandler], or returns nil. Safe methods always
// pass, and so does everything when Sessions is nil. It does not call the
// deny handler. It parses the body as [Guard.TokenHandler] does, but leaves
// the temporary files of a multipart body to the caller: net/http removes
// them only for the request it passed in, not for a copy made with
// [http.Request.WithContext].
func (g *Guard) CheckToken(r *http.Request) error {
	if g.Sessions == nil {
		return nil
	}
	return checkToken(g.Sessions, r)
}

// safeMethod reports whether requests of method change nothing, as
// http.CrossOriginProtection counts them: they need neither the
// cross-origin check (compiled.check) nor a token.
func safeMethod(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS":
		return true
	}
	return false
}

func checkToken(store SessionStore, r *http.Request) error {
	if safeMethod(r.Method) {
		return nil
	}
	var sent string
	if v := r.Header[tokenHeaderKey]; len(v) > 0 {
		sent = v[0]
	}
	if sent == "" {
		if err := parsePostForm(r); err != nil {
			switch {
			case err.Error() == postTooLarge:
				// net/http's own bound on a URL-encoded body that no
				// MaxBytesReader bounds, told as the limit it is.
				err = &http.MaxBytesError{Limit: maxFormSize}
			case err.Error() == tooManyParams:
				err = fmt.Errorf("%w (%w)", errTooManyFields, err)
			}
			return fmt.Errorf("%w: the body could not be read: %w", ErrToken, bodyError{err})
		}
		if v := r.PostForm[TokenField]; len(v) > 0 {
			sent = v[0]
		}
	}
	if sent == "" {
		return errNoToken
	}
	want := store.GetBytes(r.Context(), TokenSessionKey)
	if len(want) != tokenLen {
		return errNoSessionTok
	}
	if !verifyToken(sent, want) {
		return errTokenMismatch
	}
	return nil
}

// postTooLarge is the text of the error of [http.Request.ParseForm] for a
// URL-encoded body over maxFormSize bytes, which net/http reads only when
// the body is not an [http.MaxBytesReader], and tooManyParams that of
// [net/url.ParseQuery] for more fields than it parses (10,000, unless the
// GODEBUG setting urlmaxqueryparams says otherwise). Neither error is
// exported; TestTokenHandler_tooLarge fails if their texts change.
const (
	postTooLarge  = "http: POST too large"
	tooManyParams = "number of URL query parameters exceeded limit"
	maxFormSize   = 10 << 20
)

// errTooManyFields is the reason for a URL-encoded body of more fields than
// net/url parses.
var errTooManyFields = errors.New("the form has more fields than net/url parses")

// BodyTooLarge reports whether err, a refusal of the token check (see
// [Reason]), says the body is larger than the server takes, so that a deny
// handler of the application's own can answer 413 as the default one does
// (see [Guard.DenyHandler]). It says the same of an error of the
// application's own form parsing on a body cut off by
// [http.MaxBytesReader].
func BodyTooLarge(err error) bool {
	_, ok := errors.AsType[*http.MaxBytesError](err)
	return ok || errors.Is(err, multipart.ErrMessageTooLarge) || errors.Is(err, errTooManyFields)
}

// bodyError is why the body could not be read, told without the body's own
// bytes: the errors of mime/multipart, net/textproto and net/url quote what
// they failed on, which may be the token or a password, and a refusal's
// reason is logged. It wraps the parser's error, for [BodyTooLarge] and
// errors.Is.
type bodyError struct{ err error }

func (e bodyError) Error() string {
	msg := e.err.Error()
	if BodyTooLarge(e.err) || strings.HasPrefix(msg, "mime: ") {
		// Limits, and the Content-Type header's own errors: no body.
		return msg
	}
	return "it is malformed (the parser's words are not repeated: they may quote the body)"
}

func (e bodyError) Unwrap() error { return e.err }

// parsePostForm parses the body as [http.Request.PostFormValue] does, and
// only the body: the query string is the handler's business, and an error
// in it (a semicolon, a bad escape) refuses nothing; the handler's own
// [http.Request.ParseForm] reports it, as it would without guard. It
// returns the body's error, so that a refusal can say the body was too large
// ([http.MaxBytesError]) or malformed rather than without a token; the
// form is then left unparsed and, once guard has read part of the body,
// the body gives that error again, so that a handler that runs anyway
// (ReportOnly) reads the same error from it, not an empty form or the part
// of the body guard did not read. A body of which nothing was read (the
// Content-Type header did not parse) is left to the handler as it came.
func parsePostForm(r *http.Request) error {
	if r.PostForm != nil {
		return nil
	}
	// A copy of r without its URL, whose query ParseForm would parse too.
	body := r.WithContext(r.Context())
	body.URL = nil
	// ParseMultipartForm would hide ParseForm's error behind
	// ErrNotMultipart.
	err := body.ParseForm()
	if err == nil {
		err = body.ParseMultipartForm(32 << 20)
		if errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	if err != nil {
		if !headerError(r, err) {
			r.Body = failedBody{err}
		}
		return err
	}
	r.PostForm, r.MultipartForm = body.PostForm, body.MultipartForm
	if r.URL == nil || r.URL.RawQuery == "" {
		r.Form = body.Form // the body's fields, as ParseForm would make it
		return nil
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		// For the handler's ParseForm to report the query's error. It then
		// puts the body's fields first, as it does for a URL-encoded body;
		// net/http puts a multipart body's after the query's.
		r.Form = nil
		return nil
	}
	// r.Form as net/http makes it: the fields of a URL-encoded body before
	// the query's (ParseForm), those of a multipart body after them
	// (ParseMultipartForm).
	first, then := body.PostForm, query
	if r.MultipartForm != nil {
		first, then = query, body.PostForm
	}
	r.Form = make(url.Values, len(first)+len(then))
	for _, vs := range []url.Values{first, then} {
		for k, v := range vs {
			r.Form[k] = append(r.Form[k], v...)
		}
	}
	return nil
}

// headerError reports whether err, of parsing r's body as a form, came from
// its Content-Type header alone, before any byte of the body was read:
// ParseForm reads the header's media type first for the methods whose body
// it parses, and a multipart type without a boundary is refused before
// reading.
func headerError(r *http.Request, err error) bool {
	if errors.Is(err, http.ErrMissingBoundary) {
		return true
	}
	switch r.Method {
	case "POST", "PUT", "PATCH":
		ct := r.Header.Get("Content-Type")
		_, _, perr := mime.ParseMediaType(ct)
		return ct != "" && perr != nil
	}
	return false
}

// failedBody is a request body that was read and failed: it gives the
// error again.
type failedBody struct{ err error }

func (b failedBody) Read([]byte) (int, error) { return 0, b.err }
func (b failedBody) Close() error             { return nil }

// Token returns the session's token, freshly masked for this render, for a
// hidden TokenField input or the TokenHeader of a script. It creates the
// session's token if there is none yet. It returns "" when Sessions is nil.
// Like any session access, it must be called inside the session middleware
// (with scs, a request outside LoadAndSave panics).
func (g *Guard) Token(r *http.Request) string {
	if g.Sessions == nil {
		return ""
	}
	ctx := r.Context()
	raw := g.Sessions.GetBytes(ctx, TokenSessionKey)
	if len(raw) != tokenLen {
		raw = newRawToken()
		g.Sessions.Put(ctx, TokenSessionKey, raw)
	}
	return maskToken(raw)
}

// RenewToken replaces the session's token, invalidating every token masked
// from the old one. Call it right after renewing the session itself (scs
// RenewToken), at login and on any privilege change. It does nothing when
// Sessions is nil.
func (g *Guard) RenewToken(ctx context.Context) {
	if g.Sessions == nil {
		return
	}
	g.Sessions.Put(ctx, TokenSessionKey, newRawToken())
}

func newRawToken() []byte {
	b := make([]byte, tokenLen)
	rand.Read(b) // never fails; crashes the program if the system's source does
	return b
}

// maskToken returns base64url(pad || pad XOR raw) with a fresh one-time pad,
// so the bytes sent differ on every render while the secret does not.
func maskToken(raw []byte) string {
	var buf [2 * tokenLen]byte
	rand.Read(buf[:tokenLen])
	for i := range tokenLen {
		buf[tokenLen+i] = buf[i] ^ raw[i]
	}
	var out [maskedLen]byte
	tokenEncoding.Encode(out[:], buf[:])
	return string(out[:])
}

// verifyToken reports whether sent is a masking of want. Its time depends
// only on the lengths, which are public.
func verifyToken(sent string, want []byte) bool {
	if len(sent) != maskedLen || len(want) != tokenLen {
		return false
	}
	var buf [2 * tokenLen]byte
	ok := decodeToken(&buf, sent)
	// pad XOR masked XOR want, eight bytes at a time, with no branch on the
	// data; only the final answer depends on it.
	var diff uint64
	for i := 0; i < tokenLen; i += 8 {
		diff |= le.Uint64(buf[i:]) ^ le.Uint64(buf[tokenLen+i:]) ^ le.Uint64(want[i:])
	}
	return ok && diff == 0
}

var le = binary.LittleEndian
