package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// sideways is a script that returns "" when the page fits the width of the
// window, and otherwise the page's width and the elements that stick out.
const sideways = `(() => {
	const w = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth <= w) return "";
	const out = [...document.body.querySelectorAll("*")]
		.filter(e => e.getBoundingClientRect().right > w + 0.5 && !e.closest(".visually-hidden, .skip"))
		.map(e => "<" + e.localName + (e.className ? " class=" + e.className : "") + ">");
	return "page " + document.documentElement.scrollWidth + "px wide; sticking out: " + out.slice(0, 6).join(", ");
})()`

// TestReflow_Chromium loads every page 320 CSS pixels wide, as a phone
// shows it or a 1280-pixel window at 400% zoom (WCAG 1.4.10): none may
// scroll sideways, with a username as long as they go, a long word in an
// item's title and a real browser's user agent in the list of sessions. A
// page with a wide element shows that the check sees one.
func TestReflow_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(320, 640)); err != nil {
		t.Fatalf("set the window to 320 pixels: %v", err)
	}
	wide := func(who, u string) string {
		t.Helper()
		tour.open(t, ctx, who, u)
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](sideways))
		if err != nil {
			t.Fatalf("%s: measure: %v", u, err)
		}
		return s
	}
	if wide("anonymous", `data:text/html,<meta name=viewport content="width=device-width"><div style="width:400px">wide</div>`) == "" {
		t.Fatal("a page with a 400-pixel element fits 320 pixels: the test cannot see what sticks out")
	}
	for _, who := range []string{"anonymous", "alice", "grantee"} {
		tour.signIn(t, ctx, who)
		for _, p := range tour.pages[who] {
			if s := wide(who, tour.srv.URL+p); s != "" {
				t.Errorf("%s: %s at 320 pixels: %s", who, p, s)
			}
		}
	}
}

// TestArming_Chromium: on every confirmation page, with and without a
// preference for reduced motion, the buttons of the one-click forms ignore
// the pointer at the page's first instant and take it once the page's
// animations are over. Reduced motion must neither arm them at once, which
// would let the second half of a double-click land, nor never, which would
// lock out the user who asked for it.
func TestArming_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	// The animations' clock stands still at the start of every page the
	// tab loads, however long the test takes to look.
	if err := chromiumtest.HoldAnimations(ctx); err != nil {
		t.Fatal(err)
	}
	const arming = `(() => {
		const reduce = matchMedia("(prefers-reduced-motion: reduce)").matches;
		const buttons = [...document.querySelectorAll("form.one-click button")];
		const first = buttons.map(b => getComputedStyle(b).pointerEvents);
		document.getAnimations().forEach(a => a.finish());
		const armed = buttons.map(b => getComputedStyle(b).pointerEvents);
		return {Reduce: reduce, First: first, Armed: armed};
	})()`
	type state struct {
		Reduce       bool
		First, Armed []string // pointer-events of each button
	}
	for _, motion := range []string{"no-preference", "reduce"} {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: motion}},
		})
		if err != nil {
			t.Fatalf("emulate prefers-reduced-motion: %s: %v", motion, err)
		}
		for _, rt := range app.Routes() {
			if !rt.Confirms {
				continue
			}
			who, p := "alice", strings.ReplaceAll(rt.Pattern, "{id}", tour.id)
			switch {
			case strings.HasSuffix(p, "/leave"):
				who = "grantee"
			case strings.HasSuffix(p, "/share"):
				p += "?with=carol"
			}
			tour.signIn(t, ctx, who)
			tour.open(t, ctx, who, tour.srv.URL+p)
			s, err := chromedp.Run(ctx, chromedp.Evaluate[state](arming))
			if err != nil {
				t.Fatalf("%s: %s: %v", motion, p, err)
			}
			if s.Reduce != (motion == "reduce") {
				t.Fatalf("%s: %s: the page sees prefers-reduced-motion: reduce %v", motion, p, s.Reduce)
			}
			if len(s.First) == 0 {
				t.Errorf("%s: %s: no one-click button", motion, p)
			}
			for i := range s.First {
				if s.First[i] != "none" || s.Armed[i] != "auto" {
					t.Errorf("%s: %s: button %d: pointer-events %q at the first instant and %q once armed, want none and auto",
						motion, p, i+1, s.First[i], s.Armed[i])
				}
			}
		}
	}
}

