package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// framingPage is one attacker page that frames a target in every kind.
type framingPage struct {
	Group        string
	Route        string // the route pattern, for messages
	Origin       string // sameSite, crossSite or partnerSite
	Page         string // from framePageAll
	TargetOrigin string
	// WantRendered says, per kind, where the target must render; every
	// other kind must be blocked.
	WantRendered map[string]bool
}

// runFramingPage loads the attacker page in a new tab of browser (a
// browser context signed in as the victim), judges each framing element
// from its frame's document, records one screenshot for the four verdicts
// and reports every unexpected one.
func runFramingPage(t *testing.T, browser context.Context, p framingPage) {
	t.Helper()
	tab := newTab(t, browser)
	// Navigate returns at the top document's load event, which waits for
	// every frame in it, nested and out-of-process ones included.
	if err := chromedp.Do(tab, chromedp.Navigate(p.Page)); err != nil {
		t.Fatalf("route %s, attacks from %s: load attacker page %s: %v", p.Route, p.Origin, p.Page, err)
	}
	var shots []shot
	var failures []string
	for _, kind := range kinds {
		attack := kind + " from " + p.Origin
		v, err := judgeElement(tab, "target-"+kind, kind == "nested", p.TargetOrigin)
		if err != nil {
			t.Errorf("route %s, attack %s: inspect frame: %v", p.Route, attack, err)
			continue
		}
		verdict := "blocked"
		if v.Rendered {
			verdict = "RENDERED"
		}
		want := p.WantRendered[kind]
		n := len(failures)
		switch {
		case want && v.Rendered && v.Doc.Origin != p.TargetOrigin:
			failures = append(failures, fmt.Sprintf("route %s, attack %s: a document of another origin rendered: %s", p.Route, attack, v.What))
		case v.Rendered == want:
		case v.Rendered:
			failures = append(failures, fmt.Sprintf("route %s, attack %s: the target rendered in the attacker's frame: %s", p.Route, attack, v.What))
		default:
			failures = append(failures, fmt.Sprintf("route %s, attack %s: the target did not render where it must: %s", p.Route, attack, v.What))
		}
		shots = append(shots, shot{Group: p.Group, Route: p.Route, Attack: attack, Verdict: verdict, What: v.What, OK: len(failures) == n})
	}
	png, err := screenshot(tab)
	if err != nil {
		t.Errorf("route %s, attacks from %s: %v", p.Route, p.Origin, err)
	}
	if err := suite.artifacts.addAll(p.Group+"_"+p.Route+"_from-"+p.Origin, shots, png); err != nil {
		t.Error(err)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// tabs is how many attacker tabs run at once. Chromium does most of the
// work; more tabs than this only queue on two cores.
const tabs = 4

// runAll runs each job as a subtest, tabs of them at a time, independent of
// -test.parallel (t.Run may be called from several goroutines).
func runAll(t *testing.T, jobs map[string]func(t *testing.T)) {
	t.Helper()
	sem := make(chan struct{}, tabs)
	var wg sync.WaitGroup
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t.Run(name, jobs[name])
		})
	}
	wg.Wait()
}

// postResult is what came back for a replayed form.
type postResult struct {
	Status int64
	// Doc is the document the tab shows afterwards.
	Doc document
	PNG []byte
}

