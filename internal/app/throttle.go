package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/clickguard/clickguard/internal/store"
)

// releaseAttempt gives back the throttle slot of an attempt whose password
// was right. If that fails, the slot stays taken until its window ends, as
// if the password had been wrong; that only makes the throttle stricter, so
// it is logged and the request goes on.
func (a *App) releaseAttempt(r *http.Request, attempt *store.Attempt) {
	if err := attempt.Release(r.Context()); err != nil {
		a.logger.WarnContext(r.Context(), "throttle slot not given back", slog.Any("error", err), slog.String("request_id", requestID(r)))
	}
}

// reserveAttempt takes a slot for one attempt in the throttle of each of
// keys (store.ReserveAttempt) before the password is checked. When a key
// has used up its limit it answers 429, saying why and when to try again;
// when the store fails, it calls failed, which answers (what names the
// throttle in the error). Either way it returns false and the caller
// returns.
func (a *App) reserveAttempt(w http.ResponseWriter, r *http.Request, what, why string, failed func(error), keys ...string) (*store.Attempt, bool) {
	attempt, err := a.store.ReserveAttempt(r.Context(), keys...)
	if tm, ok := errors.AsType[*store.TooManyAttemptsError](err); ok {
		a.tooManyAttempts(w, r, tm.RetryAfter, why)
		return nil, false
	}
	if err != nil {
		failed(fmt.Errorf("app: %s throttle: %w", what, err))
		return nil, false
	}
	return attempt, true
}

// failedLogins is what a successful login learns of the other attempts for
// its account: n of them in the throttle window that started at since, as
// read at read.
type failedLogins struct {
	n           int
	since, read time.Time
}

// readFailedLogins reads, once the password proved right and before attempt
// gives its slots back, how many other attempts the account's throttle key
// (store.UserThrottleKey, as login reserved it) counted in the window the
// attempt was counted in (store.Attempt.Others): failed ones, and any
// still being checked at that moment, which may yet succeed. Failures in
// earlier windows are not told. A read that fails is logged and tells
// none: the login matters more than the notice.
func (a *App) readFailedLogins(r *http.Request, attempt *store.Attempt, key string) failedLogins {
	n, since, err := attempt.Others(r.Context(), key)
	if err != nil {
		a.logger.WarnContext(r.Context(), "failed logins not read", slog.Any("error", err), slog.String("request_id", requestID(r)))
		return failedLogins{}
	}
	return failedLogins{n: n, since: since, read: time.Now()}
}

// notice is the message shown to the account's owner after logging in, or
// "" when there were no failures.
func (f failedLogins) notice() string {
	if f.n == 0 {
		return ""
	}
	verb := "were"
	if f.n == 1 {
		verb = "was"
	}
	return "There " + verb + " " + countOf(f.n, "failed log-in attempt") + " for your account since " + clockText(f.since, f.read) +
		". If that was not you, look at Activity and change your password under Account."
}

// detail is the detail of the login's entry in the activity log, or "".
func (f failedLogins) detail() string {
	if f.n == 0 {
		return ""
	}
	return "after " + countOf(f.n, "failed attempt") + " since " + clockText(f.since, f.read)
}

// clockText says when t was, in UTC, to someone at now: "14:00 UTC", with
// the seconds unless t is on the minute, and with the date ("3 Mar 2026
// 23:45 UTC") if t was on another day.
func clockText(t, now time.Time) string {
	t = t.UTC()
	layout := "15:04"
	if t.Second() != 0 {
		layout = "15:04:05"
	}
	if t.Format(time.DateOnly) != now.UTC().Format(time.DateOnly) {
		layout = "2 Jan 2006 " + layout
	}
	return t.Format(layout) + " UTC"
}
