package app

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/clickguard/clickguard/guard"
	"github.com/clickguard/clickguard/internal/store"
)

// publicPage is the data of public.html and embed.html: a read-only view of
// a public item.
type publicPage struct {
	page
	Item store.Item
}

// showPublic shows a public item to anyone, framed by no one.
func (a *App) showPublic(w http.ResponseWriter, r *http.Request) {
	it, _, err := a.store.PublicItem(r.Context(), r.PathValue("id"))
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "public", publicPage{page: a.newPage(r, it.Title), Item: it})
}

// showEmbed shows a public item in a minimal page (no form, no link that
// changes anything, nothing from the viewer's session) that the origins in
// its owner's allowlist, and only those, may frame. The route is registered
// through guard.Embeddable, so until AllowFraming runs, and on every error
// page, the policy is frame-ancestors 'none'; an empty allowlist keeps it so.
func (a *App) showEmbed(w http.ResponseWriter, r *http.Request) {
	it, origins, err := a.store.PublicItem(r.Context(), r.PathValue("id"))
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if len(origins) > 0 {
		if err := guard.AllowFraming(r, origins...); err != nil {
			// Fail closed: the page is still served, framed by no one.
			a.logger.WarnContext(r.Context(), "embed origins not applied",
				slog.Any("error", fmt.Errorf("app: embed %s: %w", it.ID, err)), slog.String("request_id", requestID(r)))
		}
	}
	p := publicPage{
		page: page{
			Title:     it.Title,
			RequestID: requestID(r),
			CSSURL:    a.assets.url("css/app.css"),
			IconURL:   a.assets.url("img/icon.svg"),
		},
		Item: it,
	}
	a.render(w, r, http.StatusOK, "embed", p)
}
