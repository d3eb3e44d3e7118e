package app

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/clickguard/clickguard/internal/store"
)

// serverError logs err with the request's attributes and renders the generic
// error page; the browser never sees err's text. When DynamoDB is unavailable
// (store.ErrUnavailable) the page is a 503 that says to try again, and the log
// line is a warning: the fault is not in this process.
func (a *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	a.serverErrorMsg(w, r, err, "")
}

// serverErrorMsg is serverError with message saying what happened, for a
// failure after which trying again is not the answer (the change was made).
func (a *App) serverErrorMsg(w http.ResponseWriter, r *http.Request, err error, message string) {
	status := a.failed(w, r, err)
	if message == "" && errors.Is(err, errBusy) {
		message = "The server is checking too many passwords right now. Wait a moment and try again."
	}
	a.renderError(w, r, status, message)
}

// failed logs err, a failure of the server or of DynamoDB, with the
// request's attributes, and returns the status to answer with: 503, with
// Retry-After set, when DynamoDB is unavailable (store.ErrUnavailable) or
// the server too busy (errBusy), logged as a warning, since the fault is
// not in this process; 500 otherwise.
func (a *App) failed(w http.ResponseWriter, r *http.Request, err error) int {
	status := http.StatusInternalServerError
	if outsideFault(err) {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	a.logFailure(r, "request failed", err)
	return status
}

// outsideFault reports whether err is a fault outside this process:
// DynamoDB unavailable, or the server too busy.
func outsideFault(err error) bool {
	return errors.Is(err, store.ErrUnavailable) || errors.Is(err, errBusy)
}

// logFailure logs msg with err and the request's ID, method and pattern,
// and attrs beside them: at Warn for a fault outside this process
// (outsideFault), at Error otherwise.
func (a *App) logFailure(r *http.Request, msg string, err error, attrs ...any) {
	level := slog.LevelError
	if outsideFault(err) {
		level = slog.LevelWarn
	}
	a.logger.Log(r.Context(), level, msg,
		slog.Any("error", err),
		slog.Group("request", append([]any{
			slog.String("id", requestID(r)),
			slog.String("method", r.Method),
			slog.String("pattern", r.Pattern),
		}, attrs...)...),
	)
}

// clientError renders the error page for a 4xx status with the standard
// explanation for that status.
func (a *App) clientError(w http.ResponseWriter, r *http.Request, status int) {
	a.renderError(w, r, status, "")
}

// clientErrorMsg renders the error page for a 4xx status with message saying
// what to do about it.
func (a *App) clientErrorMsg(w http.ResponseWriter, r *http.Request, status int, message string) {
	a.renderError(w, r, status, message)
}

// tooManyAttempts answers 429 to a password attempt the throttle refused:
// Retry-After is the time left in the throttle's window, and the page says
// why, then when to try again.
func (a *App) tooManyAttempts(w http.ResponseWriter, r *http.Request, retry time.Duration, why string) {
	secs := max(1, int(math.Ceil(retry.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	when := "in a minute"
	if secs > 60 {
		when = fmt.Sprintf("in %d minutes", (secs+59)/60)
	}
	a.clientErrorMsg(w, r, http.StatusTooManyRequests, why+" Try again "+when+".")
}

// sharedItemGone renders the page of an item that was shared with the user
// and deleted since, while the user's entry for it is still there (see
// store.ErrSharedItemGone): 410, and the way to remove the entry.
func (a *App) sharedItemGone(w http.ResponseWriter, r *http.Request) {
	data := a.errorData(r, http.StatusGone,
		"Its owner deleted this item after sharing it with you. It is still in your list because the delete did not finish.")
	data.NextHref, data.NextText = "/items/"+r.PathValue("id")+"/leave", "Remove it from your list…"
	a.renderErrorPage(w, r, data)
}

// errorTexts gives each status the error page knows a heading and a default
// message; both are fixed text, never derived from an error.
var errorTexts = map[int][2]string{
	http.StatusBadRequest:            {"That request could not be understood", "The form was incomplete or malformed. Go back, check the fields and try again."},
	http.StatusUnauthorized:          {"Please log in", "You need to log in to see this page."},
	http.StatusForbidden:             {"Not allowed", "This request was refused. If you followed a link or submitted a form on another site, open clickguard directly and try again."},
	http.StatusNotFound:              {"Page not found", "There is nothing here, or it is not yours to see. Check the address."},
	http.StatusMethodNotAllowed:      {"Method not allowed", "This address does not accept that kind of request. Changes are only made by submitting the form on the page."},
	http.StatusGone:                  {"Deleted by its owner", "This item was deleted by its owner."},
	http.StatusConflict:              {"Changed in the meantime", "Someone changed this while you were looking at it. Reload the page and try again."},
	http.StatusRequestEntityTooLarge: {"Too much data", "The form you sent was larger than clickguard accepts. Shorten the text and try again."},
	http.StatusUnprocessableEntity:   {"Please check the form", "Some fields were not valid. Go back, correct them and try again."},
	http.StatusTooManyRequests:       {"Too many attempts", "There have been too many attempts. Wait a few minutes and try again."},
	http.StatusInternalServerError:   {"Something went wrong", "The server could not complete the request. It has been logged; try again later."},
	http.StatusServiceUnavailable:    {"Temporarily unavailable", "The database is not answering right now. Wait a moment and try again."},
}

// renderError renders templates/pages/error.html for status. A template
// failure here falls back to plain text: the error page must not recurse.
func (a *App) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	a.renderErrorPage(w, r, a.errorData(r, status, message))
}

// errorData returns the data of the error page for status, with message or
// the status's default one.
func (a *App) errorData(r *http.Request, status int, message string) errorPage {
	texts, ok := errorTexts[status]
	if !ok {
		texts = [2]string{http.StatusText(status), ""}
	}
	if message == "" {
		message = texts[1]
	}
	return errorPage{
		page:    a.basePage(r, texts[0]),
		Status:  status,
		Heading: texts[0],
		Message: message,
	}
}

// renderErrorPage renders templates/pages/error.html with data.
func (a *App) renderErrorPage(w http.ResponseWriter, r *http.Request, data errorPage) {
	t := a.pages["error"]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		a.logger.ErrorContext(r.Context(), "render error page", slog.Any("error", err), slog.String("request_id", requestID(r)))
		http.Error(w, http.StatusText(data.Status), data.Status)
		return
	}
	writePage(w, data.Status, buf.Bytes())
}
