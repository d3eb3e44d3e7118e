package guard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Errors returned by the checks and by [Reason]. Callers branch on them with
// [errors.Is]; the error a check returns wraps one of them with detail.
var (
	// ErrCrossOrigin means an unsafe request came from another origin.
	ErrCrossOrigin = errors.New("guard: cross-origin request")
	// ErrFramed means a navigation request would load a route that is not
	// embeddable into a frame of another origin.
	ErrFramed = errors.New("guard: framed navigation from another origin")
	// ErrCrossSiteConfirmation means a confirmation page
	// ([Guard.ConfirmationHandler]) was requested from another site.
	ErrCrossSiteConfirmation = errors.New("guard: confirmation page requested from another site")
	// ErrToken means an unsafe request carried no token, or one that does not
	// belong to its session.
	ErrToken = errors.New("guard: missing or invalid CSRF token")
	// ErrNotEmbeddable means [AllowFraming] was called outside an embeddable
	// route, or asked for origins the route does not allow.
	ErrNotEmbeddable = errors.New("guard: route is not embeddable")
	// ErrHeaderWritten means [AllowFraming] was called after the response
	// header was written, when the framing policy is already final.
	ErrHeaderWritten = errors.New("guard: response header already written")
)

// The token check's refusals, each one line (errors.Join would put a
// newline in the middle of a log line or a deny page).
var (
	errNoToken       = fmt.Errorf("%w: no token in request", ErrToken)
	errNoSessionTok  = fmt.Errorf("%w: session has no token", ErrToken)
	errTokenMismatch = fmt.Errorf("%w: token does not match the session", ErrToken)
)

type reasonKey struct{}

// Reason returns why guard refused the request, for use inside a deny
// handler. It returns nil when the request was not refused by guard.
func Reason(r *http.Request) error {
	err, _ := r.Context().Value(reasonKey{}).(error)
	return err
}

func withReason(r *http.Request, err error) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), reasonKey{}, err))
}
