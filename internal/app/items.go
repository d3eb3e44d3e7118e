package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/clickguard/clickguard/internal/store"
)

// itemsPerPage is the length of one page of /items.
const itemsPerPage = 20

// itemsPage is the data of items.html: one page of the user's items and
// the items shared with the user, newest first.
type itemsPage struct {
	page
	Entries []store.ListEntry
	Next    string // cursor of the following page, "" on the last
	Paged   bool   // this is not the first page
}

// itemFormPage is the data of item_form.html, for a new item and an edit.
type itemFormPage struct {
	page
	Heading   string     // the page's <h1>: "New item" or "Edit item"
	Item      store.Item // ID and Version are set when editing
	ItemTitle string     // the user's input
	Body      string
	Errors    formErrors
	MaxTitle  int
	MaxBody   int
}

// itemPage is the data of item.html.
type itemPage struct {
	page
	Item    store.Item
	IsOwner bool
	Size    string
}

// conflictPage is the data of item_conflict.html: an edit based on an old
// version, shown beside the current text.
type conflictPage struct {
	page
	Current   store.Item
	MineTitle string
	MineBody  string
	MaxTitle  int
	MaxBody   int
}

// deletePage is the data of item_delete.html: exactly what a delete removes.
type deletePage struct {
	page
	Item   store.Item
	Size   string
	Shares []store.Share
}

// listItems shows one page of the user's items, newest first.
func (a *App) listItems(w http.ResponseWriter, r *http.Request) {
	cursor := r.URL.Query().Get("cursor")
	p, err := a.store.ListItems(r.Context(), a.currentUser(r), cursor, itemsPerPage)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "items", itemsPage{
		page:    a.navPage(r, "Your items", "/items"),
		Entries: p.Items,
		Next:    p.Next,
		Paged:   cursor != "",
	})
}

// showNewItem shows the empty item form.
func (a *App) showNewItem(w http.ResponseWriter, r *http.Request) {
	a.renderItemForm(w, r, http.StatusOK, store.Item{}, "", "", nil)
}

// editTitle returns the <title> of the edit page of the item titled title,
// which the conflict page after it begins with too.
func editTitle(title string) string {
	return "Edit “" + title + "”"
}

func (a *App) renderItemForm(w http.ResponseWriter, r *http.Request, status int, it store.Item, title, body string, errs formErrors) {
	// The <title> of an edit page names the item, so that two of them in
	// tabs or in the history are told apart.
	heading, pageTitle := "New item", "New item"
	if it.ID != "" {
		heading, pageTitle = "Edit item", editTitle(it.Title)
	}
	a.render(w, r, status, "item_form", itemFormPage{
		page:      a.newPage(r, errorTitle(pageTitle, errs)),
		Heading:   heading,
		Item:      it,
		ItemTitle: title,
		Body:      body,
		Errors:    errs,
		MaxTitle:  store.MaxTitleRunes,
		MaxBody:   store.MaxBodyBytes,
	})
}

// validateItem returns what is wrong with an item's fields, one message per
// problem, precise enough to fix them.
func validateItem(title, body string) formErrors {
	var errs formErrors
	switch n := utf8.RuneCountInString(title); {
	case !hasVisible(title):
		errs.add("Enter a title.", "title")
	case n > store.MaxTitleRunes:
		errs.add(fmt.Sprintf("The title is %d characters long; the limit is %d.", n, store.MaxTitleRunes), "title")
	}
	if len(body) > store.MaxBodyBytes {
		errs.add(fmt.Sprintf("The text is %d bytes long; the limit is %d bytes (%s).", len(body), store.MaxBodyBytes, formatSize(store.MaxBodyBytes)), "body")
	}
	titleOK, bodyOK := utf8.ValidString(title), utf8.ValidString(body)
	if !titleOK {
		errs.add("The title contains bytes that are not valid UTF-8.", "title")
	}
	if !bodyOK {
		errs.add("The text contains bytes that are not valid UTF-8.", "body")
	}
	if !titleOK || !bodyOK {
		return errs
	}
	if r, ok := firstDisallowed(title, titleRune); !ok {
		errs.add(fmt.Sprintf("The title contains %U, an invisible character a title may not hold (a line break, a control or a text-direction character); remove it.", r), "title")
	}
	if r, ok := firstDisallowed(body, bodyRune); !ok {
		errs.add(fmt.Sprintf("The text contains %U, an invisible control character; remove it.", r), "body")
	}
	if n := longestMarkRun(title); n > maxMarkRun {
		errs.add(fmt.Sprintf("The title stacks %d combining marks on one character; at most %d may, or they draw over the text around it.", n, maxMarkRun), "title")
	}
	if n := longestMarkRun(body); n > maxMarkRun {
		errs.add(fmt.Sprintf("The text stacks %d combining marks on one character; at most %d may, or they draw over the text around it.", n, maxMarkRun), "body")
	}
	return errs
}

