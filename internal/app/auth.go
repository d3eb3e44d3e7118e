package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/store"
)

// usernamePattern is the rule for usernames, shown on the sign-up page.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{2,31}$`)

// loginPage is the data of login.html.
type loginPage struct {
	page
	Username string
	Errors   formErrors
}

// signupPage is the data of signup.html.
type signupPage struct {
	page
	Username    string
	Errors      formErrors
	MinPassword int
	MaxPassword int
}

// homePage is the data of home.html.
type homePage struct {
	page
}

// showHome shows the landing page, or sends a logged-in user to their items.
func (a *App) showHome(w http.ResponseWriter, r *http.Request) {
	if a.currentUser(r) != "" {
		http.Redirect(w, r, "/items", http.StatusSeeOther)
		return
	}
	a.render(w, r, http.StatusOK, "home", homePage{page: a.newPage(r, "Safe from clickjacking")})
}

func (a *App) showSignup(w http.ResponseWriter, r *http.Request) {
	if a.currentUser(r) != "" {
		http.Redirect(w, r, a.afterLogin(r), http.StatusSeeOther)
		return
	}
	a.renderSignup(w, r, http.StatusOK, "", nil)
}

func (a *App) renderSignup(w http.ResponseWriter, r *http.Request, status int, username string, errs formErrors) {
	a.render(w, r, status, "signup", signupPage{
		page:        a.authPage(r, errorTitle("Create an account", errs), "/signup"),
		Username:    username,
		Errors:      errs,
		MinPassword: minPasswordLen,
		MaxPassword: maxPasswordLen,
	})
}

// validateUsername returns what is wrong with a username, or "".
func validateUsername(u string) string {
	switch {
	case u == "":
		return "Enter a username."
	case len(u) < 3 || len(u) > 32:
		return "The username must be 3 to 32 characters long."
	case !usernamePattern.MatchString(u):
		return "The username may only contain lower-case letters (a–z), digits, underscores (_) and hyphens (-), and must start with a letter or a digit."
	}
	return ""
}

// reservedUsernames are names a new account may not take: shown beside what
// it shares ("Shared by support") they would pass for the service, or its
// staff, speaking. Accounts that already hold one keep it.
var reservedUsernames = []string{
	"abuse", "admin", "administrator", "help", "helpdesk", "mod", "moderator", "no-reply", "noreply",
	"official", "postmaster", "root", "security", "staff", "support", "system", "webmaster",
}

// reservedUsername reports whether a new account may not take the valid
// username u: a reserved name, or one naming clickguard.
func reservedUsername(u string) bool {
	return slices.Contains(reservedUsernames, u) || strings.Contains(u, "clickguard")
}

// validatePassword returns what is wrong with a new password, or "".
func validatePassword(p string) string {
	switch {
	case p == "":
		return "Enter a password."
	case !utf8.ValidString(p):
		return "The password contains bytes that are not valid text."
	case utf8.RuneCountInString(normalizePassword(p)) < minPasswordLen:
		return fmt.Sprintf("The password must be at least %d characters long.", minPasswordLen)
	case passwordTooLong(p):
		return fmt.Sprintf("The password must be at most %d characters long.", maxPasswordLen)
	}
	return ""
}

// parseForm parses a POST body. On failure it renders the 4xx page (413 for
// a body over the limit, 400 otherwise) and returns false.
func (a *App) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		if guard.BodyTooLarge(err) { // cut off at the limit (limitBody)
			a.clientError(w, r, http.StatusRequestEntityTooLarge)
			return false
		}
		a.clientError(w, r, http.StatusBadRequest)
		return false
	}
	return true
}

