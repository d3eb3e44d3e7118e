package app

import (
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
