package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// document is what Chromium committed in one frame, read through the
// DevTools protocol from an isolated world of that frame (the page's own
// scripts cannot change what is read).
type document struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Origin      string `json:"origin"`
	Text        string `json:"text"` // the start of the body's text, for messages
	Main        string `json:"main"` // all the text of <main>, whitespace collapsed
	Stylesheets int    `json:"stylesheets"`
	Unreachable string `json:"-"` // the URL Chromium refused, for its error page
}

// isErrorPage reports whether the frame holds Chromium's error page, which
// is what a frame refused by X-Frame-Options or CSP frame-ancestors commits.
func (d document) isErrorPage() bool { return strings.HasPrefix(d.URL, "chrome-error://") }

func (d document) String() string {
	if d.isErrorPage() {
		if d.Unreachable != "" {
			return fmt.Sprintf("Chromium's error page (%s) in place of %s", d.URL, d.Unreachable)
		}
		return fmt.Sprintf("Chromium's error page (%s)", d.URL)
	}
	return fmt.Sprintf("document %s titled %q (%d stylesheets): %q", d.URL, d.Title, d.Stylesheets, d.Text)
}

// frameVerdict is the suite's reading of one framing element.
type frameVerdict struct {
	// Rendered reports whether a document of the target's origin rendered
	// inside the attacker's page.
	Rendered bool
	// What says what the frame holds, for failure messages and the
	// artifacts page.
	What string
	// Doc is the frame's document; zero when there is none.
	Doc document
}

// frameRef is a frame found in the tab: the context of the target (the tab,
// or an out-of-process iframe attached to) whose frame tree holds it.
type frameRef struct {
	host context.Context
	node *page.FrameTree
}

// elementFrame returns the ID of the frame an <iframe>, <object> or <embed>
// with the given id owns in the tab's top document, or "" when it owns none
// (an <object> showing its fallback content), with the element's text.
func elementFrame(ctx context.Context, id string) (cdp.FrameID, string, error) {
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.ID(id)))
	if err != nil {
		return "", "", fmt.Errorf("find #%s: %w", id, err)
	}
	res, err := chromedp.Call(ctx, dom.DescribeNode, dom.DescribeNodeParams{NodeID: nodes[0].NodeID})
	if err != nil {
		return "", "", fmt.Errorf("describe #%s: %w", id, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("document.getElementById(%q).textContent.trim()", id)))
	if err != nil {
		return "", "", fmt.Errorf("text of #%s: %w", id, err)
	}
	return res.Node.FrameID, text, nil
}

func findFrame(ft *page.FrameTree, id cdp.FrameID) *page.FrameTree {
	if ft == nil || ft.Frame == nil {
		return nil
	}
	if ft.Frame.ID == id {
		return ft
	}
	for _, c := range ft.ChildFrames {
		if f := findFrame(c, id); f != nil {
			return f
		}
	}
	return nil
}

// locateFrame finds frame id in the frame trees of hosts (the tab first) or,
// when another process renders it (a cross-site frame under site isolation,
// which stays on), attaches to its target, whose ID is the frame's ID.
// cleanup detaches; the frame itself stays.
func locateFrame(tab context.Context, hosts []context.Context, id cdp.FrameID) (frameRef, func(), error) {
	for _, h := range hosts {
		ft, err := chromedp.Call(h, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return frameRef{}, nil, fmt.Errorf("frame tree: %w", err)
		}
		if n := findFrame(ft.FrameTree, id); n != nil {
			return frameRef{host: h, node: n}, func() {}, nil
		}
	}
	infos, err := chromedp.Targets(tab)
	if err != nil {
		return frameRef{}, nil, fmt.Errorf("targets: %w", err)
	}
	for _, info := range infos {
		if info.TargetID != target.ID(id) {
			continue
		}
		fctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
		ft, err := chromedp.Call(fctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			cancel()
			return frameRef{}, nil, fmt.Errorf("frame tree of iframe target %s: %w", id, err)
		}
		return frameRef{host: fctx, node: ft.FrameTree}, cancel, nil
	}
	return frameRef{}, nil, fmt.Errorf("frame %s is in no frame tree and no target", id)
}

// childFrames returns the IDs of the frames directly inside f, wherever they
// are rendered.
func childFrames(tab context.Context, f frameRef) ([]cdp.FrameID, error) {
	var ids []cdp.FrameID
	for _, c := range f.node.ChildFrames {
		ids = append(ids, c.Frame.ID)
	}
	infos, err := chromedp.Targets(tab)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	for _, info := range infos {
		if info.Type == "iframe" && info.ParentFrameID == f.node.Frame.ID {
			ids = append(ids, cdp.FrameID(info.TargetID))
		}
	}
	return ids, nil
}