// submitCrossOrigin loads the attacker page that submits a form to action
// once it has loaded, and returns the status of the document response for
// action, read from the tab's Network events, and the page shown after it.
func submitCrossOrigin(tab context.Context, attackPage, action string) (postResult, error) {
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		return postResult{}, fmt.Errorf("enable network events: %w", err)
	}
	// Subscribe before navigating, so no event is lost. The answer to
	// the POST is a response, or a redirect whose response arrives with
	// the next request.
	ectx, cancel := context.WithCancel(tab)
	defer cancel()
	responses := chromedp.Events(ectx, network.ResponseReceived)
	requests := chromedp.Events(ectx, network.RequestWillBeSent)
	loads := chromedp.Events(tab, page.LoadEventFired)
	if err := chromedp.Do(tab, chromedp.Navigate(attackPage)); err != nil {
		return postResult{}, fmt.Errorf("load attacker page: %w", err)
	}
	type answer struct {
		status int64
		err    error
	}
	answers := make(chan answer, 2)
	go func() {
		for ev, err := range responses {
			if err != nil {
				answers <- answer{err: err}
				return
			}
			if ev.Type == network.ResourceTypeDocument && ev.Response.URL == action {
				answers <- answer{status: ev.Response.Status}
				return
			}
		}
	}()
	go func() {
		for ev, err := range requests {
			if err != nil {
				answers <- answer{err: err}
				return
			}
			if r := ev.RedirectResponse; r != nil && r.URL == action {
				answers <- answer{status: r.Status}
				return
			}
		}
	}()
	ans := <-answers
	if ans.err != nil {
		return postResult{}, fmt.Errorf("wait for the response of %s: %w", action, ans.err)
	}
	res := postResult{Status: ans.status}
	// Two load events: the attacker's page, then the response's page.
	n := 0
	for _, err := range loads {
		if err != nil {
			return postResult{}, fmt.Errorf("wait for the response page to load: %w", err)
		}
		if n++; n == 2 {
			break
		}
	}
	ft, err := chromedp.Call(tab, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return postResult{}, fmt.Errorf("frame tree: %w", err)
	}
	res.Doc, err = readFrame(frameRef{host: tab, node: ft.FrameTree})
	if err != nil {
		return postResult{}, err
	}
	res.PNG, err = screenshot(tab)
	return res, err
}

// buttonCenter loads u at the top level of tab (which it leaves with that
// viewport: use a tab of its own) with a viewport of the
// attacker's frame size and returns the centre of the first element matching
// selector, so that the attacker can place that point under the decoy.
func buttonCenter(tab context.Context, u, selector string) (x, y int, err error) {
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(frameWidth, frameHeight),
		chromedp.Navigate(u),
	); err != nil {
		return 0, 0, fmt.Errorf("load %s: %w", u, err)
	}
	type point struct{ X, Y float64 }
	p, err := chromedp.Run(tab, chromedp.Evaluate[point](fmt.Sprintf(`(() => {
		const r = document.querySelector(%q).getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
	})()`, selector)))
	if err != nil {
		return 0, 0, fmt.Errorf("find %s on %s: %w", selector, u, err)
	}
	return int(math.Round(p.X)), int(math.Round(p.Y)), nil
}

// Where the decoy's centre sits on the clickjacking page.
const decoyX, decoyY = 420, 260

