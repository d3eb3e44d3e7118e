package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

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
// when the store fails, the error page (what names the throttle in the
// error). Either way it returns false and the caller returns.
func (a *App) reserveAttempt(w http.ResponseWriter, r *http.Request, what, why string, keys ...string) (*store.Attempt, bool) {
	attempt, err := a.store.ReserveAttempt(r.Context(), keys...)
	if tm, ok := errors.AsType[*store.TooManyAttemptsError](err); ok {
		a.tooManyAttempts(w, r, tm.RetryAfter, why)
		return nil, false
	}
	if err != nil {
		a.serverError(w, r, fmt.Errorf("app: %s throttle: %w", what, err))
		return nil, false
	}
	return attempt, true
}
