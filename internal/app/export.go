package app

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clickguard/clickguard/internal/store"
)

// exportPage is the data of export.html.
type exportPage struct {
	page
}

// showExport explains what an export contains and lets the user start one.
func (a *App) showExport(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "export", exportPage{page: a.newPage(r, "Export your items")})
}

// exportItem is one item in an export file.
type exportItem struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Public     bool      `json:"public"`
	ShareCount int       `json:"share_count"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

// exportColumns is the CSV header row, in exportItem's order.
var exportColumns = []string{"id", "title", "body", "public", "share_count", "created_at", "updated_at", "version"}

// startedWriter records whether anything reached the client, so that an
// error before the first byte can still be a proper error page.
type startedWriter struct {
	w       io.Writer
	started bool
}

func (s *startedWriter) Write(b []byte) (int, error) {
	s.started = true
	return s.w.Write(b)
}

// exportItems streams the user's own items as a JSON array or CSV download.
// The store reads DynamoDB one page at a time and each item is encoded and
// written as it arrives, so memory stays flat however many items there are.
// The export is recorded in the activity log before the first byte is sent.
func (a *App) exportItems(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	format := r.PostFormValue("format")
	if format != "json" && format != "csv" {
		a.clientErrorMsg(w, r, http.StatusBadRequest, "Choose JSON or CSV as the export format.")
		return
	}
	user := a.currentUser(r)
	ctx := r.Context()
	if err := a.store.RecordEvent(ctx, user, store.Event{Action: "export", Detail: format, Actor: a.actor(r)}); err != nil {
		a.storeError(w, r, err)
		return
	}
	name := fmt.Sprintf("clickguard-%s-%s.%s", user, time.Now().UTC().Format("20060102-150405"), format)
	h := w.Header()
	if format == "json" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	} else {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	}
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	addVary(h, "Cookie")

	sw := &startedWriter{w: w}
	bw := bufio.NewWriterSize(sw, 32<<10)
	var err error
	if format == "json" {
		err = a.exportJSON(r, user, bw)
	} else {
		err = a.exportCSV(r, user, bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		return
	}
	if !sw.started {
		// Nothing sent yet: a clean error page instead of a broken file.
		for _, k := range []string{"Content-Disposition", "Content-Type"} {
			h.Del(k)
		}
		a.storeError(w, r, fmt.Errorf("app: export: %w", err))
		return
	}
	// Part of the file is out: abort the connection so that the download
	// fails visibly instead of ending in a file that looks complete.
	a.logger.ErrorContext(ctx, "export aborted", slog.Any("error", err), slog.String("request_id", requestID(r)))
	panic(http.ErrAbortHandler)
}

func (a *App) exportJSON(r *http.Request, user string, w *bufio.Writer) error {
	if _, err := w.WriteString("[\n"); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	first := true
	err := a.store.ExportItems(r.Context(), user, func(it store.Item) error {
		if !first {
			if _, err := w.WriteString(","); err != nil {
				return err
			}
		}
		first = false
		return enc.Encode(exportItem{
			ID: it.ID, Title: it.Title, Body: it.Body, Public: it.Public, ShareCount: it.ShareCount,
			CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Version: it.Version,
		})
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("]\n")
	return err
}

func (a *App) exportCSV(r *http.Request, user string, w *bufio.Writer) error {
	// A byte order mark says the file is UTF-8: Excel, opening a CSV by
	// itself, reads one without it in the system's legacy code page, and
	// shows "café" as "cafÃ©".
	if _, err := w.WriteString(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return err
	}
	err := a.store.ExportItems(r.Context(), user, func(it store.Item) error {
		return cw.Write([]string{
			it.ID, spreadsheetText(it.Title), spreadsheetText(it.Body), strconv.FormatBool(it.Public), strconv.Itoa(it.ShareCount),
			it.CreatedAt.UTC().Format(time.RFC3339Nano), it.UpdatedAt.UTC().Format(time.RFC3339Nano),
			strconv.FormatInt(it.Version, 10),
		})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// utf8BOM is the UTF-8 byte order mark that starts the CSV export.
const utf8BOM = "\ufeff"

// spreadsheetText returns s as a CSV cell that spreadsheets show as text.
// A cell that begins with =, +, -, @, a tab or a carriage return would be
// run as a formula (CSV injection: =HYPERLINK(…) can send the sheet's data
// away), so such a start gets an apostrophe, which spreadsheets hide and
// treat as "this is text". A cell can also start inside s: Excel set up for
// ";" as its list separator (where the decimal mark is a comma) opens a
// comma-separated file one line to a column and splits each line at ";",
// so the CSV's own commas and quotes no longer mark the cells; and a
// spreadsheet reading tabs as separators splits at a tab. So the same
// characters get an apostrophe after a ";", a tab or a line break too, as
// OWASP's guidance on CSV injection asks of separators. The JSON export
// keeps the exact text.
func spreadsheetText(s string) string {
	if !strings.ContainsAny(s, formulaStarts) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 1)
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start && strings.IndexByte(formulaStarts, c) >= 0 {
			b.WriteByte('\'')
		}
		b.WriteByte(c)
		start = strings.IndexByte(cellStarts, c) >= 0
	}
	return b.String()
}

// formulaStarts are the characters that make a spreadsheet cell a formula
// when they come first.
const formulaStarts = "=+-@\t\r"

// cellStarts are the characters after which a spreadsheet may start a new
// cell within a CSV field: ";" and tab as separators, and line breaks.
const cellStarts = ";\t\r\n"