// TestArming_backForward_Chromium: a confirmation page left for another
// site in the same tab comes back when that site calls history.back(), the
// first half of a double-click, with no request that guard could refuse
// when it comes from the back/forward cache: the second half must find the
// buttons waiting again, not armed as they were when the page was left.
// Chromium 156 does not keep these pages in that cache (they say no-store,
// and the session cookie, HttpOnly, is set again on each), so the page is
// loaded anew and waits as at any load; the page's script makes it wait too
// when a browser does restore it, which a pageshow event of a restored
// page, dispatched by the test, shows.
func TestArming_backForward_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>another site</title><button>Double-click here</button>`)
	}))
	t.Cleanup(other.Close)
	// Each one-click button's pointer-events at the instant a document is
	// shown, loaded or restored: every document of the tab records it on
	// pageshow, with a listener added before the page's own script.
	const buttons = `[...document.querySelectorAll("form.one-click button, form.one-click-quiet button")].map(b => getComputedStyle(b).pointerEvents)`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `addEventListener("pageshow", e => { window.shown = {Restored: e.persisted, First: ` + buttons + `} })`,
	}); err != nil {
		t.Fatal(err)
	}
	type shown struct {
		Restored bool
		First    []string
	}
	tour.signIn(t, ctx, "alice")
	for _, p := range []string{"/items/" + tour.id + "/delete", "/account/delete"} {
		tour.open(t, ctx, "alice", tour.srv.URL+p)
		time.Sleep(1200 * time.Millisecond) // the user reads the page: armed
		armed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.shown = null; `+buttons))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(armed) < 2 || slices.Contains(armed, "none") {
			t.Fatalf("%s: pointer-events %q after 1.2 s, want the page's button and the header's Log out armed", p, armed)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(other.URL)); err != nil {
			t.Fatalf("%s: go to another site: %v", p, err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`history.back()`)); err != nil {
			t.Fatalf("%s: history.back(): %v", p, err)
		}
		var got *shown
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && got == nil; time.Sleep(20 * time.Millisecond) {
			got, _ = chromedp.Run(ctx, chromedp.Evaluate[*shown](`location.href.startsWith(`+strconv.Quote(tour.srv.URL)+`) ? window.shown : null`))
		}
		if got == nil {
			t.Fatalf("%s: history.back() did not show the page again", p)
		}
		t.Logf("%s: shown again, restored from the back/forward cache: %v", p, got.Restored)
		if len(got.First) != len(armed) || slices.ContainsFunc(got.First, func(pe string) bool { return pe != "none" }) {
			t.Errorf("%s: shown again by another site's history.back(): pointer-events %q, want every button waiting (none)", p, got.First)
		}
		// As a restored page: the page's own pageshow listener arms the
		// buttons again, before the click that follows can be handled.
		again, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`new Promise(done => setTimeout(() => {
			dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
			done(`+buttons+`);
		}, 1200))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(again) != len(armed) || slices.ContainsFunc(again, func(pe string) bool { return pe != "none" }) {
			t.Errorf("%s: armed, then shown as restored from the back/forward cache: pointer-events %q, want every button waiting (none)", p, again)
		}
		finished, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`document.getAnimations().forEach(a => a.finish()); `+buttons))
		if err != nil || slices.Contains(finished, "none") {
			t.Errorf("%s: once the animations are over: pointer-events %q (%v), want every button armed", p, finished, err)
		}
	}
}

// fieldErrors is a script that returns what keeps a sighted user from
// seeing which fields of the page to fix: an invalid field whose border is
// told from a valid one's by colour alone, or has less than 3:1 contrast
// with what is behind it (WCAG 1.4.11), and an error message beside a field
// that is not shown or has less than 4.5:1 contrast (WCAG 1.4.3). Colours
// with transparency are laid over what is behind them.
const fieldErrors = `(() => {
	const rgba = s => { const m = s.match(/[\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; };
	const over = (c, bg) => c.slice(0, 3).map((v, i) => v * c[3] + bg[i] * (1 - c[3]));
	const behind = e => {
		let bg = [255, 255, 255];
		const layers = [];
		for (let p = e.parentElement; p; p = p.parentElement) layers.unshift(rgba(getComputedStyle(p).backgroundColor));
		for (const l of layers) bg = over(l, bg);
		return bg;
	};
	const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
	const out = [];
	const invalid = [...document.querySelectorAll("[aria-invalid=true]")];
	if (invalid.length === 0) out.push("no field is marked invalid");
	for (const c of invalid) {
		const bg = behind(c), st = getComputedStyle(c);
		const border = over(rgba(st.borderTopColor), bg), width = st.borderTopWidth;
		c.removeAttribute("aria-invalid");
		const validWidth = getComputedStyle(c).borderTopWidth;
		c.setAttribute("aria-invalid", "true");
		if (width === validWidth) out.push(c.name + ": border " + width + " wide, as when valid: only its colour differs");
		if (contrast(border, bg) < 3) out.push(c.name + ": border contrast " + contrast(border, bg).toFixed(2) + ", want 3");
	}
	const messages = [...document.querySelectorAll(".field-error")];
	if (messages.length === 0) out.push("no error message beside a field");
	for (const m of messages) {
		const r = m.getBoundingClientRect(), bg = behind(m), color = over(rgba(getComputedStyle(m).color), bg);
		if (r.width < 2 || r.height < 2 || getComputedStyle(m).visibility !== "visible") out.push(m.textContent + ": not shown");
		if (contrast(color, bg) < 4.5) out.push(m.textContent + ": text contrast " + contrast(color, bg).toFixed(2) + ", want 4.5");
	}
	return out;
})()`

// TestFieldErrors_Chromium: after a failed submit, each form shows its
// invalid fields with a border told apart by more than colour and their
// messages beside them, both with enough contrast against the page as the
// stylesheet paints it.
func TestFieldErrors_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	item := "/items/" + tour.id
	for _, tc := range []struct {
		who, path string
		submit    bool // submit the page's form (empty fields but for a wrong password) rather than only load it
	}{
		{"anonymous", "/signup", true},
		{"anonymous", "/login", true},
		{"alice", "/items/new", true},
		{"alice", item + "/share?with=nobody", false},
		{"alice", "/account/delete", true},
	} {
		tour.signIn(t, ctx, tc.who)
		tour.open(t, ctx, tc.who, tour.srv.URL+tc.path)
		if tc.submit {
			const submit = `(() => {
				const f = document.querySelector("main form[method=post]");
				for (const p of f.querySelectorAll("input[type=password]")) p.value = "not the password";
				setTimeout(() => f.requestSubmit(), 0);
				return true;
			})()`
			if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[bool](submit))); err != nil {
				t.Fatalf("%s: submit: %v", tc.path, err)
			}
		}
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fieldErrors))
		if err != nil {
			t.Fatalf("%s: measure: %v", tc.path, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", tc.path, p)
		}
	}
}

// scrollers is a script that finds the elements whose content scrolls
// inside them, rather than with the page, marks each with data-scroller
// (numbered in document order) and returns, for each, which way it
// scrolls and its class. Form controls that scroll their own text (a
// textarea) are left out: they take focus and have a label of their own.
const scrollers = `(() => [...document.body.querySelectorAll("*:not(textarea, select)")].map(e => {
	const s = getComputedStyle(e);
	return {
		e,
		Down: /auto|scroll/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1,
		Across: /auto|scroll/.test(s.overflowX) && e.scrollWidth > e.clientWidth + 1,
	};
}).filter(s => s.Down || s.Across).map((s, i) => {
	s.e.dataset.scroller = i;
	return {Down: s.Down, Across: s.Across, Class: s.e.className};
}))()`

// scroller is one element found by the script scrollers.
type scroller struct {
	Down, Across bool
	Class        string
}

// axRoleName returns the role and the accessible name that Chromium gives
// the element of node, as a screen reader gets them.
func axRoleName(ctx context.Context, node *chromedp.Node) (role, name string, err error) {
	no := false
	res, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{BackendNodeID: node.BackendNodeID, FetchRelatives: &no})
	if err != nil {
		return "", "", err
	}
	if len(res.Nodes) == 0 {
		return "", "", fmt.Errorf("no accessibility node")
	}
	value := func(v *accessibility.Value) (s string) {
		if v != nil {
			json.Unmarshal(v.Value, &s) //nolint:errcheck // not a string: ""
		}
		return s
	}
	n := res.Nodes[0]
	if n.Ignored {
		return "", "", nil
	}
	return value(n.Role), value(n.Name), nil
}

// TestScrollRegions_Chromium loads every page, an item with a long text
// among them (its page, its public and embed pages, and the page of an edit
// that lost a race), 1280, 700 and 320 CSS pixels wide, and finds each box
// whose content scrolls inside it. Each must be a region with a name (WCAG
// 4.1.2), reached by Tab, with a visible focus ring (WCAG 2.4.7), and
// scroll from the keyboard once there (WCAG 2.1.1), as axe's rule
// scrollable-region-focusable asks. The long item's page must have one such
// box, named after the item.
func TestScrollRegions_Chromium(t *testing.T) {
	t.Parallel()
	// Keys scroll at once, not in an animation that a loaded machine can
	// stretch past the wait below.
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true), chromedp.Flag("disable-smooth-scrolling", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	alice := tour.users["alice"]
	var long strings.Builder
	for i := range 200 {
		fmt.Fprintf(&long, "Line %d of a text longer than any window.\n", i+1)
	}
	id := alice.createItem("Long notes", long.String())
	item := "/items/" + id
	if r := alice.submit(item+"/visibility", item+"/visibility", url.Values{"public": {"true"}, "version": {alice.version(item + "/visibility")}}); r.status != http.StatusSeeOther {
		t.Fatalf("make the long item public: status %d", r.status)
	}
	pages := map[string][]string{
		"anonymous": append(tour.pages["anonymous"], "/p/"+id, "/embed/"+id),
		"alice":     append(tour.pages["alice"], item),
		"grantee":   tour.pages["grantee"],
	}

	// check checks the scrolling boxes of the page shown, and returns how
	// many there are.
	check := func(label string) int {
		t.Helper()
		found, err := chromedp.Run(ctx, chromedp.Evaluate[[]scroller](scrollers))
		if err != nil {
			t.Fatalf("%s: find the scrolling boxes: %v", label, err)
		}
		if len(found) == 0 {
			return 0
		}
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("[data-scroller]")))
		if err != nil || len(nodes) != len(found) {
			t.Fatalf("%s: %d nodes for %d scrolling boxes (%v)", label, len(nodes), len(found), err)
		}
		for i, n := range nodes {
			role, name, err := axRoleName(ctx, n)
			if err != nil {
				t.Fatalf("%s: accessibility node of box %d: %v", label, i, err)
			}
			if role != "region" || strings.TrimSpace(name) == "" {
				t.Errorf("%s: the scrolling box <div class=%q> has role %q and name %q, want a region with a name", label, found[i].Class, role, name)
			}
		}
		// Tab from the top of the page through every stop.
		const focused = `(() => {
			const e = document.activeElement;
			if (!e || e === document.body || e.dataset.scroller === undefined) return {Box: -1};
			const s = getComputedStyle(e);
			return {Box: +e.dataset.scroller, Ring: e.matches(":focus-visible") && s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2};
		})()`
		type stop struct {
			Box  int
			Ring bool
		}
		reached := map[int]bool{}
		for range 120 {
			if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
				t.Fatalf("%s: press Tab: %v", label, err)
			}
			at, err := chromedp.Run(ctx, chromedp.Evaluate[stop](focused))
			if err != nil {
				t.Fatalf("%s: see what has focus: %v", label, err)
			}
			if at.Box < 0 || reached[at.Box] {
				continue
			}
			reached[at.Box] = true
			if !at.Ring {
				t.Errorf("%s: the scrolling box <div class=%q> has focus but no visible focus ring", label, found[at.Box].Class)
			}
			key, moved := kb.PageDown, `document.activeElement.scrollTop > 0`
			if !found[at.Box].Down {
				key, moved = kb.ArrowRight, `document.activeElement.scrollLeft > 0`
			}
			if err := chromedp.Do(ctx, chromedp.KeyEvent(key)); err != nil {
				t.Fatalf("%s: press a key: %v", label, err)
			}
			// Wait for the browser to have moved.
			if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](moved, chromedp.WithPollingTimeout(2*time.Second))); err != nil || !ok {
				t.Errorf("%s: the scrolling box <div class=%q> does not scroll from the keyboard (%v)", label, found[at.Box].Class, err)
			}
		}
		for i, s := range found {
			if !reached[i] {
				t.Errorf("%s: the scrolling box <div class=%q> is not reached by Tab", label, s.Class)
			}
		}
		return len(found)
	}

	for _, width := range []int64{1280, 700, 320} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
			t.Fatalf("set the window to %d pixels: %v", width, err)
		}
		for _, who := range []string{"anonymous", "alice", "grantee"} {
			tour.signIn(t, ctx, who)
			for _, p := range pages[who] {
				tour.open(t, ctx, who, tour.srv.URL+p)
				n := check(fmt.Sprintf("%d px: %s: %s", width, who, p))
				if p == item && n != 1 {
					t.Errorf("%d px: %s: %d scrolling boxes, want the item's text", width, p, n)
				}
			}
		}
		// The long item's own page names its box after the item.
		tour.signIn(t, ctx, "alice")
		tour.open(t, ctx, "alice", tour.srv.URL+item)
		if nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(".item-body"))); err != nil {
			t.Errorf("%d px: %s: find the text: %v", width, item, err)
		} else if _, name, err := axRoleName(ctx, nodes[0]); err != nil || name != "Text of Long notes" {
			t.Errorf("%d px: %s: the text's box is named %q (%v), want %q", width, item, name, err, "Text of Long notes")
		}
	}

	// The page of an edit that lost a race shows the current text in a box
	// of its own.
	edit := item + "/edit"
	tour.open(t, ctx, "alice", tour.srv.URL+edit)
	if r := alice.submit(edit, edit, url.Values{"title": {"Long notes"}, "body": {long.String() + "One more line.\n"}, "version": {alice.version(edit)}}); r.status != http.StatusSeeOther {
		t.Fatalf("edit the long item: status %d", r.status)
	}
	const submit = `(() => { const f = document.querySelector("main form[method=post]"); setTimeout(() => f.requestSubmit(), 0); return true; })()`
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[bool](submit))); err != nil {
		t.Fatalf("%s: submit the stale edit: %v", edit, err)
	}
	if n := check(edit + " after a lost race"); n != 1 {
		t.Errorf("%s after a lost race: %d scrolling boxes, want the current text", edit, n)
	}
}

// TestTargetSize_Chromium: every link and button of the header and the
// footer is at least 24 by 24 CSS pixels (WCAG 2.5.8), for a visitor and a
// signed-in user, in a wide window and 320 pixels wide, where the
// navigation wraps and the spacing exception would no longer hold.
func TestTargetSize_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	const small = `(() => {
		const all = [...document.querySelectorAll("header a, header button, footer a, footer button")];
		const out = all.map(e => { const r = e.getBoundingClientRect(); return {e, w: r.width, h: r.height}; })
			.filter(s => s.w < 24 || s.h < 24)
			.map(s => s.e.textContent.trim() + ": " + s.w.toFixed(1) + "×" + s.h.toFixed(1));
		return {Count: all.length, Small: out};
	})()`
	type targets struct {
		Count int
		Small []string
	}
	for _, width := range []int64{1280, 320} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
			t.Fatalf("set the window to %d pixels: %v", width, err)
		}
		for _, tc := range []struct{ who, path string }{{"anonymous", "/"}, {"anonymous", "/login"}, {"alice", "/items"}, {"grantee", "/items"}} {
			tour.signIn(t, ctx, tc.who)
			tour.open(t, ctx, tc.who, tour.srv.URL+tc.path)
			got, err := chromedp.Run(ctx, chromedp.Evaluate[targets](small))
			if err != nil {
				t.Fatalf("%d px: %s: %s: measure: %v", width, tc.who, tc.path, err)
			}
			if got.Count < 3 {
				t.Errorf("%d px: %s: %s: %d links and buttons in the header and footer, want the brand and the navigation", width, tc.who, tc.path, got.Count)
			}
			for _, s := range got.Small {
				t.Errorf("%d px: %s: %s: %s, want at least 24×24", width, tc.who, tc.path, s)
			}
		}
	}
}

// TestFlashTitle_Chromium: the message shown once after an action (here,
// creating an item) begins the page's title, which screen readers read
// when the page loads, as they do not read a live region that is already
// there; the next load of the page has neither.
func TestFlashTitle_Chromium(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, chromedp.Flag("ignore-certificate-errors", true))
	tour := newBrowserTour(t, "https://blog.example.com")
	tour.signIn(t, ctx, "alice")
	tour.open(t, ctx, "alice", tour.srv.URL+"/items/new")
	const create = `(() => {
		const f = document.querySelector("main form[method=post]");
		f.querySelector("[name=title]").value = "Groceries";
		setTimeout(() => f.requestSubmit(), 0);
		return true;
	})()`
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[bool](create))); err != nil {
		t.Fatalf("create an item: %v", err)
	}
	const shown = `({Title: document.title, Flash: document.querySelector(".flash")?.textContent ?? ""})`
	type state struct{ Title, Flash string }
	got, err := chromedp.Run(ctx, chromedp.Evaluate[state](shown))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Item created. – Groceries · clickguard"; got.Flash != "Item created." || got.Title != want {
		t.Errorf("after creating an item: title %q and message %q, want %q and %q", got.Title, got.Flash, want, "Item created.")
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	got, err = chromedp.Run(ctx, chromedp.Evaluate[state](shown))
	if err != nil {
		t.Fatal(err)
	}
	if got.Flash != "" || got.Title != "Groceries · clickguard" {
		t.Errorf("reloaded: title %q and message %q, want %q and none", got.Title, got.Flash, "Groceries · clickguard")
	}
}
