// Package app is the clickguard web application: handlers, the route table,
// the middleware order, templates and static files.
//
// The handler chain, outermost first (see [App.Handler]):
//
//	request ID, client address, access log   (observe)
//	the app's Content-Security-Policy, which guard completes with frame-ancestors
//	guard.Handler: security headers, framed-navigation refusal, panic recovery, cross-origin check
//	body size limit   (limitBody)
//	session memo: binds the request's writes to its session; skips an unchanged re-commit
//	session load/save (scs with the DynamoDB store; not for /static/, /healthz, /readyz)
//	the mux's 404 and 405 as the app's error page   (muxErrors; no token needed)
//	guard.TokenHandler: session-bound token on unsafe methods
//	guard.ConfirmationHandler, on confirmation pages only: refuses other sites
//	route: pattern for the log, login requirement
//	mux (Routes)
//
// Handlers are methods on *App; they call a.render, a.clientError or
// a.serverError once and return.
//
// A request refused by guard.Handler never reaches the session layer. One
// refused by the token layer has loaded its session, and scs re-commits a
// loaded session on every request when an idle timeout is set, so the refusal
// may refresh that session's expiry in the sessions table (the store skips
// the write when the expiry would move by less than its commit grace); it
// changes no user data (accounts, items, shares, audit log).
package app

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/store"
)

