package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/clickguard/clickguard/internal/store"
)

// sharesPage is the data of shares.html: who can read an item, the form to
// add someone, and the revoke buttons.
type sharesPage struct {
	page
	Item    store.Item
	Shares  []store.Share
	Grantee string // the user's input
	Errors  formErrors
	Max     int
}

// shareConfirmPage is the data of share_confirm.html.
type shareConfirmPage struct {
	page
	Item    store.Item
	Grantee string
}

// showShares lists an item's shares. With ?with=<username> (what the
// "Share" form submits, by GET) it shows the confirmation for sharing with
// that user instead: sharing takes a second, explicit POST.
func (a *App) showShares(w http.ResponseWriter, r *http.Request) {
	it, ok := a.ownItem(w, r)
	if !ok {
		return
	}
	if _, asked := r.URL.Query()["with"]; asked {
		// Usernames are lower case: one typed with capitals names the same
		// account, as at log-in, and the confirmation shows it as it is.
		grantee := lowerASCII(strings.TrimSpace(r.URL.Query().Get("with")))
		msg, ok := a.checkGrantee(w, r, it, grantee)
		if !ok {
			return
		}
		if msg != "" {
			a.renderShares(w, r, http.StatusUnprocessableEntity, it, grantee, oneError(msg, "with"))
			return
		}
		a.render(w, r, http.StatusOK, "share_confirm", shareConfirmPage{
			page:    a.newPage(r, "Share “"+it.Title+"”?"),
			Item:    it,
			Grantee: grantee,
		})
		return
	}
	a.renderShares(w, r, http.StatusOK, it, "", nil)
}

func (a *App) renderShares(w http.ResponseWriter, r *http.Request, status int, it store.Item, grantee string, errs formErrors) {
	shares, err := a.store.ListShares(r.Context(), it.Owner, it.ID)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.render(w, r, status, "shares", sharesPage{
		page:    a.newPage(r, errorTitle("Sharing “"+it.Title+"”", errs)),
		Item:    it,
		Shares:  shares,
		Grantee: store.Cut(grantee, 64),
		Errors:  errs,
		Max:     store.MaxShares,
	})
}

// validateGrantee returns what is wrong with grantee as a username, or "".
// An empty field gets its own message, which says whose username to enter.
func validateGrantee(grantee string) string {
	if grantee == "" {
		return "Enter the username of the person to share this item with."
	}
	return validateUsername(grantee)
}

// checkGrantee returns what is wrong with sharing it with grantee, or "".
// Looking the name up takes a slot of the lookup throttle (lookupSlot);
// when it is refused, or the store fails, checkGrantee answers the request
// and returns false.
func (a *App) checkGrantee(w http.ResponseWriter, r *http.Request, it store.Item, grantee string) (string, bool) {
	if msg := validateGrantee(grantee); msg != "" {
		return msg, true
	}
	if grantee == it.Owner {
		return "This is your own item: you can already read it.", true
	}
	if it.ShareCount >= store.MaxShares {
		return fmt.Sprintf("This item is already shared with %d users, the most allowed. Revoke a share first.", store.MaxShares), true
	}
	if !a.lookupSlot(w, r) {
		return "", false
	}
	if _, err := a.store.GetUser(r.Context(), grantee); errors.Is(err, store.ErrNotFound) {
		return fmt.Sprintf("There is no user named %q. Check the spelling.", grantee), true
	}
	if _, err := a.store.SharedEntry(r.Context(), grantee, it.ID); err == nil {
		return fmt.Sprintf("This item is already shared with %s.", grantee), true
	}
	return "", true
}

// lookupSlot takes a slot of the throttle of names looked up, for the
// signed-in user and for the client's address (store.LookupThrottleKey),
// before sharing looks a name up, and keeps it: each name counts, found or
// not, so that sharing is not a way to learn which usernames are taken
// much faster than signing up (store.ThrottlePolicy.MaxLookups). When a
// slot is refused (429) or the store fails, it answers the request and
// returns false.
func (a *App) lookupSlot(w http.ResponseWriter, r *http.Request) bool {
	_, ok := a.reserveAttempt(w, r, "name lookup", "You have looked up too many usernames to share with.",
		func(err error) { a.storeError(w, r, err) },
		store.LookupThrottleKey(a.currentUser(r)), store.LookupAddrThrottleKey(throttleAddr(clientAddr(r))))
	return ok
}

