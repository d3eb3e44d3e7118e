package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/store"
)

// newGuard returns the guard for cfg: the strictest policy (the zero Guard)
// plus the trusted origins and proxies, the session-bound token in scs, and
// refusals rendered as the app's 403 page. mux lets a framed navigation
// reach the one kind of route that may be framed (guard.Embeddable).
func (a *App) newGuard(mux *http.ServeMux) (*guard.Guard, error) {
	g := &guard.Guard{
		Routes:         mux,
		Sessions:       a.sessions,
		DenyHandler:    http.HandlerFunc(a.denied),
		Logger:         slog.New(requestIDHandler{a.logger.Handler()}),
		TrustedProxies: a.cfg.TrustedProxies,
	}
	for _, o := range a.cfg.TrustedOrigins {
		if err := g.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("app: trusted origin %q: %w", o, err)
		}
	}
	return g, nil
}

// requestIDHandler adds the request's ID to every record guard logs, so
// that a refusal's Warn line has the ID its 403 page shows.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo); ri != nil {
		rec.AddAttrs(slog.String("request_id", ri.id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// denied renders guard's refusals: a 403 page saying what to do, without
// the reason's detail (guard has logged it at Warn).
func (a *App) denied(w http.ResponseWriter, r *http.Request) {
	msg := "This request was refused."
	switch err := guard.Reason(r); {
	case errors.Is(err, guard.ErrCrossSiteConfirmation):
		// A confirmation page opened from another site: the way on is the
		// page it confirms from, the item or the account.
		data := a.errorData(r, http.StatusForbidden,
			"This page changes your data with one click, so it opens only from clickguard's own pages, never from another site. Nothing was changed.")
		data.NextHref, data.NextText = confirmedFrom(r)
		a.renderErrorPage(w, r, data)
		return
	case guard.BodyTooLarge(err):
		// The token check could not read a body cut off at the limit, or
		// of more parts than net/http takes.
		a.tooLarge(w, r)
		return
	case errors.Is(err, guard.ErrToken):
		// Mostly a form that outlived its session: keep what was typed.
		a.outlived(w, r)
		return
	case errors.Is(err, guard.ErrCrossOrigin):
		msg = "Changes can only be made from clickguard's own pages. If another site sent you here, open clickguard directly."
	case errors.Is(err, guard.ErrFramed):
		msg = "This page cannot be shown inside another site. Open it directly."
	default:
		a.logger.WarnContext(r.Context(), "request refused", slog.Any("error", err), slog.String("request_id", requestID(r)))
	}
	a.renderError(w, r, http.StatusForbidden, msg)
}

// csrfToken returns the masked session-bound token for a form on this page,
// or "" outside the token layer (unprotected build, pages outside sessions).
func (a *App) csrfToken(r *http.Request) string {
	if a.guard == nil || !hasSession(r) {
		return ""
	}
	return a.guard.Token(r)
}

// renewCSRF replaces the session's token; call it after scs RenewToken.
func (a *App) renewCSRF(r *http.Request) {
	if a.guard != nil {
		a.guard.RenewToken(r.Context())
	}
}

// confirmedFrom returns the page whose link leads to the confirmation page
// that r asked for, and the text of a link to it: /account for the account's
// pages and /export, the item for the item routes. The link is built from the
// route's {id} only when it has the shape of an item id, never from the raw
// path: an id like "..%2Fitems%2F<id>%2Fdelete" would otherwise turn the
// refusal's link into a same-origin link to another confirmation page.
func confirmedFrom(r *http.Request) (href, text string) {
	if strings.HasPrefix(r.URL.Path, "/account/") || r.URL.Path == "/export" {
		return "/account", "Go to your account"
	}
	if id := r.PathValue("id"); store.ValidID(id) {
		return "/items/" + id, "Go to the item"
	}
	return "/items", "Go to your items"
}