// clickjack loads a Clickbandit-style page that puts the point (bx, by) of
// target under the decoy, checks that the decoy's centre hits the framed
// page (the click goes to the frame, not to the decoy), judges the frame and
// clicks the decoy with real mouse events through the DevTools protocol.
// With waitLanding, it waits until the framed page has navigated after the
// click (only for a same-site frame, whose events reach the tab). It returns
// the verdict on the frame and a screenshot taken before the click with the
// frame made half visible.
func clickjack(tab context.Context, origin, target, targetOrigin string, bx, by int, waitLanding bool) (frameVerdict, []byte, error) {
	u := clickjackPage(origin, target, decoyX-bx, decoyY-by, frameWidth, frameHeight, decoyX, decoyY, "0")
	if err := chromedp.Do(tab, chromedp.Navigate(u)); err != nil {
		return frameVerdict{}, nil, fmt.Errorf("load clickjacking page: %w", err)
	}
	hit, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`document.elementFromPoint(%d, %d).id`, decoyX, decoyY)))
	if err != nil {
		return frameVerdict{}, nil, fmt.Errorf("hit test: %w", err)
	}
	if hit != "target" {
		return frameVerdict{}, nil, fmt.Errorf("the decoy's centre hits #%s, not the invisible frame", hit)
	}
	v, err := judgeElement(tab, "target", false, targetOrigin)
	if err != nil {
		return frameVerdict{}, nil, err
	}
	if v.Rendered {
		// A victim reads the decoy for a while before clicking: the
		// one-click forms' arming delay is over by then.
		if err := settleFrame(tab, "target"); err != nil {
			return frameVerdict{}, nil, err
		}
	}
	// For the picture: the frame half visible shows what lies under the
	// decoy. The click itself is made with the frame invisible again.
	png, err := setOpacityAndShoot(tab, "0.5")
	if err != nil {
		return frameVerdict{}, nil, err
	}
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](`document.getElementById("target").style.opacity = "0"`)); err != nil {
		return frameVerdict{}, nil, fmt.Errorf("hide frame: %w", err)
	}
	// Subscribe before the click: a click that lands submits the framed
	// form, and the frame then commits the response's document, which the
	// server sends only once the POST's handler is done.
	navigated := chromedp.Events(tab, page.FrameNavigated)
	if err := chromedp.Do(tab, chromedp.MouseClickXY(decoyX, decoyY)); err != nil {
		return frameVerdict{}, nil, fmt.Errorf("click the decoy: %w", err)
	}
	if waitLanding {
		for ev, err := range navigated {
			if err != nil {
				return frameVerdict{}, nil, fmt.Errorf("wait for the framed form's response: %w", err)
			}
			if ev.Frame.ParentID != "" {
				break
			}
		}
	}
	return v, png, nil
}

// settleFrame waits until the animations of the document in the frame that
// the element with the given id owns have finished.
func settleFrame(tab context.Context, id string) error {
	fid, _, err := elementFrame(tab, id)
	if err != nil || fid == "" {
		return err
	}
	f, cleanup, err := locateFrame(tab, []context.Context{tab}, fid)
	if err != nil {
		return err
	}
	defer cleanup()
	_, err = evalInFrame(f, "wait for the animations", animationsFinished)
	return err
}

// animationsFinished is a script whose promise resolves once every
// animation of the document has finished.
const animationsFinished = `Promise.all(document.getAnimations().map(a => a.finished)).then(() => true)`

// setOpacityAndShoot sets the clickjacking frame's opacity and takes a
// screenshot.
func setOpacityAndShoot(tab context.Context, opacity string) ([]byte, error) {
	js := fmt.Sprintf(`document.getElementById("target").style.opacity = %q`, opacity)
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		return nil, fmt.Errorf("set frame opacity: %w", err)
	}
	return screenshot(tab)
}

// doubleClick is what a DoubleClickjacking attack met.
type doubleClick struct {
	// Status is the status the target was answered with when the decoy's
	// press navigated to it.
	Status int64
	// Under is the element under the decoy's centre once the target had
	// loaded, where the second click landed; InPostForm reports whether it
	// belongs to a form that posts.
	Under      string
	InPostForm bool
	// Doc is the tab's document after the second click.
	Doc document
	// PNG shows the target as the second click found it.
	PNG []byte
}