// maxMarkRun is the most combining marks a title or text may stack on one
// character. Writing needs a few (Vietnamese two, pointed and cantillated
// Hebrew or Tibetan stacks four or five); dozens draw far outside their
// line, over the rows above in another user's list of shared items and over
// the page's own heading and header.
const maxMarkRun = 8

// longestMarkRun returns the length of the longest run of non-spacing and
// enclosing marks (Unicode categories Mn and Me) in s. Format characters
// (Cf: zero-width joiners and non-joiners, word joiners and the like) show
// nothing and break no run: marks on either side of them stack on the same
// character.
func longestMarkRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me):
			run++
			longest = max(longest, run)
		case !unicode.Is(unicode.Cf, r):
			run = 0
		}
	}
	return longest
}

// hasVisible reports whether s has a character that shows: a title made
// only of spaces or zero-width characters would be an invisible link.
func hasVisible(s string) bool {
	for _, r := range s {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) {
			return true
		}
	}
	return false
}

// firstDisallowed returns the first rune of s that allowed refuses, and
// false; or true when every rune is allowed.
func firstDisallowed(s string, allowed func(rune) bool) (rune, bool) {
	for _, r := range s {
		if !allowed(r) {
			return r, false
		}
	}
	return 0, true
}

// bodyRune reports whether r may appear in an item's text: anything but the
// C0 and C1 control characters and DEL, except tab and the line breaks a
// textarea sends.
func bodyRune(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return true
	}
	return !unicode.IsControl(r)
}

// titleRune reports whether r may appear in a title. A title is shown on
// one line beside text the application writes ("shared by alice"), also in
// other users' lists, so besides control characters (line breaks included)
// it may not hold the bidirectional embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069) that would reorder that text and make it
// say something else. The marks U+200E, U+200F and U+061C, which right-to-left
// text needs, are allowed.
func titleRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return false
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return false
	}
	return true
}

// createItem stores a new item from the form and shows it.
func (a *App) createItem(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	title, body := r.PostFormValue("title"), r.PostFormValue("body")
	if errs := validateItem(title, body); errs != nil {
		a.renderItemForm(w, r, http.StatusUnprocessableEntity, store.Item{}, title, body, errs)
		return
	}
	it, err := a.store.CreateItem(r.Context(), a.currentUser(r), title, body, a.actor(r))
	if errors.Is(err, store.ErrLimit) {
		// The fields passed validateItem, so it is the number of items.
		msg := fmt.Sprintf("Your account holds %s, the most it may. Delete some before creating more; this text is not saved yet.", countOf(a.store.ItemLimit(), "item"))
		a.renderItemForm(w, r, http.StatusUnprocessableEntity, store.Item{}, title, body, oneError(msg))
		return
	}
	if err != nil {
		a.saveFailed(w, r, err, "The item", func(status int, msg string) {
			// A write whose answer was lost may have been made.
			msg += " If the item is in your list by then, it was saved after all: do not send it twice."
			a.renderItemForm(w, r, status, store.Item{}, title, body, oneError(msg))
		})
		return
	}
	a.setFlash(r, "Item created.")
	http.Redirect(w, r, "/items/"+it.ID, http.StatusSeeOther)
}

// showItem shows an item its owner or a grantee may read.
func (a *App) showItem(w http.ResponseWriter, r *http.Request) {
	user := a.currentUser(r)
	it, err := a.store.ReadableItem(r.Context(), user, r.PathValue("id"))
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "item", itemPage{
		page:    a.newPage(r, it.Title),
		Item:    it,
		IsOwner: it.Owner == user,
		Size:    formatSize(len(it.Body)),
	})
}

// ownItem loads the item of the request's {id} for a change only its owner
// may make. Another user's item is a 404, whether it exists or not; an item
// shared with the user is a 403 that says it is read-only. On failure it has
// answered and returns false.
func (a *App) ownItem(w http.ResponseWriter, r *http.Request) (store.Item, bool) {
	return a.ownItemOr(w, r, func(err error) { a.storeError(w, r, err) })
}

// ownItemOr is ownItem with failed, not storeError, answering an error of
// the store's read.
func (a *App) ownItemOr(w http.ResponseWriter, r *http.Request, failed func(error)) (store.Item, bool) {
	user := a.currentUser(r)
	it, err := a.store.ReadableItem(r.Context(), user, r.PathValue("id"))
	if err != nil {
		failed(err)
		return store.Item{}, false
	}
	if it.Owner != user {
		a.clientErrorMsg(w, r, http.StatusForbidden,
			fmt.Sprintf("%s shared this item with you read-only: only they can edit, delete, share or publish it.", it.Owner))
		return store.Item{}, false
	}
	return it, true
}