// signup creates an account and logs it in. Sign-ups are throttled per
// client address (store.SignupThrottleKey).
func (a *App) signup(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	shown := store.Cut(username, 64) // echoed back into the form
	var errs formErrors
	if msg := validateUsername(username); msg != "" {
		errs.add(msg, "username")
	} else if reservedUsername(username) {
		errs.add("That username is reserved: it would read as clickguard itself speaking. Choose another one.", "username")
	}
	if msg := validatePassword(password); msg != "" {
		errs.add(msg, "password")
	}
	if errs != nil {
		a.renderSignup(w, r, http.StatusUnprocessableEntity, shown, errs)
		return
	}
	// A failure of the server or of DynamoDB brings the form back, with
	// the username.
	failed := func(err error) {
		a.formFailed(w, r, err, "Your account could not be created", "your password", func(status int, msg string) {
			a.renderSignup(w, r, status, shown, oneError(msg))
		})
	}
	// Each sign-up with a valid form takes a slot of its address's sign-up
	// throttle and keeps it, whether the name is free or taken: one address
	// can neither make accounts without end nor probe names faster. Only a
	// server too busy to hash gives it back.
	attempt, ok := a.reserveAttempt(w, r, "sign-up", "There have been too many accounts created from your network.",
		failed, store.SignupThrottleKey(throttleAddr(clientAddr(r))))
	if !ok {
		return
	}
	hash, err := a.hashPassword(r.Context(), password)
	if err != nil {
		if errors.Is(err, errBusy) {
			a.releaseAttempt(r, attempt)
		}
		failed(fmt.Errorf("app: signup: %w", err))
		return
	}
	act := a.actor(r)
	act.Username = username
	u, err := a.store.CreateUser(r.Context(), store.User{Username: username, PasswordHash: hash}, act)
	switch {
	case errors.Is(err, store.ErrExists):
		a.renderSignup(w, r, http.StatusConflict, shown, oneError("That username is taken. Choose another one.", "username"))
		return
	case err != nil:
		a.formFailed(w, r, fmt.Errorf("app: signup %q: %w", username, err), "Your account could not be created", "your password", func(status int, msg string) {
			// A write whose answer was lost may have been made.
			msg += " If the username is then taken, your account was made after all: log in with it."
			a.renderSignup(w, r, status, shown, oneError(msg))
		})
		return
	}
	if err := a.startSession(r, u.Username, u.PasswordHash); errors.Is(err, errAccountChanged) {
		// Deleted, or its password changed, the moment it was made.
		a.clientErrorMsg(w, r, http.StatusConflict, "Your account changed while it was being created. Log in to continue.")
		return
	} else if err != nil {
		// The account exists: signing up again would only find the name
		// taken.
		a.serverErrorMsg(w, r, fmt.Errorf("app: signup %q: %w", username, err),
			"Your account "+u.Username+" was created, but you could not be logged in just now. Log in with your username and password.")
		return
	}
	a.setFlash(r, "Welcome to clickguard, "+u.Username+". Your account is ready.")
	http.Redirect(w, r, a.afterLogin(r), http.StatusSeeOther)
}

func (a *App) showLogin(w http.ResponseWriter, r *http.Request) {
	if a.currentUser(r) != "" {
		http.Redirect(w, r, a.afterLogin(r), http.StatusSeeOther)
		return
	}
	a.renderLogin(w, r, http.StatusOK, "", nil)
}

func (a *App) renderLogin(w http.ResponseWriter, r *http.Request, status int, username string, errs formErrors) {
	a.render(w, r, status, "login", loginPage{
		page: a.authPage(r, errorTitle("Log in", errs), "/login"), Username: username, Errors: errs,
	})
}

// authPage is the page data of the login or sign-up page at nav, with the
// page it goes on to (see returnTo).
func (a *App) authPage(r *http.Request, title, nav string) page {
	p := a.navPage(r, title, nav)
	p.ReturnTo = a.returnTo(r)
	return p
}

// returnTo is the page the login or sign-up page's address (its next
// parameter) asks to go on to, if one may be (see loginReturn), or "".
func (a *App) returnTo(r *http.Request) string {
	return a.loginReturn(r.URL.Query().Get("next"))
}

// maxReturn bounds the length of a return address (see loginReturn).
const maxReturn = 2048

