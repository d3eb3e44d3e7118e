package app

import (
	"net/http"
	"strings"

	"github.com/clickguard/clickguard/internal/store"
)

// eventsPerPage is the length of one page of /activity.
const eventsPerPage = 25

// activityPage is the data of activity.html.
type activityPage struct {
	page
	Events []eventRow
	Next   string
	Paged  bool
}

// eventRow is one audit event with its action in words and, for an item
// that may still exist, a link to it. The link shows the item's title when
// the record holds it (Detail); otherwise it shows "the item" and is named
// by the row's action and time (activity.html), from the record alone, as
// reading every item's title would cost a DynamoDB read a row.
type eventRow struct {
	store.Event
	Label string
	Link  string
}

// showActivity shows the user's audit log, newest first, one page at a time:
// what changed, when, and from which address, browser and site, so that a
// change the user did not make stands out.
func (a *App) showActivity(w http.ResponseWriter, r *http.Request) {
	cursor := r.URL.Query().Get("cursor")
	p, err := a.store.ListEvents(r.Context(), a.currentUser(r), cursor, eventsPerPage)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	rows := make([]eventRow, len(p.Items))
	for i, e := range p.Items {
		rows[i] = eventRow{Event: e, Label: actionText(e.Action)}
		switch e.Action {
		case "share.add", "share.remove", "share.leave":
			// The detail is the other user: say it in the label, and
			// let the link name the item.
			rows[i].Label += " " + e.Detail
			rows[i].Detail = ""
		}
		if strings.HasPrefix(e.Action, "item.") || strings.HasPrefix(e.Action, "share.") {
			if e.Action != "item.delete" {
				rows[i].Link = "/items/" + e.Target
			}
		}
	}
	a.render(w, r, http.StatusOK, "activity", activityPage{
		page:   a.navPage(r, "Activity", "/activity"),
		Events: rows,
		Next:   p.Next,
		Paged:  cursor != "",
	})
}

// actionText says what an audit action means, for the activity page.
func actionText(action string) string {
	switch action {
	case "user.create":
		return "Account created"
	case "user.login":
		return "Logged in"
	case "user.password":
		return "Password changed"
	case "item.create":
		return "Item created"
	case "item.update":
		return "Item edited"
	case "item.delete":
		return "Item deleted"
	case "item.public":
		return "Item made public"
	case "item.private":
		return "Item made private"
	case "share.add":
		return "Item shared with"
	case "share.remove":
		return "Share revoked for"
	case "share.leave":
		return "Share given up by"
	case "inbox.remove":
		return "Shared item removed from your list"
	case "export":
		return "Items exported"
	case "account.embed_origins":
		return "Embed allowlist changed"
	case "session.end":
		return "Session signed out"
	case "session.end_others":
		return "Other sessions signed out"
	}
	return action
}