// Config is the application's configuration. The zero value is usable:
// every zero field takes the default documented on it.
type Config struct {
	// TrustedOrigins lists extra origins ("https://admin.example.com") from
	// which cross-origin unsafe requests are allowed. The default is none:
	// only same-origin forms may change state.
	TrustedOrigins []string

	// TrustedProxies lists the addresses of reverse proxies in front of the
	// app. Requests from them have their client address taken from
	// X-Forwarded-For. The default is none: X-Forwarded-For is ignored.
	TrustedProxies []netip.Prefix

	// SameSiteStrict sets SameSite=Strict on the session cookie. The default
	// is SameSite=Lax, which keeps users logged in when they follow a link
	// from another site; cross-site POSTs are refused either way.
	SameSiteStrict bool

	// SessionIdle ends a session after this long without a request. The
	// default is one hour.
	SessionIdle time.Duration

	// SessionLifetime ends a session this long after login, whatever the
	// activity. The default is 12 hours.
	SessionLifetime time.Duration

	// MaxBodyBytes limits every request body. The default is 1 MiB.
	MaxBodyBytes int64

	// Password sets the argon2id cost of new password hashes. The default
	// (zero value) is 19 MiB of memory, 2 passes, 1 thread; tests lower it.
	Password PasswordParams

	// DeletionFinishInterval is how often FinishDeletions looks for account
	// deletions that were interrupted. The default is 5 minutes.
	DeletionFinishInterval time.Duration

	// DeletionGrace is how long ago an account deletion must have started
	// before FinishDeletions finishes it, so that one still running is not
	// raced for nothing (racing it is safe). The default is 10 minutes.
	DeletionGrace time.Duration

	// Unprotected builds the same handler without the guard layers: no
	// security headers, no framing refusal, no cross-origin or token checks.
	// It exists only for the overhead benchmark and the browser suite's
	// control case, which must show that an attack succeeds without the
	// protection. No command-line flag or environment variable sets it.
	Unprotected bool
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.SessionIdle <= 0 {
		c.SessionIdle = time.Hour
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.DeletionFinishInterval <= 0 {
		c.DeletionFinishInterval = 5 * time.Minute
	}
	if c.DeletionGrace <= 0 {
		c.DeletionGrace = 10 * time.Minute
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Password == (PasswordParams{}) {
		c.Password = defaultPasswordParams()
	}
	return c
}

// App is the web application. Build it with New; it is safe for concurrent
// use, and any number of Apps (in one process or many) may share one
// DynamoDB: they keep no state of their own.
type App struct {
	cfg       Config
	store     *store.Store
	sessStore sessionStore
	sessions  *scs.SessionManager
	logger    *slog.Logger
	pages     map[string]*template.Template
	assets    assets
	static    fs.FS  // the static/ directory
	dummyHash string // spent on logins for unknown users, see login
	// passwordWork bounds the argon2 hashes in flight: one per core, and
	// as many waiting as a few seconds of hashing.
	passwordWork *passwordWork
	mux          *http.ServeMux
	// sessionless holds the mux patterns of routes with Sessionless set.
	sessionless map[string]bool
	// returnable holds the mux patterns of the pages a visitor sent to log
	// in returns to afterwards: a logged-in user's GET pages, confirmation
	// pages aside (see loginReturn).
	returnable map[string]bool
	// expired routes the forms the token layer refused to the routes'
	// expired handlers (see expired.go).
	expired *http.ServeMux
	// typed holds, by mux pattern, the routes' Route.typed.
	typed   map[string]func(*http.Request) ([]unsavedField, string)
	guard   *guard.Guard // nil when cfg.Unprotected
	handler http.Handler
	// readiness is the last check of DynamoDB /readyz made; now is its clock.
	readiness readiness
	now       func() time.Time
}

// sessionStore is what the app needs of store.Sessions: the scs store, and
// the per-user index used to end every session of a user.
type sessionStore interface {
	scs.Store
	scs.CtxStore
	Track(ctx context.Context, username, token string, expiry time.Time, info store.SessionInfo) error
	Untrack(ctx context.Context, username, token string) error
	List(ctx context.Context, username string) ([]store.TrackedSession, error)
	ListAll(ctx context.Context, username string) ([]store.TrackedSession, error)
	End(ctx context.Context, username, id string) error
	EndAll(ctx context.Context, username string) error
	EndOthers(ctx context.Context, username, keep string) (int, error)
}

// New returns the application for cfg, using st for data and sessions for
// the scs session store. A nil logger discards logs. It fails on an invalid
// Config (an untrustworthy origin) or an embedded template that does not parse.
func New(cfg Config, st *store.Store, sessions sessionStore, logger *slog.Logger) (*App, error) {
	if st == nil || sessions == nil {
		return nil, errors.New("app: New needs a store and a session store")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	as, err := hashAssets()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("app: static files: %w", err)
	}
	dummy, err := hashPassword("clickguard dummy password, never valid", cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("app: dummy password hash: %w", err)
	}
	a := &App{
		cfg:       cfg,
		store:     st,
		sessStore: sessions,
		logger:    logger,
		pages:     pages,
		assets:    as,
		static:    static,
		dummyHash: dummy,
		now:       time.Now,

		passwordWork: newPasswordWork(runtime.GOMAXPROCS(0), 32*runtime.GOMAXPROCS(0)),
	}

	sm := scs.New()
	sm.Store = sessions
	// Equal data encodes to equal bytes, so that the store recognises the
	// idle-timeout re-commit of an unchanged session and skips its write
	// (see withSessionMemo).
	sm.Codec = store.SessionCodec{}
	sm.IdleTimeout = cfg.SessionIdle
	sm.Lifetime = cfg.SessionLifetime
	// The __Host- prefix makes browsers reject the cookie unless it is
	// Secure, has Path=/ and no Domain: no subdomain can set or shadow it.
	sm.Cookie.Name = "__Host-session"
	sm.Cookie.Secure = true
	sm.Cookie.HttpOnly = true
	sm.Cookie.Path = "/"
	sm.Cookie.Domain = ""
	sm.Cookie.SameSite = http.SameSiteLaxMode
	if cfg.SameSiteStrict {
		sm.Cookie.SameSite = http.SameSiteStrictMode
	}
	sm.Cookie.Persist = true
	sm.ErrorFunc = a.sessionError
	a.sessions = sm

	a.mux = http.NewServeMux()
	if !cfg.Unprotected {
		if a.guard, err = a.newGuard(a.mux); err != nil {
			return nil, err
		}
	}
	a.sessionless, a.returnable = map[string]bool{}, map[string]bool{}
	a.typed = map[string]func(*http.Request) ([]unsavedField, string){}
	a.expired = http.NewServeMux()
	for _, rt := range Routes() {
		pattern := rt.Method + " " + rt.Pattern
		if rt.Sessionless {
			a.sessionless[pattern] = true
		}
		if rt.Method == http.MethodGet && !rt.Public && !rt.Confirms {
			a.returnable[pattern] = true
		}
		if rt.expired != nil {
			a.expired.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { rt.expired(a, w, r) })
		}
		if rt.typed != nil {
			a.typed[pattern] = rt.typed
		}
		var h http.Handler = a.route(rt)
		if rt.Confirms && a.guard != nil {
			h = a.guard.ConfirmationHandler(h)
		}
		if rt.Embeddable {
			h = guard.Embeddable(h)
		}
		a.mux.Handle(pattern, h)
	}
	a.handler = a.buildHandler()
	return a, nil
}

// Handler returns the application's HTTP handler with the full middleware
// chain (see the package comment for the order and why).
func (a *App) Handler() http.Handler { return a.handler }

func (a *App) buildHandler() http.Handler {
	mux := a.mux
	// The token is checked on routes only: a post to no route is the mux's
	// 404 or 405, as a GET is.
	var routed http.Handler = mux
	if a.guard != nil {
		routed = a.guard.TokenHandler(mux)
	}
	pages := withSessionMemo(sealOnSessionError(a.sessions.LoadAndSave(markSession(a.muxErrors(mux, routed)))))

	// Sessionless routes (static files, health checks) do not touch the
	// session: a page view should cost one session read, not one per
	// stylesheet, and a health check must not create session records.
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); a.sessionless[pattern] {
			mux.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
	var h http.Handler = a.limitBody(inner)
	if a.guard != nil {
		h = setContentPolicy(a.guard.Handler(h))
	}
	return a.observe(h)
}

// sessionError is scs's ErrorFunc: the session could not be loaded or saved.
// It renders the error page (503 when DynamoDB is unavailable) and seals the
// response so that the page the handler goes on writing is dropped.
//
// A form is answered with a redirect once it has done what it asked, so a
// save that fails then says that it was done: "try again" would do it
// twice (a second item, say). A form whose session could not be read, so
// that its handler never ran, gives back what the user typed in it, if
// anything (typedBack). A form its handler answers with a page (the form
// shown again after a failed save or a refusal, holding what was typed)
// keeps that page: the same outage that failed the save usually fails the
// session's commit too, and the error page would lose the text. It goes
// out without the session cookie; the session stays as it was stored.
func (a *App) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	ri := info(r)
	err = fmt.Errorf("app: session: %w", err)
	switch {
	case ri != nil && ri.answer == nil && a.typedBack(w, r, err):
		// The session could not be loaded (markSession sets ri.answer
		// inside the session layer), so the handler never ran: what the
		// form held is shown back.
	case ri != nil && ri.answer != nil && r.Method == http.MethodPost && ri.answer.status >= 300 && ri.answer.status < 400:
		a.serverErrorMsg(w, r, err, "What you sent was done, but the database stopped answering before your session was saved, so you may have been logged out. Check what you see before sending it again.")
	case ri != nil && ri.answer != nil && r.Method == http.MethodPost:
		a.logFailure(r, "session not saved; the page answering the form goes without it", err,
			slog.Int("status", ri.answer.status))
		return
	default:
		a.serverError(w, r, err)
	}
	if ri != nil && ri.seal != nil {
		ri.seal.sealed = true
	}
}

