package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// page is the data every page template sees; each page's own struct embeds it
// (loginPage, itemPage, ...), so templates read .Title, .User, .CSRFToken and
// the page's fields side by side. Build it with [App.newPage], or
// [App.navPage] for a page the main navigation links to.
type page struct {
	Title      string // text of <title>, before " · clickguard"
	User       string // signed-in username; empty when logged out
	Flash      string // one-time message from the previous request
	RequestID  string
	CSSURL     string // content-hashed stylesheet URL
	IconURL    string // content-hashed icon URL
	NavCurrent string // href of the main navigation's link to this page; "" when it has none
	// ReturnTo, on the login and sign-up pages, is the signed-in page the
	// visitor goes on to once logged in (see loginReturn), or "": their
	// forms and their links to each other, the header's too, carry it.
	ReturnTo string

	csrf func() string // see CSRFToken
}

// rearmScript is the pages' one script. A page shown again from the
// browser's back/forward cache keeps the state it was left in, its
// one-click buttons armed, and no request reaches the server, which would
// refuse another site's (guard's ConfirmationHandler): another site that the
// user went on to in the same tab could call history.back() on the first
// half of a double-click and have the second land on the button. Switching
// the class rearm on the root element switches the buttons' animation to a
// copy of itself (app.css), which starts again: they wait a second more.
const rearmScript = `addEventListener("pageshow", e => { if (e.persisted) document.documentElement.classList.toggle("rearm") })`

// RearmScript returns rearmScript for the layout's <script>.
func (page) RearmScript() template.JS { return rearmScript }

// CSRFToken returns a freshly masked session-bound token for a form on the
// page ("" outside the token layer). It is computed only when a template asks:
// a page without a form (the landing page for a visitor) then creates no
// session, and costs no DynamoDB write.
func (p page) CSRFToken() string {
	if p.csrf == nil {
		return ""
	}
	return p.csrf()
}

// errorPage is the data of templates/pages/error.html.
type errorPage struct {
	page
	Status  int
	Heading string
	Message string
	// NextHref and NextText, when set, are the way forward the page offers
	// before "Back to the start".
	NextHref, NextText string
}

// formErrors are the problems found in a submitted form, one message each,
// in the order of the form's fields. A message names the form controls it is
// about, by id, so that the page can mark them aria-invalid and describe them
// by the message (aria-describedby), shown beside the first of them (see
// Beside) as well as in the summary at the top; one about the whole form
// names none, and is only in the summary. The
// zero value is no errors. Build it with [formErrors.add].
type formErrors []formError

// formError is one message of a [formErrors].
type formError struct {
	ID      string   // id of the message beside its field, unique on the page
	Message string   // plain text
	Fields  []string // ids of the controls it is about; the first is linked
}

// add appends message about the controls with ids fields (none for a
// message about the whole form). The message's id derives from the first
// control's: "title-error", then "title-error-2", ...; "form-error" when it
// names none.
func (e *formErrors) add(message string, fields ...string) {
	base := "form"
	if len(fields) > 0 {
		base = fields[0]
	}
	id, n := base+"-error", 1
	for _, have := range *e {
		if have.ID == id || strings.HasPrefix(have.ID, base+"-error-") {
			n++
		}
	}
	if n > 1 {
		id += "-" + strconv.Itoa(n)
	}
	*e = append(*e, formError{ID: id, Message: message, Fields: fields})
}

// oneError returns the formErrors of the one message (see add).
func oneError(message string, fields ...string) formErrors {
	var e formErrors
	e.add(message, fields...)
	return e
}

// For returns the ids of the messages about the control with id field,
// space-separated as aria-describedby takes them, or "" if there are none.
func (e formErrors) For(field string) string {
	var ids []string
	for _, fe := range e {
		for _, f := range fe.Fields {
			if f == field {
				ids = append(ids, fe.ID)
				break
			}
		}
	}
	return strings.Join(ids, " ")
}

// Beside returns the messages to show beside the control with id field:
// those that name it first. A message about several controls is shown
// once, beside the first, which the error summary links to; the others are
// described by it all the same (see For).
func (e formErrors) Beside(field string) formErrors {
	var out formErrors
	for _, fe := range e {
		if len(fe.Fields) > 0 && fe.Fields[0] == field {
			out = append(out, fe)
		}
	}
	return out
}

// errorTitle returns title as the <title> of a form page: prefixed with
// "Error: " when the form came back with errs, so that a screen reader says
// so as soon as the page loads.
func errorTitle(title string, errs formErrors) string {
	if len(errs) > 0 {
		return "Error: " + title
	}
	return title
}

// parseTemplates parses every file in templates/pages/ as its own template set
// together with the layout and the partials: a page named "login" is
// templates/pages/login.html, executed through the layout's "base". It is the
// only place that may fail on a template syntax error, at startup.
func parseTemplates() (map[string]*template.Template, error) {
	shared := []string{"templates/layout/*.html", "templates/partials/*.html"}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("app: list page templates: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("app: no page templates embedded")
	}
	pages := make(map[string]*template.Template, len(names))
	for _, name := range names {
		patterns := append(append([]string{}, shared...), name)
		t, err := template.New(path.Base(name)).ParseFS(files, patterns...)
		if err != nil {
			return nil, fmt.Errorf("app: parse template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("app: template %s defines no \"content\"", name)
		}
		pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return pages, nil
}

// render executes page name with data into a buffer and only then writes the
// status and the body, so a template error becomes a clean 500 page instead
// of half a page. Pages are never cached: they depend on the session.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := a.pages[name]
	if !ok {
		a.serverError(w, r, fmt.Errorf("app: render: no page template %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		a.serverError(w, r, fmt.Errorf("app: render %s: %w", name, err))
		return
	}
	writePage(w, status, buf.Bytes())
}

// writePage writes a rendered page: HTML, never cached (pages depend on the
// session, so they vary by Cookie), with status and body.
func writePage(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	addVary(h, "Cookie")
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// addVary adds v to the Vary header unless it is already listed.
func addVary(h http.Header, v string) {
	for _, have := range h.Values("Vary") {
		for f := range strings.SplitSeq(have, ",") {
			if strings.EqualFold(strings.TrimSpace(f), v) {
				return
			}
		}
	}
	h.Add("Vary", v)
}

// assets maps a static file's path inside static/ ("css/app.css") to its
// content hash; URLs carry the hash so that the files can be cached forever.
type assets map[string]string

// hashAssets hashes every embedded static file.
func hashAssets() (assets, error) {
	m := assets{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("app: hash static files: %w", err)
	}
	for _, name := range layoutAssets {
		if _, ok := m[name]; !ok {
			return nil, fmt.Errorf("app: static file %q is not embedded", name)
		}
	}
	return m, nil
}

// url returns the content-hashed URL of static file name. For a name that is
// not embedded it returns a URL that answers 404; New checks at startup that
// the files the layout links exist.
func (m assets) url(name string) string {
	h, ok := m[name]
	if !ok {
		h = "missing"
	}
	return "/static/" + h + "/" + name
}

// layoutAssets are the static files every page links.
var layoutAssets = []string{"css/app.css", "img/icon.svg"}