const readDocument = `JSON.stringify({
	url: document.URL,
	title: document.title,
	origin: location.origin,
	text: (document.body ? document.body.innerText : "").replace(/\s+/g, " ").trim().slice(0, 160),
	main: (document.querySelector("main")?.innerText ?? "").replace(/\s+/g, " ").trim(),
	stylesheets: document.querySelectorAll("link[rel=stylesheet]").length,
})`

// evalInFrame evaluates expr in a fresh isolated world of the document
// committed in f, waiting for the promise it returns, and returns the result
// by value; what says what the evaluation is for, in errors.
func evalInFrame(f frameRef, what, expr string) (jsonv2.Value, error) {
	w, err := chromedp.Call(f.host, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: f.node.Frame.ID, WorldName: "clickguard-e2e",
	})
	if err != nil {
		return nil, fmt.Errorf("isolated world in frame %s: %w", f.node.Frame.ID, err)
	}
	res, err := chromedp.Call(f.host, runtime.Evaluate, runtime.EvaluateParams{
		Expression: expr, ContextID: w.ExecutionContextID, AwaitPromise: new(true), ReturnByValue: new(true),
	})
	if err != nil {
		return nil, fmt.Errorf("%s in frame %s: %w", what, f.node.Frame.ID, err)
	}
	if res.ExceptionDetails != nil {
		return nil, fmt.Errorf("%s in frame %s: %s", what, f.node.Frame.ID, res.ExceptionDetails.Text)
	}
	return res.Result.Value, nil
}

// readFrame reads the document committed in f from a fresh isolated world.
func readFrame(f frameRef) (document, error) {
	v, err := evalInFrame(f, "read the document", readDocument)
	if err != nil {
		return document{}, err
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return document{}, fmt.Errorf("decode frame %s: %w", f.node.Frame.ID, err)
	}
	var d document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return document{}, fmt.Errorf("decode frame %s: %w", f.node.Frame.ID, err)
	}
	d.Unreachable = f.node.Frame.UnreachableURL
	return d, nil
}

// judgeElement decides whether the target rendered in the framing element
// with the given id. When nested is true the element frames a page of the
// target's own origin, and the verdict is about the frame inside that page.
// targetOrigin is the origin whose document must not render.
//
// The verdict fails closed: "blocked" needs positive evidence (Chromium's
// error page, or no nested document at all with the element's fallback
// shown); any other document, of any origin, counts as rendered.
func judgeElement(tab context.Context, id string, nested bool, targetOrigin string) (frameVerdict, error) {
	fid, fallback, err := elementFrame(tab, id)
	if err != nil {
		return frameVerdict{}, err
	}
	if fid == "" {
		if nested {
			return frameVerdict{}, fmt.Errorf("nested attack: the middle frame #%s did not load", id)
		}
		return frameVerdict{What: fmt.Sprintf("no nested document: the element shows its fallback %q", fallback)}, nil
	}
	f, cleanup, err := locateFrame(tab, []context.Context{tab}, fid)
	if err != nil {
		return frameVerdict{}, err
	}
	defer cleanup()
	prefix := ""
	if nested {
		mid, err := readFrame(f)
		if err != nil {
			return frameVerdict{}, err
		}
		if mid.Origin != targetOrigin {
			return frameVerdict{}, fmt.Errorf("nested attack: the middle frame is %s, not a page of %s", mid, targetOrigin)
		}
		kids, err := childFrames(tab, f)
		if err != nil {
			return frameVerdict{}, err
		}
		if len(kids) != 1 {
			return frameVerdict{}, fmt.Errorf("nested attack: the middle frame holds %d frames, want 1", len(kids))
		}
		inner, icleanup, err := locateFrame(tab, []context.Context{f.host, tab}, kids[0])
		if err != nil {
			return frameVerdict{}, err
		}
		defer icleanup()
		f = inner
		prefix = "inside " + mid.URL + ": "
	}
	d, err := readFrame(f)
	if err != nil {
		return frameVerdict{}, err
	}
	return frameVerdict{Rendered: !d.isErrorPage(), What: prefix + d.String(), Doc: d}, nil
}

// screenshot captures the tab's viewport as PNG.
func screenshot(tab context.Context) ([]byte, error) {
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	return png, nil
}
