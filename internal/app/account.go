package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/store"
)

// accountPage is the data of account.html: password change and embed
// allowlist, each with its own errors, and the way to account deletion.
type accountPage struct {
	page
	Version        int64  // profile version the allowlist form was made for
	Origins        string // allowlist as typed, one origin per line
	OriginErrors   formErrors
	PasswordErrors formErrors
	MaxOrigins     int
	MinPassword    int
}

// accountDeletePage is the data of account_delete.html.
type accountDeletePage struct {
	page
	Errors formErrors
}

// goodbyePage is the data of goodbye.html, shown once an account is gone.
type goodbyePage struct {
	page
	// Pending is set when the account is deleted (marked: nobody can log
	// in to it or change it) but its data is not all removed yet; the
	// deletion finisher removes the rest within Within.
	Pending bool
	Within  string
}

// showAccount shows the account settings.
func (a *App) showAccount(w http.ResponseWriter, r *http.Request) {
	u, ok := a.currentAccount(w, r)
	if !ok {
		return
	}
	a.renderAccount(w, r, http.StatusOK, u.Version, strings.Join(u.EmbedOrigins, "\n"), nil, nil)
}

// currentAccount loads the account of the logged-in user. On failure it has
// answered and returns false.
func (a *App) currentAccount(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	u, err := a.store.GetUser(r.Context(), a.currentUser(r))
	if err != nil {
		a.storeError(w, r, err)
		return store.User{}, false
	}
	return u, true
}

func (a *App) renderAccount(w http.ResponseWriter, r *http.Request, status int, version int64, origins string, originErrs, passErrs formErrors) {
	a.render(w, r, status, "account", accountPage{
		page:           a.navPage(r, errorTitle("Account", slices.Concat(originErrs, passErrs)), "/account"),
		Version:        version,
		Origins:        origins,
		OriginErrors:   originErrs,
		PasswordErrors: passErrs,
		MaxOrigins:     store.MaxEmbedOrigins,
		MinPassword:    minPasswordLen,
	})
}

// checkPassword reports whether password is the user's current one. Wrong
// guesses are throttled per session and per client address (the address
// counter is the one logins use), with the same limits as logins: a stolen
// session cannot guess the password any faster here than at the login
// form. They are not counted per account, so that failing logins for an
// account cannot lock its owner out of changing the password, which is how
// the owner shuts out a stolen session. When the throttle is exceeded it
// has answered, and on a failure of the store or of hashing it has called
// failed, which answers; either way it returns ok false with done true.
func (a *App) checkPassword(w http.ResponseWriter, r *http.Request, u store.User, password string, failed func(error)) (ok, done bool) {
	ctx := r.Context()
	attempt, reserved := a.reserveAttempt(w, r, "password check", "There have been too many wrong passwords in this session or from your network.",
		failed, store.SessionThrottleKey(a.sessions.Token(ctx)), store.AddrThrottleKey(throttleAddr(clientAddr(r))))
	if !reserved {
		return false, true
	}
	if passwordTooLong(password) {
		password = ""
	}
	match, _, err := a.verifyPassword(ctx, password, u.PasswordHash)
	if errors.Is(err, errBusy) {
		a.releaseAttempt(r, attempt) // the server's load is no guess
	}
	if err != nil {
		failed(fmt.Errorf("app: verify password of %q: %w", u.Username, err))
		return false, true
	}
	if match {
		a.releaseAttempt(r, attempt)
	}
	return match, false
}

