package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/clickguard/clickguard/internal/store"
)

// A form outlives its session when the user logs out in another tab, stays
// away longer than the idle timeout, or logs out and in again: its token
// belongs to a session that has ended, and the token layer refuses it.
// Where the user typed text into the form, the refusal must not lose it.
// The routes of such forms name an expired handler (Route.expired), which
// answers the refusal instead of the plain 403 page:
//
//   - to a user who is logged in now (the form came from an earlier
//     session), the same form again, filled in with what was sent and
//     carrying a token of this session, to check and send again;
//   - to a visitor who is not, what was sent, in read-only fields to copy,
//     and a way to log in that leaves the page open.
//
// Only requests that passed guard's cross-origin check get here, so the text
// shown is the user's own, sent from one of the application's pages.

// unsavedPage is the data of unsaved.html: what a refused form held. The
// page offers a visitor the login page, in a new tab, which goes on to the
// form, and a user who is logged in their items.
type unsavedPage struct {
	page
	Message string
	Fields  []unsavedField
	// Login is the address of the login page that goes on to the form.
	Login string
	// Reopen says that the user may still be logged in: the link to Login
	// is named for opening the form again, not for logging in.
	Reopen bool
}

// unsavedField is one field of a refused form, shown to be copied.
type unsavedField struct {
	Label     string
	Value     string
	Multiline bool
}

// expiredLoggedIn is the message above a form sent again to its author.
const expiredLoggedIn = "The form had expired: it was made for an earlier session (you logged out and in again, perhaps in another tab), so nothing was saved. Check what you entered and send it again."

// sessionEnded begins what a visitor whose session ended is told: before
// the form was sent, or while it was on its way (sessionEndedMeanwhile).
const sessionEnded = "Your session ended before this form went through (it ends when you log out, in this browser or another, or after a time without activity)"

// outlived answers a form that outlived its session with its route's
// expired handler, which keeps what the form held, or, for a route
// without one, with expiredForm.
func (a *App) outlived(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.expired.Handler(r); pattern != "" {
		a.expired.ServeHTTP(w, r)
		return
	}
	a.expiredForm(w, r)
}

// sessionEndedMeanwhile answers a change the store refused because the
// request's session ended while the request was on its way
// (store.ErrSessionEnded): it was logged out or signed out in another tab
// or browser, or ended by a password change or the account's deletion.
// Nothing was changed. The request is answered as the next one of that
// session will be, a logged-out visitor's, and its form as one that
// outlived its session: what the user typed comes back, to copy, with a
// way to log in again.
func (a *App) sessionEndedMeanwhile(w http.ResponseWriter, r *http.Request) {
	// Clearing the session's values writes nothing now, and scs's commit
	// of them at the end of the request meets the tombstone and is
	// dropped (store.Sessions.CommitCtx): the session stays ended.
	if err := a.sessions.Clear(r.Context()); err != nil {
		a.serverError(w, r, fmt.Errorf("app: clear an ended session: %w", err))
		return
	}
	a.outlived(w, r)
}

// expiredForm answers a refused form that holds nothing worth keeping.
func (a *App) expiredForm(w http.ResponseWriter, r *http.Request) {
	msg := "The form had expired or did not come from this page. Go back, reload the page and submit the form again."
	if a.currentUser(r) == "" {
		msg = sessionEnded + ", so nothing was done. Log in and do it again."
	}
	a.renderError(w, r, http.StatusForbidden, msg)
}

// renderUnsaved shows, with status, the fields of a form that was not
// saved, under msg; form is the page of the form, where they can be
// entered again.
func (a *App) renderUnsaved(w http.ResponseWriter, r *http.Request, status int, msg string, fields []unsavedField, form string) {
	a.render(w, r, status, "unsaved", unsavedPage{page: a.basePage(r, "Not saved"), Message: msg, Fields: fields, Login: loginTo(form)})
}

// unsavedForVisitor is the message above what a visitor whose session ended
// had sent; what names it.
func unsavedForVisitor(what string) string {
	return sessionEnded + ", so " + what + " was not saved. It is below: copy it, log in (the link opens the form in a new tab, so that this page stays open), and enter it again."
}

// itemExpired answers a refused item form (new or edit): the form again for
// its author, with the version it was made for, so that a change made since
// is still caught; the text to copy for anyone else.
func (a *App) itemExpired(w http.ResponseWriter, r *http.Request) {
	title, body := r.PostForm.Get("title"), r.PostForm.Get("body")
	if title == "" && body == "" {
		a.expiredForm(w, r)
		return
	}
	id := r.PathValue("id")
	form := "/items/new"
	if id != "" {
		form = "/items/" + url.PathEscape(id) + "/edit"
	}
	if user := a.currentUser(r); user != "" {
		var it store.Item
		if id != "" {
			cur, err := a.store.GetItem(r.Context(), user, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				a.logger.ErrorContext(r.Context(), "read item for an expired form", slog.Any("error", err), slog.String("request_id", requestID(r)))
			}
			v, verr := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
			if err != nil || verr != nil || v < 1 {
				// Not this user's item (or the store failed), or not a
				// form of ours: show the text to copy, as to a visitor.
				a.renderUnsaved(w, r, http.StatusForbidden, "The form had expired: it was made for an earlier session, so nothing was saved, and the item cannot be edited from here. Your text is below.", itemFields(title, body), form)
				return
			}
			it = cur
			it.Version = v // the version the user started from
		}
		a.renderItemForm(w, r, http.StatusForbidden, it, title, body, oneError(expiredLoggedIn))
		return
	}
	a.renderUnsaved(w, r, http.StatusForbidden, unsavedForVisitor("your text"), itemFields(title, body), form)
}