// currentUser returns the logged-in username, or "" when logged out. It
// reads the session loaded by the session layer.
func (a *App) currentUser(r *http.Request) string {
	if !hasSession(r) {
		return ""
	}
	return a.sessions.GetString(r.Context(), sessionUserKey)
}

// Session keys.
const (
	sessionUserKey  = "username"
	sessionFlashKey = "flash"
)

// setFlash stores a message that the next rendered page shows once.
func (a *App) setFlash(r *http.Request, msg string) {
	a.sessions.Put(r.Context(), sessionFlashKey, msg)
}

// newPage returns the common page data for a render of r: it takes the
// flash message out of the session and masks a token for the page's forms.
// A HEAD request, whose page nobody sees, leaves the message for the next
// page that is shown.
func (a *App) newPage(r *http.Request, title string) page {
	p := a.basePage(r, title)
	if hasSession(r) && r.Method != http.MethodHead {
		p.Flash = a.sessions.PopString(r.Context(), sessionFlashKey)
	}
	return p
}

// navPage is newPage for a page the main navigation links to, at href
// ("/items"): the header marks that link as the current page.
func (a *App) navPage(r *http.Request, title, href string) page {
	p := a.newPage(r, title)
	p.NavCurrent = href
	return p
}

// basePage is newPage without the flash message: error pages use it, so
// that the message waits for the next real page. The page of a HEAD
// request, whose forms nobody sends, has no token: a visitor's first HEAD
// writes no session (a GET's form token does).
func (a *App) basePage(r *http.Request, title string) page {
	p := page{
		Title:     title,
		User:      a.currentUser(r),
		RequestID: requestID(r),
		CSSURL:    a.assets.url("css/app.css"),
		IconURL:   a.assets.url("img/icon.svg"),
	}
	if hasSession(r) && r.Method != http.MethodHead {
		p.csrf = func() string { return a.csrfToken(r) }
	}
	return p
}

type sessionLoadedKey struct{}

// markSession runs just inside the session layer and records in the context
// that a session is loaded, and in the request's info the status the
// handler answers with, which scs commits the session before passing on
// (see sessionError).
func markSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri := info(r); ri != nil {
			ri.answer = &statusWriter{ResponseWriter: w}
			w = ri.answer
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionLoadedKey{}, true)))
	})
}

// hasSession reports whether the session layer ran for r. It has not for
// static files and health checks, nor for a page rendered outside it (a
// refusal or a panic caught by the guard); scs panics on such a request.
func hasSession(r *http.Request) bool {
	ok, _ := r.Context().Value(sessionLoadedKey{}).(bool)
	return ok
}

// actor describes the requester for the audit log.
func (a *App) actor(r *http.Request) store.Actor {
	return store.Actor{
		Username:     a.currentUser(r),
		ClientAddr:   clientAddr(r),
		UserAgent:    store.Cut(r.UserAgent(), 256),
		SecFetchSite: store.Cut(r.Header.Get("Sec-Fetch-Site"), 32),
		Origin:       store.Cut(r.Header.Get("Origin"), 256),
	}
}