// doubleClickjack loads the attacker's double-click page on origin in tab,
// with the decoy centred on (bx, by) of a viewport of the attacker's frame
// size, and double-clicks the decoy with real mouse events: the first press
// navigates the tab to target, and once target has loaded, the second click
// lands at the same point, after the page's animations have finished. If that
// point is in a form that posts, it waits for the page the submission leads
// to.
func doubleClickjack(tab context.Context, origin, target string, bx, by int) (doubleClick, error) {
	var dc doubleClick
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(frameWidth, frameHeight),
		chromedp.Navigate(doubleClickPage(origin, target, bx, by)),
	); err != nil {
		return dc, fmt.Errorf("load double-click page: %w", err)
	}
	hit, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`document.elementFromPoint(%d, %d).id`, bx, by)))
	if err != nil {
		return dc, fmt.Errorf("hit test: %w", err)
	}
	if hit != "decoy" {
		return dc, fmt.Errorf("the point (%d, %d) hits #%s, not the decoy", bx, by, hit)
	}
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		return dc, err
	}
	responses := chromedp.Events(tab, network.ResponseReceived)
	if _, err := chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.MouseClickXY(float64(bx), float64(by)))); err != nil {
		return dc, fmt.Errorf("first click: %w", err)
	}
	if dc.Status, err = waitResponse(responses, target); err != nil {
		return dc, err
	}
	// The second click comes once the page's animations have finished, as
	// an attacker who asks for a slow double-click would have it: the
	// one-click forms' arming delay must not be what stops the attack here.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](animationsFinished, chromedp.EvalAwaitPromise)); err != nil {
		return dc, fmt.Errorf("wait for the page's animations: %w", err)
	}
	type under struct {
		What       string
		InPostForm bool
	}
	u, err := chromedp.Run(tab, chromedp.Evaluate[under](fmt.Sprintf(`(() => {
		const e = document.elementFromPoint(%d, %d);
		if (!e) return {What: "nothing", InPostForm: false};
		const f = e.closest("form");
		const what = "<" + e.localName + "> " + JSON.stringify(e.textContent.trim().slice(0, 60)) +
			(f ? " in a form " + f.method + " to " + f.getAttribute("action") : "");
		return {What: what, InPostForm: !!f && f.method === "post"};
	})()`, bx, by)))
	if err != nil {
		return dc, fmt.Errorf("what lies under the decoy: %w", err)
	}
	dc.Under, dc.InPostForm = u.What, u.InPostForm
	if dc.PNG, err = screenshot(tab); err != nil {
		return dc, err
	}
	second := chromedp.MouseClickXY(float64(bx), float64(by), chromedp.ClickCount(2))
	if dc.InPostForm {
		_, err = chromedp.Run(tab, chromedp.WaitEvent(page.LoadEventFired, nil, second))
	} else {
		err = chromedp.Do(tab, second)
	}
	if err != nil {
		return dc, fmt.Errorf("second click: %w", err)
	}
	if dc.Doc, err = topDocument(tab); err != nil {
		return dc, err
	}
	return dc, nil
}

// armedClick is what a click on a one-click form's button met.
type armedClick struct {
	// Target is what the click event reached: "button", or the element
	// under the button that took the click instead.
	Target string
	// Submitted reports whether the click submitted the form. The test's
	// listener cancels the submission, so nothing changes either way.
	Submitted bool
}

// clickArmed clicks (bx, by) on the page in tab with real mouse events,
// either while the page's animations are held at their start (finished
// false: the first instant the page is shown) or after finishing them, and
// reports what the click reached. The page must have animations to hold.
func clickArmed(tab context.Context, bx, by int, finished bool) (armedClick, error) {
	var c armedClick
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](fmt.Sprintf(`(() => {
		window.__armed = {Target: "", Submitted: false};
		if (!window.__armedListening) {
			window.__armedListening = true;
			document.addEventListener("click", e => { __armed.Target = e.target.closest("button") ? "button" : "<" + e.target.localName + ">"; }, true);
			document.addEventListener("submit", e => { __armed.Submitted = true; e.preventDefault(); }, true);
		}
		const as = document.getAnimations();
		for (const a of as) {
			if (%t) { a.finish(); } else { a.pause(); a.currentTime = 0; }
		}
		return as.length;
	})()`, finished)))
	if err != nil {
		return c, fmt.Errorf("hold the animations: %w", err)
	}
	if n == 0 {
		return c, errors.New("the page has no animations to hold: the one-click style is not applied")
	}
	if err := chromedp.Do(tab, chromedp.MouseClickXY(float64(bx), float64(by))); err != nil {
		return c, fmt.Errorf("click: %w", err)
	}
	return chromedp.Run(tab, chromedp.Evaluate[armedClick](`window.__armed`))
}
