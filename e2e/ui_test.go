package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/guard"
)

// submitForm loads pageURL, sets the named fields of the first form matching
// formSel (fields not named keep what the page rendered, the token
// included), submits it as a user would and returns the URL the tab ends on
// once the next page has loaded.
func submitForm(tab context.Context, pageURL, formSel string, values map[string]string) (string, error) {
	if pageURL != "" {
		if err := chromedp.Do(tab, chromedp.Navigate(pageURL)); err != nil {
			return "", fmt.Errorf("load %s: %w", pageURL, err)
		}
	}
	vals, err := json.Marshal(values)
	if err != nil {
		return "", err
	}
	// A named submit button among the values is the one pressed (its value
	// is sent only when it submits); otherwise the form's first one.
	submit := chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const f = document.querySelector(%q);
		if (!f) throw new Error("no form " + %q + " on " + location.href);
		const vals = %s || {};
		let sub = null;
		for (const [k, v] of Object.entries(vals)) {
			let el = f.elements.namedItem(k);
			if (el instanceof RadioNodeList) el = [...el].find(e => e.value === v) || el[0];
			if (!el) throw new Error("no field " + k + " in " + %q);
			if (el.type === "submit") { if (el.value === v) sub = el; continue; }
			el.value = v;
		}
		sub = sub || f.querySelector("button:not([type]), button[type=submit], input[type=submit]");
		setTimeout(() => f.requestSubmit(sub), 0);
		return true;
	})()`, formSel, formSel, vals, formSel))
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, submit)); err != nil {
		return "", fmt.Errorf("submit %s on %s: %w", formSel, pageURL, err)
	}
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		return "", fmt.Errorf("location after %s: %w", formSel, err)
	}
	return loc, nil
}

// crawledForm is a form the application rendered: where it posts and the
// fields it would send.
type crawledForm struct {
	Page   string // URL of the page that rendered it
	Action string // absolute URL
	Fields []field
}

const listForms = `JSON.stringify([...document.forms]
	.filter(f => (f.getAttribute("method") || "").toLowerCase() === "post")
	.map(f => ({
		// getAttribute, not f.action: a field named "action" shadows it.
		action: new URL(f.getAttribute("action") || "", location.href).href,
		fields: [...new FormData(f)].filter(([k, v]) => typeof v === "string").map(([k, v]) => ({Name: k, Value: v}))
			.concat([...f.querySelectorAll("button[name], input[type=submit][name]")].slice(0, 1).map(b => ({Name: b.name, Value: b.value}))),
	})))`

// crawlForms loads u at the top level and returns its POST forms.
func crawlForms(tab context.Context, u string) ([]crawledForm, error) {
	if err := chromedp.Do(tab, chromedp.Navigate(u)); err != nil {
		return nil, fmt.Errorf("load %s: %w", u, err)
	}
	s, err := chromedp.Run(tab, chromedp.Evaluate[string](listForms))
	if err != nil {
		return nil, fmt.Errorf("list forms on %s: %w", u, err)
	}
	var raw []struct {
		Action string  `json:"action"`
		Fields []field `json:"fields"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("decode forms of %s: %w", u, err)
	}
	var forms []crawledForm
	for _, f := range raw {
		forms = append(forms, crawledForm{Page: u, Action: f.Action, Fields: f.Fields})
	}
	return forms, nil
}

// key identifies a form by where it posts and what it sends, the token
// aside (two forms that differ only in a hidden value, such as "public" or
// "action", do different things).
func (f crawledForm) key() string {
	names := make([]string, 0, len(f.Fields))
	for _, fl := range f.Fields {
		if fl.Name == guard.TokenField {
			names = append(names, fl.Name)
			continue
		}
		names = append(names, fl.Name+"="+fl.Value)
	}
	u, _ := url.Parse(f.Action)
	return u.Path + "?" + strings.Join(names, ",")
}

// fieldValue returns the value of the first field called name.
func fieldValue(fields []field, name string) (string, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// withField returns fields with name set to value (or removed when value is
// nil), in place, keeping the order.
func withField(fields []field, name string, value *string) []field {
	var out []field
	for _, f := range fields {
		if f.Name == name {
			if value != nil {
				out = append(out, field{Name: name, Value: *value})
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// submitFormClick clicks the element matching sel with real mouse events
// and waits for the page it leads to to load; it returns that page's URL.
func submitFormClick(tab context.Context, sel string) (string, error) {
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		return "", fmt.Errorf("click %s: %w", sel, err)
	}
	return chromedp.Run(tab, chromedp.Location())
}

// topDocument reads the tab's top-level document.
func topDocument(tab context.Context) (document, error) {
	ft, err := chromedp.Call(tab, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return document{}, fmt.Errorf("frame tree: %w", err)
	}
	return readFrame(frameRef{host: tab, node: ft.FrameTree})
}