// showEditItem shows the edit form with the current text and version.
func (a *App) showEditItem(w http.ResponseWriter, r *http.Request) {
	it, ok := a.ownItem(w, r)
	if !ok {
		return
	}
	a.renderItemForm(w, r, http.StatusOK, it, it.Title, it.Body, nil)
}

// formVersion reads the version field of a confirmation or edit form. A
// missing or malformed version is a 400: the form did not come from us.
func (a *App) formVersion(w http.ResponseWriter, r *http.Request) (int64, bool) {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || v < 1 {
		a.clientErrorMsg(w, r, http.StatusBadRequest, "The form is missing the version of the item it was made for. Reload the page and try again.")
		return 0, false
	}
	return v, true
}

// ownItemForm reads a form that changes the request's item at a version:
// it parses the form, loads the item for its owner (ownItem) and reads the
// version the form was made for (formVersion). On failure it has answered
// and returns false.
func (a *App) ownItemForm(w http.ResponseWriter, r *http.Request) (store.Item, int64, bool) {
	if !a.parseForm(w, r) {
		return store.Item{}, 0, false
	}
	it, ok := a.ownItem(w, r)
	if !ok {
		return store.Item{}, 0, false
	}
	version, ok := a.formVersion(w, r)
	if !ok {
		return store.Item{}, 0, false
	}
	return it, version, true
}

// editItem saves an edit if nobody changed the item since the form was
// rendered; otherwise it answers 409 with both texts side by side.
//
// The text sent is never lost: when a read of the item fails (its owner
// checked before the save, its current text after a lost race) as a save
// can, the form comes back filled in, as after a failed save; when the item
// is gone (deleted in another tab), the text comes back to copy.
func (a *App) editItem(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	title, body := r.PostFormValue("title"), r.PostFormValue("body")
	// The version the edit started from, if the form is one of ours
	// (formVersion refuses it otherwise, once the item is read).
	v, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	ours := verr == nil && v >= 1
	// it is the item as the form shows it again; until the item is read,
	// the title sent stands for its own.
	it := store.Item{ID: r.PathValue("id"), Title: title, Version: v}
	// failed answers err, an error of the store: a gone item shows the
	// text sent, to copy; a failure brings the form back with it.
	failed := func(err error) {
		switch {
		case itemGone(err):
			a.itemGone(w, r, title, body)
		case !ours:
			a.storeError(w, r, err)
		default:
			a.saveFailed(w, r, err, "Your changes", func(status int, msg string) {
				a.renderItemForm(w, r, status, it, title, body, oneError(msg))
			})
		}
	}
	read, ok := a.ownItemOr(w, r, failed)
	if !ok {
		return
	}
	version, ok := a.formVersion(w, r)
	if !ok {
		return
	}
	it = read
	it.Version = version // keep the version the user started from
	if errs := validateItem(title, body); errs != nil {
		a.renderItemForm(w, r, http.StatusUnprocessableEntity, it, title, body, errs)
		return
	}
	err := a.store.UpdateItem(r.Context(), it.Owner, it.ID, version, title, body, a.actor(r))
	if errors.Is(err, store.ErrConflict) {
		cur, gerr := a.store.GetItem(r.Context(), it.Owner, it.ID)
		if gerr != nil {
			failed(gerr)
			return
		}
		a.render(w, r, http.StatusConflict, "item_conflict", conflictPage{
			page:      a.newPage(r, editTitle(cur.Title)+": changed in the meantime"),
			Current:   cur,
			MineTitle: title,
			MineBody:  body,
			MaxTitle:  store.MaxTitleRunes,
			MaxBody:   store.MaxBodyBytes,
		})
		return
	}
	if err != nil {
		// Sent again, a change that was made after all meets its own
		// version: the conflict page, with the text, not a second save.
		failed(err)
		return
	}
	a.setFlash(r, "Changes saved.")
	http.Redirect(w, r, "/items/"+it.ID, http.StatusSeeOther)
}

// itemGone reports whether err says that the item asked for is not there:
// deleted, or never the user's (which looks the same), but not an account
// being deleted or an entry of an item shared with the user, which have
// pages of their own.
func itemGone(err error) bool {
	return errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAccountGone) && !errors.Is(err, store.ErrSharedItemGone)
}

