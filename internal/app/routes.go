package app

import "net/http"

// Route is one row of the application's route table.
type Route struct {
	// Method is the HTTP method ("GET" also answers HEAD).
	Method string
	// Pattern is the net/http.ServeMux path pattern, such as "/items/{id}".
	Pattern string
	// Public reports whether the route is served without logging in.
	Public bool
	// Mutates reports whether the route changes state. Only POST routes may;
	// the tests check that every GET route has Mutates false.
	Mutates bool
	// Embeddable reports whether another origin may frame the route (only
	// for origins its owner allowlisted, chosen per request). Only read-only
	// public pages may set it.
	Embeddable bool
	// Confirms reports whether the GET page is a confirmation page: one
	// click on it changes state (its form has no field the user must type:
	// fields are hidden, preset, or filled in by the password manager).
	// Such a page refuses requests from other sites
	// (guard.ConfirmationHandler), so that a double-click on another site
	// cannot open it and land its second click on the button, and its
	// one-click forms carry the one-click class, whose buttons ignore the
	// pointer for the page's first second. The tests check that every GET
	// page with a one-click form sets it.
	Confirms bool
	// Sessionless reports whether the route is served outside the session
	// layer and the token layer: no session is read or written, the user is
	// unknown, and only GET makes sense. Static files, health checks and
	// pages that must not depend on the viewer set it.
	Sessionless bool

	handle func(*App, http.ResponseWriter, *http.Request)
	// expired, when set, answers the route's form when it reaches the route
	// without a valid token or a logged-in user (the form outlived its
	// session), keeping what the user typed (see expired.go).
	expired func(*App, http.ResponseWriter, *http.Request)
	// typed, when set, returns the fields of the route's parsed form that
	// hold text the user typed, and the page of the form, or no fields when
	// they are empty: a form whose session could not be read, which never
	// reaches the route, gives them back (see typedBack).
	typed func(*http.Request) (fields []unsavedField, form string)
}

// Routes returns the application's route table: every page and action, in
// one place, so that "GET never mutates" is checked by reading one list. The
// browser suite and the route tests iterate it. The table is built fresh on
// each call; callers may modify the result.
func Routes() []Route {
	return []Route{
		// Landing page, accounts.
		{Method: "GET", Pattern: "/{$}", Public: true, handle: (*App).showHome},
		{Method: "GET", Pattern: "/signup", Public: true, handle: (*App).showSignup},
		{Method: "POST", Pattern: "/signup", Public: true, Mutates: true, handle: (*App).signup, expired: (*App).signupExpired},
		{Method: "GET", Pattern: "/login", Public: true, handle: (*App).showLogin},
		{Method: "POST", Pattern: "/login", Public: true, Mutates: true, handle: (*App).login, expired: (*App).loginExpired},
		{Method: "POST", Pattern: "/logout", Mutates: true, handle: (*App).logout},

		// Items, sharing and visibility (items.go, shares.go, visibility.go).
		// Only the owner may use the edit, delete, share and visibility
		// routes; anyone else gets 404, a grantee a read-only 403. Only a
		// grantee may use leave.
		{Method: "GET", Pattern: "/items", handle: (*App).listItems},
		{Method: "GET", Pattern: "/items/new", handle: (*App).showNewItem},
		{Method: "POST", Pattern: "/items", Mutates: true, handle: (*App).createItem, expired: (*App).itemExpired, typed: newItemTyped},
		{Method: "GET", Pattern: "/items/{id}", handle: (*App).showItem},
		{Method: "GET", Pattern: "/items/{id}/edit", handle: (*App).showEditItem},
		{Method: "POST", Pattern: "/items/{id}/edit", Mutates: true, handle: (*App).editItem, expired: (*App).itemExpired, typed: editItemTyped},
		{Method: "GET", Pattern: "/items/{id}/delete", Confirms: true, handle: (*App).showDeleteItem},
		{Method: "POST", Pattern: "/items/{id}/delete", Mutates: true, handle: (*App).deleteItem},
		{Method: "GET", Pattern: "/items/{id}/share", Confirms: true, handle: (*App).showShares},
		{Method: "POST", Pattern: "/items/{id}/share", Mutates: true, handle: (*App).changeShares},
		{Method: "GET", Pattern: "/items/{id}/visibility", Confirms: true, handle: (*App).showVisibility},
		{Method: "POST", Pattern: "/items/{id}/visibility", Mutates: true, handle: (*App).setVisibility},
		// A grantee removes an item shared with them from their list.
		{Method: "GET", Pattern: "/items/{id}/leave", Confirms: true, handle: (*App).showLeave},
		{Method: "POST", Pattern: "/items/{id}/leave", Mutates: true, handle: (*App).leaveItem},

		// Public items (public.go). /embed/ is the one embeddable route: read
		// only, no session, framed only by the owner's allowlisted origins.
		{Method: "GET", Pattern: "/p/{id}", Public: true, handle: (*App).showPublic},
		{Method: "GET", Pattern: "/embed/{id}", Public: true, Embeddable: true, Sessionless: true, handle: (*App).showEmbed},

		// Export, activity log, account (export.go, activity.go, account.go).
		{Method: "GET", Pattern: "/export", Confirms: true, handle: (*App).showExport},
		{Method: "POST", Pattern: "/export", Mutates: true, handle: (*App).exportItems},
		{Method: "GET", Pattern: "/activity", handle: (*App).showActivity},
		{Method: "GET", Pattern: "/account", handle: (*App).showAccount},
		{Method: "POST", Pattern: "/account/password", Mutates: true, handle: (*App).changePassword},
		{Method: "POST", Pattern: "/account/embed-origins", Mutates: true, handle: (*App).setEmbedOrigins, expired: (*App).originsExpired, typed: originsTyped},
		{Method: "GET", Pattern: "/account/sessions", Confirms: true, handle: (*App).showSessions},
		{Method: "POST", Pattern: "/account/sessions/end", Mutates: true, handle: (*App).endSession},
		{Method: "POST", Pattern: "/account/sessions/end-others", Mutates: true, handle: (*App).endOtherSessions},
		{Method: "GET", Pattern: "/account/delete", Confirms: true, handle: (*App).showDeleteAccount},
		{Method: "POST", Pattern: "/account/delete", Mutates: true, handle: (*App).deleteAccount},

		// Operations and files, served outside the session layer.
		{Method: "GET", Pattern: "/healthz", Public: true, Sessionless: true, handle: (*App).healthz},
		{Method: "GET", Pattern: "/readyz", Public: true, Sessionless: true, handle: (*App).readyz},
		{Method: "GET", Pattern: "/static/{hash}/{file...}", Public: true, Sessionless: true, handle: (*App).serveStatic},
	}
}
