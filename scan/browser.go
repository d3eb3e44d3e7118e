package scan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clickguard/clickguard/framing"
)

// A Prover loads a page in a real browser inside a chain of framing
// ancestors and says whether the browser rendered it: the proof of a
// [Verdict]. The package [github.com/clickguard/clickguard/scan/proof]
// implements it with headless Chromium.
//
// Prove is called with the URL as scanned ([Result.URL], not the final URL:
// the browser must follow the same redirects, which change how Chromium
// matches frame-ancestors sources with a path), or the verdict's
// [Verdict.FrameURL] when it has one, and the ancestors of one
// verdict (parent first, top last, "null" for an opaque origin), under a
// context that ends after [Options.Timeout]. cookie says whether the
// [Options.Cookie] may be stored for the URL's origin: it is false for a
// page the crawl found on another origin than the URL given, so that the
// cookie reaches no origin the user did not give. It judges the first document
// the browser commits for that URL, after its redirects. It returns an
// error when it could not tell whether the browser rendered the page; Run
// then records the error in [BrowserVerdict.Error] and derives no finding
// from it. Prove is called from several goroutines at once.
type Prover interface {
	Prove(ctx context.Context, url string, ancestors []string, cookie bool) (BrowserVerdict, error)
}

// BrowserVerdict is what a real browser did with the page in a verdict's
// chain. When Error is not empty the proof failed and Rendered means
// nothing.
type BrowserVerdict struct {
	// Browser names the browser, such as "Chromium 156.0.8078.114".
	Browser string `json:"browser"`
	// Rendered reports whether the browser rendered a document in the
	// innermost frame rather than its error page, or nothing (mixed
	// content, a 204, a download).
	Rendered bool `json:"rendered"`
	// Hidden reports that the document rendered shows nothing: its root
	// element or body has display: none or visibility: hidden (and no
	// element in it shows itself again), as a page that hides itself in
	// frames by script does. Nothing of it can be clicked in that frame;
	// but a page that its script hid shows itself in a frame sandboxed
	// without scripts, so the verdict, which follows the headers, stands.
	Hidden bool `json:"hidden,omitempty"`
	// Status is the HTTP status of the response the browser's frame
	// committed, after redirects, when the browser said (0 when not).
	Status int `json:"status,omitempty"`
	// What says what the frame held: the document's URL and title, the
	// browser's error page, or nothing and why.
	What string `json:"what"`
	// Screenshot is the path of a PNG of the framing page, if one was
	// saved.
	Screenshot string `json:"screenshot,omitempty"`
	// Error says why the proof failed.
	Error string `json:"error,omitempty"`
	// Reads is set when the browser is a Chromium older than the one the
	// predictions follow (framing.Chromium), which reads this response
	// otherwise (see framing.AsChromium) and so gives another verdict: it
	// says how that version reads the response. The browser's verdict
	// then agrees with that reading, which the finding
	// older-chromium-differs reports, and is no browser-disagrees.
	Reads string `json:"reads,omitempty"`
}