func itemFields(title, body string) []unsavedField {
	return []unsavedField{{Label: "Title", Value: title}, {Label: "Text", Value: body, Multiline: true}}
}

// originsExpired answers a refused change of the embed allowlist.
func (a *App) originsExpired(w http.ResponseWriter, r *http.Request) {
	field := r.PostForm.Get("origins")
	if field == "" {
		a.expiredForm(w, r)
		return
	}
	if a.currentUser(r) != "" {
		v, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
		if err != nil || v < 1 {
			a.expiredForm(w, r) // not a form of ours
			return
		}
		a.renderAccount(w, r, http.StatusForbidden, v, field, oneError(expiredLoggedIn, "origins"), nil)
		return
	}
	a.renderUnsaved(w, r, http.StatusForbidden, unsavedForVisitor("the embed allowlist"), originsFields(field), "/account")
}

func originsFields(field string) []unsavedField {
	return []unsavedField{{Label: "Sites that may embed your public items", Value: field, Multiline: true}}
}

// newItemTyped is what the new-item form held (Route.typed).
func newItemTyped(r *http.Request) ([]unsavedField, string) {
	return itemTyped(r), "/items/new"
}

// editItemTyped is what an item's edit form held (Route.typed); the form
// posts to its own page.
func editItemTyped(r *http.Request) ([]unsavedField, string) {
	return itemTyped(r), r.URL.EscapedPath()
}

func itemTyped(r *http.Request) []unsavedField {
	title, body := r.PostForm.Get("title"), r.PostForm.Get("body")
	if title == "" && body == "" {
		return nil
	}
	return itemFields(title, body)
}

// originsTyped is what the embed allowlist's form held (Route.typed).
func originsTyped(r *http.Request) ([]unsavedField, string) {
	field := r.PostForm.Get("origins")
	if field == "" {
		return nil, ""
	}
	return originsFields(field), "/account"
}

// typedBack answers err, the failure to read the session of a form whose
// route keeps what the user typed (Route.typed), with the unsaved page:
// the text sent, to copy, and a link that opens the form again in a new
// tab (after a login, should the session have ended). There is no session,
// so the page has no form and no token; nothing was saved, and the status
// is that of the failure (503 when DynamoDB did not answer). It reports
// whether it answered: not for another route or method, a form that does
// not parse or one with nothing typed.
func (a *App) typedBack(w http.ResponseWriter, r *http.Request, err error) bool {
	if r.Method != http.MethodPost {
		return false
	}
	_, pattern := a.mux.Handler(r)
	typed := a.typed[pattern]
	if typed == nil || r.ParseForm() != nil {
		return false
	}
	fields, form := typed(r)
	if fields == nil {
		return false
	}
	status := a.failed(w, r, err)
	why, when := "something went wrong on the server", ""
	if status == http.StatusServiceUnavailable {
		why, when = "the database did not answer in time", " in a moment"
	}
	msg := "Your session could not be read just now: " + why + ", so nothing was saved. What you entered is below: copy it, and send it again" + when + " from the form, which the link opens in a new tab, so that this page stays open."
	a.render(w, r, status, "unsaved", unsavedPage{page: a.basePage(r, "Not saved"), Message: msg, Fields: fields, Login: loginTo(form), Reopen: true})
	return true
}

// loginExpired answers a refused login: the form again, with the username
// sent, to enter the password again.
func (a *App) loginExpired(w http.ResponseWriter, r *http.Request) {
	a.accountFormExpired(w, r, a.renderLogin, "you are not logged in. Enter your password again.")
}

// signupExpired answers a refused sign-up as loginExpired answers a login.
func (a *App) signupExpired(w http.ResponseWriter, r *http.Request) {
	a.accountFormExpired(w, r, a.renderSignup, "no account was created. Enter a password again.")
}

// accountFormExpired renders a refused login or sign-up form again with its
// username, saying that outcome. A user who is logged in by now, who has
// neither form, gets the plain refusal.
func (a *App) accountFormExpired(w http.ResponseWriter, r *http.Request, render func(http.ResponseWriter, *http.Request, int, string, formErrors), outcome string) {
	if a.currentUser(r) != "" {
		a.expiredForm(w, r)
		return
	}
	render(w, r, http.StatusForbidden, shownUsername(r), oneError("This page was open so long that its form expired, so "+outcome, "password"))
}

// shownUsername is the username of a login or sign-up form, as the form
// shows it back.
func shownUsername(r *http.Request) string {
	return store.Cut(strings.TrimSpace(r.PostForm.Get("username")), 64)
}