// changeShares adds (action=add, after the confirmation page) or revokes
// (action=revoke) one user's read-only access.
func (a *App) changeShares(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	it, ok := a.ownItem(w, r)
	if !ok {
		return
	}
	grantee := strings.TrimSpace(r.PostFormValue("grantee"))
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "add":
		grantee = lowerASCII(grantee)
		if msg := validateGrantee(grantee); msg != "" {
			a.renderShares(w, r, http.StatusUnprocessableEntity, it, grantee, oneError(msg, "with"))
			return
		}
		if !a.lookupSlot(w, r) {
			return
		}
		err := a.store.AddShare(ctx, it.Owner, it.ID, grantee, a.actor(r))
		var msg string
		status := http.StatusUnprocessableEntity
		switch {
		case err == nil:
			a.setFlash(r, fmt.Sprintf("Shared with %s. They can read this item but not change it.", grantee))
			http.Redirect(w, r, "/items/"+it.ID+"/share", http.StatusSeeOther)
			return
		case errors.Is(err, store.ErrSelfShare):
			msg = "This is your own item: you can already read it."
		case errors.Is(err, store.ErrExists):
			msg, status = fmt.Sprintf("This item is already shared with %s.", grantee), http.StatusConflict
		case errors.Is(err, store.ErrLimit):
			msg = fmt.Sprintf("This item is already shared with %d users, the most allowed. Revoke a share first.", store.MaxShares)
		case errors.Is(err, store.ErrAccountGone):
			a.storeError(w, r, err)
			return
		case errors.Is(err, store.ErrNotFound):
			// The item was there a moment ago (ownItem), so it is the user.
			if _, gerr := a.store.GetItem(ctx, it.Owner, it.ID); gerr != nil {
				a.storeError(w, r, gerr)
				return
			}
			msg = fmt.Sprintf("There is no user named %q. Check the spelling.", grantee)
		default:
			a.storeError(w, r, err)
			return
		}
		a.renderShares(w, r, status, it, grantee, oneError(msg, "with"))
	case "revoke":
		err := a.store.RemoveShare(ctx, it.Owner, it.ID, grantee, a.actor(r))
		if errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAccountGone) {
			a.renderShares(w, r, http.StatusConflict, it, "", oneError(fmt.Sprintf("This item was not shared with %q (any more).", store.Cut(grantee, 64))))
			return
		}
		if err != nil {
			a.storeError(w, r, err)
			return
		}
		a.setFlash(r, fmt.Sprintf("%s can no longer read this item.", grantee))
		http.Redirect(w, r, "/items/"+it.ID+"/share", http.StatusSeeOther)
	default:
		a.clientError(w, r, http.StatusBadRequest)
	}
}

// leavePage is the data of item_leave.html: an item shared with the user,
// to be removed from their list.
type leavePage struct {
	page
	Entry store.Share
	Gone  bool // the owner deleted the item; only the entry is left
}

// sharedEntry loads the user's entry for the item of the request's {id},
// which someone shared with them. The user's own item is a 403 that says
// only shared items leave a list; an item they cannot read is a 404. On
// failure it has answered and returns false.
func (a *App) sharedEntry(w http.ResponseWriter, r *http.Request) (store.Share, bool) {
	user, id := a.currentUser(r), r.PathValue("id")
	sh, err := a.store.SharedEntry(r.Context(), user, id)
	if errors.Is(err, store.ErrNotFound) {
		if it, rerr := a.store.ReadableItem(r.Context(), user, id); rerr == nil && it.Owner == user {
			a.clientErrorMsg(w, r, http.StatusForbidden,
				"This is your own item. Only items others shared with you can be removed from your list; to remove your own, delete it.")
			return store.Share{}, false
		}
	}
	if err != nil {
		a.storeError(w, r, err)
		return store.Share{}, false
	}
	return sh, true
}

// showLeave asks to confirm removing an item shared with the user from
// their list: they lose read access, and only the owner can give it back.
func (a *App) showLeave(w http.ResponseWriter, r *http.Request) {
	sh, ok := a.sharedEntry(w, r)
	if !ok {
		return
	}
	_, err := a.store.GetItem(r.Context(), sh.Owner, sh.ItemID)
	gone := errors.Is(err, store.ErrNotFound)
	if err != nil && !gone {
		a.storeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "item_leave", leavePage{
		page:  a.newPage(r, "Remove “"+sh.Title+"” from your list?"),
		Entry: sh,
		Gone:  gone,
	})
}

// leaveItem removes an item shared with the user from their list (after the
// confirmation page), or the entry a deleted item left behind.
func (a *App) leaveItem(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	sh, ok := a.sharedEntry(w, r)
	if !ok {
		return
	}
	err := a.store.LeaveShare(r.Context(), sh.Grantee, sh.ItemID, a.actor(r))
	if errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAccountGone) {
		a.clientErrorMsg(w, r, http.StatusNotFound, fmt.Sprintf("“%s” is no longer shared with you.", sh.Title))
		return
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.setFlash(r, fmt.Sprintf("“%s” is no longer in your list.", sh.Title))
	http.Redirect(w, r, "/items", http.StatusSeeOther)
}
