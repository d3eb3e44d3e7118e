package app

import (
	"errors"
	"net/http"

	"github.com/clickguard/clickguard/internal/store"
)

// visibilityPage is the data of visibility.html: the confirmation of a
// switch between private and public, saying what public means.
type visibilityPage struct {
	page
	Item      store.Item
	PublicURL string
	EmbedURL  string
	Origins   []string // the owner's embed allowlist
}

// showVisibility asks to confirm making an item public (or private again).
func (a *App) showVisibility(w http.ResponseWriter, r *http.Request) {
	it, ok := a.ownItem(w, r)
	if !ok {
		return
	}
	u, err := a.store.GetUser(r.Context(), it.Owner)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	title := "Make “" + it.Title + "” public?"
	if it.Public {
		title = "Make “" + it.Title + "” private?"
	}
	a.render(w, r, http.StatusOK, "visibility", visibilityPage{
		page:      a.newPage(r, title),
		Item:      it,
		PublicURL: "/p/" + it.ID,
		EmbedURL:  "/embed/" + it.ID,
		Origins:   u.EmbedOrigins,
	})
}

// setVisibility applies the confirmed switch at the version the
// confirmation page showed.
func (a *App) setVisibility(w http.ResponseWriter, r *http.Request) {
	it, version, ok := a.ownItemForm(w, r)
	if !ok {
		return
	}
	var public bool
	switch r.PostFormValue("public") {
	case "true":
		public = true
	case "false":
	default:
		a.clientError(w, r, http.StatusBadRequest)
		return
	}
	if it.Public == public {
		// Already so (a second tab, a double submit): nothing to write, and
		// no new version to make an edit open elsewhere conflict.
		if public {
			a.setFlash(r, "The item was already public.")
		} else {
			a.setFlash(r, "The item was already private.")
		}
		http.Redirect(w, r, "/items/"+it.ID, http.StatusSeeOther)
		return
	}
	err := a.store.SetVisibility(r.Context(), it.Owner, it.ID, version, public, a.actor(r))
	if errors.Is(err, store.ErrConflict) {
		a.clientErrorMsg(w, r, http.StatusConflict,
			"The item changed after the confirmation page was shown, so its visibility was not changed. Open it and review it again.")
		return
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if public {
		a.setFlash(r, "The item is now public: anyone with its link can read it.")
	} else {
		a.setFlash(r, "The item is private again: only you and the people you shared it with can read it.")
	}
	http.Redirect(w, r, "/items/"+it.ID, http.StatusSeeOther)
}
