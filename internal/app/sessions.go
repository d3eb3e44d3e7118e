package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/clickguard/clickguard/internal/store"
)

// sessionsPage is the data of sessions.html: the user's live sessions,
// newest login first.
type sessionsPage struct {
	page
	Sessions []sessionRow
	Others   int // sessions other than this one
	Max      int
}

type sessionRow struct {
	store.TrackedSession
	Current bool
	N       int // position in the list, from 1: names its button uniquely
}

// showSessions lists the sessions of the logged-in user, each but this one
// with a button that signs it out.
func (a *App) showSessions(w http.ResponseWriter, r *http.Request) {
	list, current, ok := a.listSessions(w, r, false)
	if !ok {
		return
	}
	data := sessionsPage{page: a.newPage(r, "Signed-in sessions"), Max: store.MaxListedSessions}
	for _, s := range list {
		row := sessionRow{TrackedSession: s, Current: s.ID == current, N: len(data.Sessions) + 1}
		if !row.Current {
			data.Others++
		}
		data.Sessions = append(data.Sessions, row)
	}
	a.render(w, r, http.StatusOK, "sessions", data)
}

// endSession signs out one other session of the logged-in user.
func (a *App) endSession(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	user, id := a.currentUser(r), r.PostFormValue("id")
	if !store.IsSessionID(id) {
		a.clientError(w, r, http.StatusBadRequest)
		return
	}
	// Only a live session of the user's can be signed out here, and the
	// activity log says which, recorded first, as the export does: a
	// sign-out it could not record does not happen.
	list, current, ok := a.listSessions(w, r, true)
	if !ok {
		return
	}
	if id == current {
		a.clientErrorMsg(w, r, http.StatusBadRequest, "That is the session you are using: log out instead.")
		return
	}
	i := slices.IndexFunc(list, func(s store.TrackedSession) bool { return s.ID == id })
	if i < 0 {
		a.setFlash(r, "That session had already ended.")
		http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
		return
	}
	if err := a.store.RecordEvent(ctx, user, store.Event{Action: "session.end", Detail: describeSession(list[i]), Actor: a.actor(r)}); err != nil {
		a.storeError(w, r, err)
		return
	}
	switch err := a.sessStore.End(ctx, user, id); {
	case errors.Is(err, store.ErrNotFound): // ended meanwhile
		a.setFlash(r, "That session had already ended.")
	case err != nil:
		a.serverError(w, r, fmt.Errorf("app: end session: %w", err))
		return
	default:
		a.setFlash(r, "Signed out that session.")
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}

// endOtherSessions signs out every session of the logged-in user but this
// one, recorded in the activity log first: all of them, also those beyond
// the newest logins the page lists, or a session kept alive behind a
// hundred newer logins would survive the button that promises to end it.
func (a *App) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	ctx, user := r.Context(), a.currentUser(r)
	list, current, ok := a.listSessions(w, r, true)
	if !ok {
		return
	}
	others := slices.DeleteFunc(list, func(s store.TrackedSession) bool { return s.ID == current })
	if len(others) == 0 {
		a.setFlash(r, "No other session was signed in.")
		http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
		return
	}
	if err := a.store.RecordEvent(ctx, user, store.Event{Action: "session.end_others", Detail: countOf(len(others), "session"), Actor: a.actor(r)}); err != nil {
		a.storeError(w, r, err)
		return
	}
	n := 0
	for _, s := range others {
		switch err := a.sessStore.End(ctx, user, s.ID); {
		case errors.Is(err, store.ErrNotFound): // ended meanwhile
		case err != nil:
			a.serverError(w, r, fmt.Errorf("app: end other sessions: %w", err))
			return
		default:
			n++
		}
	}
	a.setFlash(r, "Signed out "+countOf(n, "other session")+".")
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}

// listSessions returns the live sessions of the logged-in user, the newest
// logins that the page shows or, with all, every one, and the ID of the
// request's own. On failure it has answered and returns false.
func (a *App) listSessions(w http.ResponseWriter, r *http.Request, all bool) (list []store.TrackedSession, current string, ok bool) {
	listFunc := a.sessStore.List
	if all {
		listFunc = a.sessStore.ListAll
	}
	list, err := listFunc(r.Context(), a.currentUser(r))
	if err != nil {
		a.serverError(w, r, fmt.Errorf("app: list sessions: %w", err))
		return nil, "", false
	}
	return list, store.SessionID(a.sessions.Token(r.Context())), true
}

// countOf says n of noun, in English: "1 session", "2 sessions".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// describeSession names a session in the activity log: its browser and
// when it logged in.
func describeSession(s store.TrackedSession) string {
	ua := s.UserAgent
	if ua == "" {
		ua = "unknown browser"
	}
	if s.SignedIn.IsZero() { // tracked before logins were described
		return ua
	}
	return ua + ", logged in " + s.SignedIn.UTC().Format("2 Jan 2006 15:04") + " UTC"
}

// untrack forgets the session of user with token once it has ended, so
// that the list of sessions does not look at it. It only logs a failure:
// the ended session is left out of the list anyway.
func (a *App) untrack(r *http.Request, user, token string) {
	if user == "" || token == "" {
		return
	}
	if err := a.sessStore.Untrack(r.Context(), user, token); err != nil {
		a.logger.Warn("forget ended session", slog.Any("error", err), slog.String("request_id", requestID(r)))
	}
}