// toLogin sends a visitor who is not logged in from rt's page to the login
// page, which returns there after logging in, as the next parameter of its
// address (and of its form's action) says. A confirmation page is not
// returned to: one click on it changes state, and it refuses to be opened
// from another site (Route.Confirms), which a link to the login page would
// get round; its visitor lands on the list of items.
func (a *App) toLogin(w http.ResponseWriter, r *http.Request, rt Route) {
	target := "/login"
	if next := r.URL.RequestURI(); !rt.Confirms && len(next) <= maxReturn {
		target = loginTo(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// loginTo is the address of the login page that goes on to page, a path
// and query on this server, after logging in (see loginReturn).
func loginTo(page string) string {
	return "/login?next=" + url.QueryEscape(page)
}

// loginReturn returns next, the page a visitor was sent to log in from, if a
// logged-in user may be sent there: a path on this server, with nothing a
// browser could read as another site (a leading "//", a backslash, a tab or
// a line break, which browsers drop), whose route is a page of a logged-in
// user and not a confirmation page (see toLogin). Anything else, such as
// the address of another site in a link an attacker wrote, gives "".
func (a *App) loginReturn(next string) string {
	if next == "" || len(next) > maxReturn || next[0] != '/' || strings.HasPrefix(next, "//") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.ParseRequestURI(next)
	if err != nil || u.Scheme != "" || u.Host != "" || path.Clean(u.Path) != u.Path {
		return ""
	}
	// The mux names the route.
	if _, pattern := a.mux.Handler(&http.Request{Method: http.MethodGet, URL: u}); !a.returnable[pattern] {
		return ""
	}
	return next
}

// afterLogin is the page a user who has just logged in or signed up lands
// on: the one the login or sign-up page's address asks to return to, or the
// list of items.
func (a *App) afterLogin(r *http.Request) string {
	if next := a.returnTo(r); next != "" {
		return next
	}
	return "/items"
}

// formFailed answers err, a failure of the server or of DynamoDB, or a
// server too busy to hash (errBusy), on a form with a password (logging
// in, signing up, changing the password, deleting the account): logged as
// serverError logs it, it calls again with the status and a message that
// begins with lead, says why, and asks to enter again what retype names
// ("your password") and send the form again, to show the form again with
// what else was typed (a password is never shown again).
func (a *App) formFailed(w http.ResponseWriter, r *http.Request, err error, lead, retype string, again func(status int, msg string)) {
	status := a.failed(w, r, err)
	why, when := "something went wrong on the server", ""
	switch {
	case errors.Is(err, errBusy):
		why, when = "the server is checking too many passwords", " in a moment"
	case status == http.StatusServiceUnavailable:
		why, when = "the database did not answer in time", " in a moment"
	}
	again(status, lead+" just now: "+why+". Enter "+retype+" and send the form again"+when+".")
}

// errBadLogin is the only message a failed login gets, whether the user
// exists or not.
const errBadLogin = "The username or password is not correct."

// login checks a username and password and starts a session.
//
// A failed login never reveals whether the username exists: the message is
// the same and an unknown user's password is checked against a dummy hash,
// spending the same argon2 time. Attempts are counted per username and per
// client address in DynamoDB, so the throttle holds across app instances:
// each attempt takes a slot before its password is checked
// (store.ReserveAttempt) and gives it back if the password is right, so only
// failures use up the limit, and parallel guesses cannot outrun it. A server
// error after the slot is taken keeps it, like a crash would (see
// store.ReserveAttempt).
//
// A login that succeeds tells the account's owner, on the next page and in
// its activity log entry, how many other attempts the account's throttle
// counted in the window this one was counted in (see readFailedLogins):
// it is read after the password proved right, so a failed login does the
// same store work whether the user exists or not, and only the owner learns
// it.
//
// A password that matched a hash to make again (of the bytes as typed, or
// with other parameters than Config.Password) is hashed again once the
// session has started (see rehashPassword).
//
// An account whose deletion was interrupted (store.ErrAccountGone) has no
// session left to retry it from: the right password finishes the deletion
// and says so, and starts no session. A password changed, or the account
// deleted, while the password was being checked makes the login fail (see
// startSession).
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	// Usernames are lower case (validateUsername): one typed with
	// capitals, from habit or by a keyboard, names the same account.
	username := lowerASCII(strings.TrimSpace(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	shown := store.Cut(username, 64)
	if username == "" || password == "" {
		a.renderLogin(w, r, http.StatusUnprocessableEntity, shown, oneError("Enter your username and your password.", "username", "password"))
		return
	}
	// A failure of the server or of DynamoDB brings the form back, with
	// the username.
	fail := func(err error) {
		a.formFailed(w, r, err, "You could not be logged in", "your password", func(status int, msg string) {
			a.renderLogin(w, r, status, shown, oneError(msg))
		})
	}
	ctx := r.Context()
	userKey := store.UserThrottleKey(strings.ToLower(store.Cut(username, 64)))
	attempt, ok := a.reserveAttempt(w, r, "login", "There have been too many failed log-in attempts for this account or from your network.",
		fail, userKey, store.AddrThrottleKey(throttleAddr(clientAddr(r))))
	if !ok {
		return
	}

	var (
		u   store.User
		err error
	)
	known, deleting := false, false
	if validateUsername(username) == "" && !passwordTooLong(password) {
		u, err = a.store.GetUser(ctx, username)
		switch {
		case errors.Is(err, store.ErrAccountGone):
			// Its deletion was interrupted; u still has the password hash.
			known, deleting = true, true
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			fail(fmt.Errorf("app: login: %w", err))
			return
		default:
			known = true
		}
	}
	// An unknown user's password is checked against the dummy hash: the
	// same work, the same answer, and never a match.
	hash := a.dummyHash
	if known {
		hash = u.PasswordHash
	}
	ok, rehash, err := a.verifyPassword(ctx, password, hash)
	if err != nil {
		if errors.Is(err, errBusy) {
			// The server's load is no guess of the password.
			a.releaseAttempt(r, attempt)
		}
		fail(fmt.Errorf("app: login %q: %w", username, err))
		return
	}
	ok = ok && known
	if ok && deleting {
		a.releaseAttempt(r, attempt)
		a.finishDeleteAccount(w, r, u)
		return
	}
	var failed failedLogins
	if ok {
		err = a.startSession(r, u.Username, u.PasswordHash)
		if err == nil {
			// Read only now, with the password right and the session
			// started, and before the attempt gives its slot back: a
			// failed login does the same store work for every username,
			// and tells nothing.
			failed = a.readFailedLogins(r, attempt, userKey)
			err = a.recordLogin(r, u.Username, failed.detail())
		}
		if err != nil && !errors.Is(err, errAccountChanged) {
			fail(fmt.Errorf("app: login %q: %w", username, err))
			return
		}
		ok = err == nil
	}
	if !ok {
		// The attempt keeps its slot: that is the failure counted. The
		// message is about both fields: it must not tell which was wrong.
		a.renderLogin(w, r, http.StatusUnauthorized, shown, oneError(errBadLogin, "username", "password"))
		return
	}
	if msg := failed.notice(); msg != "" {
		a.setFlash(r, msg)
	}
	a.releaseAttempt(r, attempt)
	if rehash {
		a.rehashPassword(r, u.Username, u.PasswordHash, password)
	}
	http.Redirect(w, r, a.afterLogin(r), http.StatusSeeOther)
}

// lowerASCII maps the ASCII capitals of s to lower case and leaves every
// other character as it is: no other character folds into a username.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// recordLogin adds the login just made to the account's activity log, with
// where it came from and detail (the failed attempts before it, or ""). A
// login it cannot record does not happen: the session is destroyed, and an
// account whose deletion has just started gives errAccountChanged.
func (a *App) recordLogin(r *http.Request, username, detail string) error {
	actor := a.actor(r)
	actor.Username = username
	err := a.store.RecordEvent(r.Context(), username, store.Event{Action: "user.login", Detail: detail, Actor: actor})
	switch {
	case errors.Is(err, store.ErrAccountGone):
		return errors.Join(errAccountChanged, a.destroySession(r))
	case err != nil:
		return errors.Join(fmt.Errorf("record login: %w", err), a.destroySession(r))
	}
	return nil
}

// finishDeleteAccount finishes the interrupted deletion of u's account, as
// read with the password just given, and shows the page that says the
// account is gone. It finishes that deletion only: if it has ended meanwhile
// and the name belongs to a new account, the new account is left alone.
func (a *App) finishDeleteAccount(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	username := u.Username
	p, ok := u.Deletion()
	if !ok {
		a.serverError(w, r, fmt.Errorf("app: finish deleting %q: the account read has no deletion under way", username))
		return
	}
	if _, err := a.store.FinishDeletion(ctx, p); err != nil {
		a.serverError(w, r, fmt.Errorf("app: finish deleting %q: %w", username, err))
		return
	}
	a.logger.InfoContext(ctx, "account deleted (finishing an interrupted deletion)", slog.String("username", username), slog.String("request_id", requestID(r)))
	a.render(w, r, http.StatusOK, "goodbye", goodbyePage{page: a.newPage(r, "Account deleted")})
}

// throttleAddr returns the part of a client address the login and sign-up
// throttles count: an IPv4 address, or the /64 network of an IPv6 address (one
// subscriber usually holds a whole /64, so counting single addresses would
// let them rotate through it).
func throttleAddr(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Is4() {
		return addr
	}
	p, err := a.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// errAccountChanged means the account changed while a session was being
// started for it: its password is no longer the one just checked, or it is
// being deleted. startSession then starts no session.
var errAccountChanged = errors.New("account changed while its session was starting")

// startSession logs username in on a fresh session token (against session
// fixation) with a fresh CSRF token, and records the token in the user's
// session index so that logging out everywhere or deleting the account can
// end it. hash is the password hash the caller just checked (or set).
//
// The token is recorded first, and the username goes into the session only
// after a consistent read finds the account live with that hash still: if
// the read sees the hash, the record was written before any password change
// or deletion committed, so the EndAll that follows either queries after it
// and ends the session (whose later commit by scs then does nothing: an
// ended session stays ended); otherwise the session is destroyed and
// startSession returns errAccountChanged. Without this order a login that
// checked the old password could record its session just after the EndAll
// of a password change and outlive it. When recording fails, the session,
// which never held the username, is destroyed and the error returned.
func (a *App) startSession(r *http.Request, username, hash string) error {
	ctx := r.Context()
	before, beforeToken := a.currentUser(r), a.sessions.Token(ctx)
	if err := a.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session: %w", err)
	}
	// A login in a browser already logged in ends the session it had
	// (RenewToken): the list of sessions no longer shows it.
	a.untrack(r, before, beforeToken)
	a.renewCSRF(r)
	expiry := time.Now().Add(a.cfg.SessionLifetime)
	info := store.SessionInfo{SignedIn: time.Now(), UserAgent: r.UserAgent(), Addr: clientAddr(r)}
	if err := a.sessStore.Track(ctx, username, a.sessions.Token(ctx), expiry, info); err != nil {
		return errors.Join(fmt.Errorf("track session: %w", err), a.destroySession(r))
	}
	u, err := a.store.GetUser(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && u.PasswordHash != hash:
		return errors.Join(errAccountChanged, a.destroySession(r))
	case err != nil:
		return errors.Join(fmt.Errorf("check account: %w", err), a.destroySession(r))
	}
	a.sessions.Put(ctx, sessionUserKey, username)
	return nil
}

// destroySession ends the request's session, saying why it failed if it did.
func (a *App) destroySession(r *http.Request) error {
	if err := a.sessions.Destroy(r.Context()); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	return nil
}

// logout destroys the session in DynamoDB, clears the cookie and forgets
// the session from the user's list.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	user, token := a.currentUser(r), a.sessions.Token(r.Context())
	if err := a.sessions.Destroy(r.Context()); err != nil {
		a.serverError(w, r, fmt.Errorf("app: logout: %w", err))
		return
	}
	a.untrack(r, user, token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