// prove runs the prover for every verdict of res, whose framed response
// was resp, in order, each after a turn of limit (when not nil) and bounded
// by timeout from then, and adds a browser-disagrees finding for each
// verdict the browser contradicts, unless the browser is an older Chromium
// that gives the verdict of its own reading of resp (see olderReading).
// The prover may store the cookie for the URL it loads when that URL may
// receive the credentials meant for credOrigin. headers says whether the
// scanner sent [Options.Header] values, which no prover sends: a verdict
// the browser contradicts with another status than the scanner got (a
// 401 for want of an Authorization header) is then not proved, as the
// browser judged another response, rather than a finding; so is any
// verdict for which the browser got a 429 Too Many Requests.
func prove(ctx context.Context, p Prover, timeout time.Duration, limit *limiter, res *Result, resp framing.Response, credOrigin string, headers bool) {
	var disagree []Finding
	// Chromium refuses a frame's request for a URL with credentials in it
	// (and res.URL has the password redacted): say so at once rather than
	// wait for each proof's timeout.
	var userinfo error
	if u, err := url.Parse(res.URL); err == nil && u.User != nil {
		userinfo = errors.New("not proved: Chromium does not load a URL with a user name or password in a frame")
	}
	for i := range res.Verdicts {
		v := &res.Verdicts[i]
		var bv BrowserVerdict
		err := ctx.Err()
		if err == nil {
			err = userinfo
		}
		if err == nil && limit != nil {
			err = limit.wait(ctx)
		}
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, timeout)
			// The URL as given, not the final one: framed directly, the final
			// URL is a navigation without the redirects the verdict saw;
			// unless the verdict is for the final URL itself.
			u := res.URL
			if v.FrameURL != "" {
				u = v.FrameURL
			}
			pu, perr := url.Parse(u)
			cookie := perr == nil && mayReceive(credOrigin, pu)
			bv, err = p.Prove(pctx, u, v.Ancestors, cookie)
			cancel()
		}
		if err != nil {
			bv = BrowserVerdict{Browser: bv.Browser, Error: err.Error()}
		}
		otherStatus := err == nil && bv.Status != 0 && res.Status != 0 && bv.Status != res.Status
		switch {
		case err == nil && bv.Status == http.StatusTooManyRequests:
			bv = BrowserVerdict{Browser: bv.Browser, Status: bv.Status, Error: "the browser got status 429 Too Many Requests: the server was limiting the requests, and its answer is not the page"}
			err = errors.New(bv.Error)
		case err == nil && bv.Rendered != v.Framable && otherStatus && headers:
			bv = BrowserVerdict{Browser: bv.Browser, Status: bv.Status, Error: fmt.Sprintf(
				"the browser got status %d where the scanner got %d: it sends none of the headers given (-header), which the page may need, so it judged another response", bv.Status, res.Status)}
			err = errors.New(bv.Error)
		}
		v.Browser = &bv
		if err == nil && bv.Rendered != v.Framable && !olderReading(resp, v) {
			f := disagreement(*v)
			if otherStatus {
				f.Evidence = append(f.Evidence, fmt.Sprintf("status: %s got %d, the scanner %d", bv.Browser, bv.Status, res.Status))
			}
			disagree = append(disagree, f)
		}
	}
	// The findings are ordered most severe first; these are high. (Only
	// when there are some: appending an empty list to none gives nil,
	// which JSON shows as null.)
	if len(disagree) > 0 {
		res.Findings = append(disagree, res.Findings...)
	}
}

// olderReading reports whether the browser that contradicts verdict v is a
// Chromium older than framing.Chromium that reads resp otherwise and gives
// the verdict of its own reading (see framing.AsChromium); it then records
// that reading in v.Browser.Reads. The verdict, which follows current
// Chromium, stands, and judge's older-chromium-differs finding says what
// older versions do.
func olderReading(resp framing.Response, v *Verdict) bool {
	b := v.Browser
	major := chromiumMajor(b.Browser)
	if major == 0 || major >= framing.Chromium {
		return false
	}
	rd := framing.AsChromium(resp, major)
	if len(rd.Otherwise) == 0 {
		return false
	}
	ov, _, err := evaluateFrame(rd.Response, v.Ancestors)
	if err != nil || ov.Framable != b.Rendered {
		return false
	}
	b.Reads = fmt.Sprintf("as Chromium %d reads the response: %s", major, strings.Join(rd.Otherwise, "; "))
	return true
}

// chainOf names v's chain for a message: "foreign origin
// (http://attacker.example)", or the ancestors of a chain given.
func chainOf(v Verdict) string {
	chain := strings.Join(v.Ancestors, " in ")
	if v.Chain != "" {
		chain = v.Chain + " (" + chain + ")"
	}
	return chain
}

// chromiumMajor returns the major version of a browser named as the proof
// names Chromium ("Chromium 148.0.7778.167"), or 0 for another name.
func chromiumMajor(name string) int {
	v, ok := strings.CutPrefix(name, "Chromium ")
	if !ok {
		return 0
	}
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// disagreement is the finding for a verdict that the browser contradicts.
func disagreement(v Verdict) Finding {
	b := v.Browser
	chain := chainOf(v)
	f := Finding{
		ID:       "browser-disagrees",
		Severity: SeverityHigh,
		Evidence: []string{"predicted: " + v.Reason, b.Browser + ": " + b.What},
	}
	if b.Rendered {
		f.Message = fmt.Sprintf("%s rendered the page in a frame of %s although the headers the scanner received forbid it: the page is framable there, and the prediction is wrong for this site. The site may answer framed requests (Sec-Fetch-Dest: iframe, no cookie) with other headers.", b.Browser, chain)
		f.Fix = fixNone + "\n(on every response, framed requests included)"
	} else {
		f.Message = fmt.Sprintf("%s refused to render the page in a frame of %s although the headers the scanner received allow it: the prediction is wrong for this site. The site may answer framed requests (Sec-Fetch-Dest: iframe, no cookie) with other headers.", b.Browser, chain)
	}
	return f
}