// itemGone answers an edit of an item that is not there (deleted in
// another tab, say) with the title and text sent, to copy: 404, as for any
// item that is not the user's, which says nothing more about it.
func (a *App) itemGone(w http.ResponseWriter, r *http.Request, title, body string) {
	a.renderUnsaved(w, r, http.StatusNotFound,
		"This item is not there any more (it may have been deleted, in another tab perhaps), so your changes were not saved. Your text is below: copy it to keep it.",
		itemFields(title, body), "/items/new")
}

// showDeleteItem asks to confirm a delete, saying exactly what goes: the
// item (title, size) and every share of it.
func (a *App) showDeleteItem(w http.ResponseWriter, r *http.Request) {
	it, ok := a.ownItem(w, r)
	if !ok {
		return
	}
	shares, err := a.store.ListShares(r.Context(), it.Owner, it.ID)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "item_delete", deletePage{
		page:   a.newPage(r, "Delete “"+it.Title+"”?"),
		Item:   it,
		Size:   formatSize(len(it.Body)),
		Shares: shares,
	})
}

// deleteItem deletes the item at the version the confirmation page showed.
func (a *App) deleteItem(w http.ResponseWriter, r *http.Request) {
	it, version, ok := a.ownItemForm(w, r)
	if !ok {
		return
	}
	err := a.store.DeleteItem(r.Context(), it.Owner, it.ID, version, a.actor(r))
	if errors.Is(err, store.ErrConflict) {
		a.clientErrorMsg(w, r, http.StatusConflict,
			"The item changed after the confirmation page was shown, so it was not deleted. Open the item and review it again before deleting it.")
		return
	}
	if errors.Is(err, store.ErrIncomplete) {
		// The item is gone; some grantees still list it until they open
		// it (a 410 page) and remove it.
		a.logger.WarnContext(r.Context(), "item deleted, grantees' entries left", slog.Any("error", err), slog.String("request_id", requestID(r)))
		a.setFlash(r, "Deleted “"+it.Title+"”. Some of the people it was shared with may still see it in their list until they open it and remove it.")
		http.Redirect(w, r, "/items", http.StatusSeeOther)
		return
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.setFlash(r, "Deleted “"+it.Title+"”.")
	http.Redirect(w, r, "/items", http.StatusSeeOther)
}

// storeError answers a store error: not found (or not the user's) is 404,
// a lost race 409, a bad page cursor 400, a broken limit 422; anything else
// is logged and shown as 500 (503 when DynamoDB is unavailable).
func (a *App) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if !a.storeRefusal(w, r, err) {
		a.serverError(w, r, err)
	}
}

// saveFailed answers a store error on saving a form that holds text the
// user typed: a failure of the server or of DynamoDB, logged as
// serverError logs it, calls again with its status and what to tell the
// user, to show the form again, filled in, so that nothing typed is lost
// and it can be sent again; any other error is answered as storeError
// answers it. what names what was not saved ("The item").
func (a *App) saveFailed(w http.ResponseWriter, r *http.Request, err error, what string, again func(status int, msg string)) {
	if a.storeRefusal(w, r, err) {
		return
	}
	msg := what + " could not be saved just now: "
	status := a.failed(w, r, err)
	if status == http.StatusServiceUnavailable {
		msg += "the database did not answer in time. Your text is below: send it again in a moment."
	} else {
		msg += "something went wrong on the server. Your text is below: send it again, or copy it to keep it."
	}
	again(status, msg)
}

// storeRefusal answers the store errors that are not failures (see
// storeError) and reports whether err was one.
func (a *App) storeRefusal(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case errors.Is(err, store.ErrAccountGone):
		// The user's own account: its deletion started after this
		// request's session was loaded. The session has ended too.
		a.clientErrorMsg(w, r, http.StatusNotFound, "This account has been deleted. Nothing was changed.")
	case errors.Is(err, store.ErrSessionEnded):
		a.sessionEndedMeanwhile(w, r)
	case errors.Is(err, store.ErrSharedItemGone):
		a.sharedItemGone(w, r)
	case errors.Is(err, store.ErrNotFound):
		a.clientError(w, r, http.StatusNotFound)
	case errors.Is(err, store.ErrConflict):
		a.clientError(w, r, http.StatusConflict)
	case errors.Is(err, store.ErrBadCursor):
		a.clientErrorMsg(w, r, http.StatusBadRequest, "That page link is not valid. Start again from the first page.")
	case errors.Is(err, store.ErrLimit):
		a.clientErrorMsg(w, r, http.StatusUnprocessableEntity, "A limit was reached. Go back and shorten the text or remove something first.")
	default:
		return false
	}
	return true
}

// formatSize writes n bytes for people: "512 bytes", "1.5 KiB".
func formatSize(n int) string {
	switch {
	case n == 1:
		return "1 byte"
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n%1024 == 0:
		return fmt.Sprintf("%d KiB", n/1024)
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
}