// changePassword sets a new password after checking the current one, ends
// every other session of the user and renews this one (new session token,
// new CSRF token).
func (a *App) changePassword(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, ok := a.currentAccount(w, r)
	if !ok {
		return
	}
	current, next, confirm := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	origins := strings.Join(u.EmbedOrigins, "\n")
	// A failure of the server or of DynamoDB before the password is
	// changed brings the form back, saying so (failedThen adds maybe to
	// the message).
	failedThen := func(err error, maybe string) {
		a.formFailed(w, r, err, "Your password could not be changed", "the three passwords", func(status int, msg string) {
			a.renderAccount(w, r, status, u.Version, origins, nil, oneError(msg+maybe))
		})
	}
	failed := func(err error) { failedThen(err, "") }
	ok, done := a.checkPassword(w, r, u, current, failed)
	if done {
		return
	}
	// An empty field is checked like a wrong one (it counts against the
	// throttle the same), but its message says what to enter.
	var errs formErrors
	switch {
	case current == "":
		errs.add("Enter your current password.", "current_password")
	case !ok:
		errs.add("The current password is not correct.", "current_password")
	}
	switch msg := validatePassword(next); {
	case next == "":
		errs.add("Enter a new password.", "new_password")
	case msg != "":
		errs.add("New password: "+msg, "new_password")
	case confirm == "":
		errs.add("Enter the new password again, to confirm it.", "confirm_password")
	case next != confirm:
		errs.add("The new password and its confirmation differ.", "confirm_password")
	}
	if errs != nil {
		a.renderAccount(w, r, http.StatusUnprocessableEntity, u.Version, origins, nil, errs)
		return
	}
	hash, err := a.hashPassword(ctx, next)
	if err != nil {
		failed(fmt.Errorf("app: hash password: %w", err))
		return
	}
	// Sign the other sessions out before the change as well as after it:
	// should the round after it fail, the password is changed and the page
	// is an error, but a stolen session has ended all the same. (Should the
	// change fail, they are signed out and the password is unchanged.)
	if _, err := a.sessStore.EndOthers(ctx, u.Username, store.SessionID(a.sessions.Token(ctx))); err != nil {
		failed(fmt.Errorf("app: end other sessions of %q: %w", u.Username, err))
		return
	}
	if err := a.store.SetPassword(ctx, u.Username, hash, u.Version, a.actor(r)); err != nil {
		if !a.storeRefusal(w, r, err) {
			// A change whose answer was lost may have been made.
			failedThen(fmt.Errorf("app: set password of %q: %w", u.Username, err),
				" If your current password is then refused, the password was changed after all: the new one is yours.")
		}
		return
	}
	// End every session, this one included, then start a fresh one: a
	// stolen session cookie stops working with the old password, and so
	// does a login that checked the old password during the change (see
	// startSession).
	//
	// From here on the password is changed: a page that said "try again"
	// would send the user to a form that now refuses the old password.
	if err := a.sessStore.EndAll(ctx, u.Username); err != nil {
		a.serverErrorMsg(w, r, fmt.Errorf("app: end sessions of %q: %w", u.Username, err),
			"Your password was changed, but the database stopped answering before every session of your account was logged out. Open your account's sessions page and log out any others you see.")
		return
	}
	if err := a.startSession(r, u.Username, hash); errors.Is(err, errAccountChanged) {
		a.clientErrorMsg(w, r, http.StatusConflict,
			"Your password was changed, but your account changed again at the same moment (in another tab?), so you have been logged out. Log in again.")
		return
	} else if err != nil {
		a.serverErrorMsg(w, r, fmt.Errorf("app: renew session of %q: %w", u.Username, err),
			"Your password was changed, and you have been logged out. Log in with the new password.")
		return
	}
	a.setFlash(r, "Password changed. Every other session of your account has been logged out.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// parseOrigins splits the allowlist field (one origin per line; commas also
// separate) and validates each origin exactly, allowing only a lone
// trailing "/". It returns the normalised,
// de-duplicated list and the messages about its problems, all about the
// origins field: one for each of the first maxOriginMessages invalid
// entries, then one that counts the rest, so that a field of thousands of
// bad lines makes a short page.
func parseOrigins(field string) ([]string, formErrors) {
	var origins []string
	var errs formErrors
	seen := map[string]bool{}
	bad := 0
	for n, line := range strings.Split(field, "\n") {
		for f := range strings.SplitSeq(line, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			// An origin copied from the address bar ends in the path "/",
			// which names the same origin; any other path does not.
			o, err := guard.ParseOrigin(strings.TrimSuffix(f, "/"))
			if err != nil {
				if bad++; bad <= maxOriginMessages {
					// guard says what is wrong ("wildcards are not
					// allowed: give each origin") after the origin.
					why := err.Error()
					if u := errors.Unwrap(err); u != nil {
						why = u.Error()
					}
					errs.add(fmt.Sprintf("Line %d: %q is not an exact origin (%s). Write scheme, host and optional port only, such as https://blog.example.com.", n+1, store.Cut(f, 100), why), "origins")
				}
				continue
			}
			if !seen[o] {
				seen[o] = true
				origins = append(origins, o)
			}
		}
	}
	switch more := bad - maxOriginMessages; {
	case more == 1:
		errs.add("And 1 more entry is not an exact origin either.", "origins")
	case more > 1:
		errs.add(fmt.Sprintf("And %d more entries are not exact origins either.", more), "origins")
	}
	if len(origins) > store.MaxEmbedOrigins {
		errs.add(fmt.Sprintf("That is %d origins; at most %d are allowed.", len(origins), store.MaxEmbedOrigins), "origins")
	}
	return origins, errs
}

// maxOriginMessages is the number of invalid allowlist entries that
// parseOrigins names one by one.
const maxOriginMessages = 5

// setEmbedOrigins saves the embed allowlist.
func (a *App) setEmbedOrigins(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	version, ok := a.formVersion(w, r)
	if !ok {
		return
	}
	field := r.PostFormValue("origins")
	origins, errs := parseOrigins(field)
	if errs != nil {
		a.renderAccount(w, r, http.StatusUnprocessableEntity, version, field, errs, nil)
		return
	}
	err := a.store.SetEmbedOrigins(r.Context(), a.currentUser(r), origins, version, a.actor(r))
	if errors.Is(err, store.ErrConflict) {
		a.renderAccount(w, r, http.StatusConflict, version, field,
			oneError("Your account changed since this page was loaded (in another tab?). Reload the page and make the change again."), nil)
		return
	}
	if err != nil {
		a.saveFailed(w, r, err, "The embed allowlist", func(status int, msg string) {
			a.renderAccount(w, r, status, version, field, oneError(msg, "origins"), nil)
		})
		return
	}
	if len(origins) == 0 {
		a.setFlash(r, "Embed allowlist cleared: no other site may frame your public items.")
	} else {
		a.setFlash(r, fmt.Sprintf("Embed allowlist saved: %s may frame your public items.", strings.Join(origins, ", ")))
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// showDeleteAccount asks to confirm account deletion with the password.
func (a *App) showDeleteAccount(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "account_delete", accountDeletePage{page: a.newPage(r, "Delete your account?")})
}

// deleteAccount deletes the account and everything in it, ends every
// session, and logs out.
func (a *App) deleteAccount(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, ok := a.currentAccount(w, r)
	if !ok {
		return
	}
	password := r.PostFormValue("password")
	again := func(status int, errs formErrors) {
		a.render(w, r, status, "account_delete", accountDeletePage{
			page:   a.newPage(r, errorTitle("Delete your account?", errs)),
			Errors: errs,
		})
	}
	// A failure of the server or of DynamoDB before anything is deleted
	// brings the form back, saying so.
	failed := func(err error) {
		a.formFailed(w, r, err, "Your account could not be deleted", "your password", func(status int, msg string) {
			again(status, oneError(msg))
		})
	}
	ok, done := a.checkPassword(w, r, u, password, failed)
	if done {
		return
	}
	if !ok {
		msg := "The password is not correct. Your account was not deleted."
		if password == "" {
			msg = "Enter your password to delete your account."
		}
		again(http.StatusUnprocessableEntity, oneError(msg, "password"))
		return
	}
	// Sign the other sessions out before the deletion, as before a password
	// change: the deletion ends them after its mark too, but should that
	// step fail, the account is deleted and its data still readable until
	// the deletion is finished, and a stolen session must not read it.
	if _, err := a.sessStore.EndOthers(ctx, u.Username, store.SessionID(a.sessions.Token(ctx))); err != nil {
		failed(fmt.Errorf("app: end other sessions of %q: %w", u.Username, err))
		return
	}
	err := a.store.DeleteAccount(ctx, u.Username, a.actor(r))
	// Past the mark the account is deleted for good, however far the rest
	// went: "try again" would send its owner, logged out, to a form they
	// can no longer use.
	pending := errors.Is(err, store.ErrIncomplete)
	switch {
	case pending:
		a.logger.WarnContext(ctx, "account deleted, its data not all removed yet", slog.String("username", u.Username),
			slog.Any("error", err), slog.String("request_id", requestID(r)))
	case err != nil:
		// Before the mark nothing is deleted. (If the mark was made and
		// its answer lost, the account is gone, and the form sent again
		// says so.)
		if !a.storeRefusal(w, r, err) {
			failed(fmt.Errorf("app: delete account %q: %w", u.Username, err))
		}
		return
	default:
		a.logger.InfoContext(ctx, "account deleted", slog.String("username", u.Username), slog.String("request_id", requestID(r)))
	}
	if err := a.sessions.Destroy(ctx); err != nil {
		a.serverError(w, r, fmt.Errorf("app: log out deleted account: %w", err))
		return
	}
	a.render(w, r, http.StatusOK, "goodbye", goodbyePage{
		page:    a.newPage(r, "Account deleted"),
		Pending: pending,
		Within:  countOf(int((a.cfg.DeletionGrace+a.cfg.DeletionFinishInterval).Round(time.Minute)/time.Minute), "minute"),
	})
}
