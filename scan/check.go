package scan

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/clickguard/clickguard/framing"
)

// Header names, lower-cased.
const (
	hdrXFO   = "x-frame-options"
	hdrCSP   = "content-security-policy"
	hdrCSPRO = "content-security-policy-report-only"

	// The headers that tell whether the response is a document at all.
	hdrType        = "content-type"
	hdrDisposition = "content-disposition"
	hdrNosniff     = "x-content-type-options"

	hdrRetryAfter = "retry-after"
)

// Fixes that recur.
const (
	fixNone = "Content-Security-Policy: frame-ancestors 'none'"
	fixSelf = "Content-Security-Policy: frame-ancestors 'self'"
)

// policyAt is one policy of an enforced or report-only CSP header line.
type policyAt struct {
	line   framing.Header
	ev     string // line as evidence, one string for all the line's policies
	policy framing.Policy
}

// Bounds on what one page makes the checks do and the report hold. A page
// may name thousands of sources, policies or meta tags within the fetch
// limits; the checks look at the first ones one by one, and the verdicts,
// which framing.Evaluate decides on the whole response, stay exact.
const (
	// maxPolicies is how many enforced policies, maxSources how many
	// sources of one frame-ancestors, and maxMeta how many meta tags the
	// checks look at one by one.
	maxPolicies = 64
	maxSources  = 64
	maxMeta     = 64
	// maxEvaluations is how many ancestor origins besides the standard
	// chains the checks may test against the page's policies, each a
	// framing.Evaluate of the whole response.
	maxEvaluations = 64
	// MaxFindings is the most findings a Result holds; a page with more
	// keeps the most severe and ends with a findings-truncated finding.
	MaxFindings = 50
	// maxText bounds each string of a finding and a verdict's reason, and
	// findingsBudget the text of a result's findings together.
	maxText        = 16 << 10
	findingsBudget = 256 << 10
)

// facts is what the checks need to know about one response.
type facts struct {
	resp       framing.Response
	xfoLines   []framing.Header
	xfo        framing.XFO
	firefoxXFO framing.XFO // as Firefox reads it (framing.FirefoxXFO)
	enforced   []policyAt  // every policy of every Content-Security-Policy line
	reportOnly []policyAt
	hasFA      bool // an enforced policy has frame-ancestors
	// dropped are the enforced policies whose frame-ancestors browsers
	// ignore for a byte they do not allow in it.
	dropped []policyAt

	own            string // the page's origin
	ownScheme      string // the page's scheme
	foreign        string // the attacker origin of the standard chains
	foreignV, ownV framing.Verdict
	doubleV        framing.Verdict
	// The URLs a frame of each standard chain loads, when not the URL as
	// scanned (see evaluateFrame).
	foreignURL, ownURL, doubleURL string

	page              *page
	top               *page // the top-level navigation; nil if it failed
	direct            *page // from the address bar, when both were refused; or nil
	topForeignV       framing.Verdict
	errPage           *framing.Response
	errPageForeignV   framing.Verdict
	errPageForeignErr error

	// evaluated holds the verdicts of the one-ancestor chains evaluate has
	// decided, the standard ones included.
	evaluated map[string]framing.Verdict
}

// errTooManyEvaluations says that evaluate has tested maxEvaluations
// ancestors already.
var errTooManyEvaluations = errors.New("too many ancestors to test one by one")

// evaluate returns the verdict for the page framed directly by ancestor,
// deciding each ancestor once and at most maxEvaluations of them: each
// costs a framing.Evaluate of the whole response.
func (f *facts) evaluate(ancestor string) (framing.Verdict, error) {
	if v, ok := f.evaluated[ancestor]; ok {
		return v, nil
	}
	if len(f.evaluated) >= maxEvaluations+2 { // the standard two are free
		return framing.Verdict{}, errTooManyEvaluations
	}
	v, _, err := evaluateFrame(f.resp, []string{ancestor})
	if err != nil {
		return v, err
	}
	f.evaluated[ancestor] = v
	return v, nil
}

// judge fills in res's verdicts and findings for a page fetched as a framed
// navigation. top, when not nil, is the same URL fetched as a top-level
// navigation from another site, and direct as one from the address bar;
// errPage, when not nil, is the same origin's response to a missing path,
// and probeErr, when not nil, why there is none when one was asked for.
func judge(res *Result, p, top, direct *page, errPage *framing.Response, probeErr error, chains [][]string) error {
	f, err := newFacts(p, top, direct, errPage)
	if err != nil {
		return err
	}
	if len(chains) == 0 {
		res.Verdicts = []Verdict{
			verdict(ChainForeign, []string{f.foreign}, f.foreignV, f.foreignURL),
			verdict(ChainSelf, []string{f.own}, f.ownV, f.ownURL),
			verdict(ChainDouble, []string{f.own, f.foreign}, f.doubleV, f.doubleURL),
		}
	} else {
		for _, chain := range chains {
			v, frameURL, err := evaluateFrame(p.resp, chain)
			if err != nil {
				return fmt.Errorf("evaluate chain %q: %w", strings.Join(chain, ","), err)
			}
			res.Verdicts = append(res.Verdicts, verdict("", chain, v, frameURL))
		}
	}
	var others []Finding
	if of, ok := olderChromium(p.resp, res.Verdicts); ok {
		others = append(others, of)
	}
	if probeErr != nil {
		others = append(others, Finding{
			ID:       "error-page-unchecked",
			Severity: SeverityInfo,
			Message:  "The probe of a missing page of this origin, fetched once per origin, failed, so whether its error pages can be framed was not checked, for this page or any other of the origin.",
			Evidence: []string{probeErr.Error()},
		})
	}
	res.Findings = f.findings(others...)
	return nil
}

// olderChromium returns the older-chromium-differs finding when an older
// version of Chromium that was measured (framing.OlderChromium), which
// reads some responses otherwise than Chromium 156, whose verdicts these
// are (see framing.AsChromium), gives resp another verdict in one of the
// chains: medium when one renders the page in a chain where Chromium 156
// refuses it, since its users can be clickjacked there.
func olderChromium(resp framing.Response, verdicts []Verdict) (Finding, bool) {
	// differs is what some versions, oldest first, make otherwise of resp.
	type differs struct {
		versions         []string
		renders, refuses []string
	}
	var all []differs
	var otherwise []string
	var measured []string // the versions, oldest first
	for _, major := range slices.Backward(framing.OlderChromium()) {
		measured = append(measured, strconv.Itoa(major))
		rd := framing.AsChromium(resp, major)
		var d differs
		for _, v := range verdicts {
			ov, _, err := evaluateFrame(rd.Response, v.Ancestors)
			switch {
			case err != nil || ov.Framable == v.Framable:
			case ov.Framable:
				d.renders = append(d.renders, chainOf(v))
			default:
				d.refuses = append(d.refuses, chainOf(v))
			}
		}
		if d.renders == nil && d.refuses == nil {
			continue
		}
		for _, c := range rd.Otherwise {
			if !slices.Contains(otherwise, c) {
				otherwise = append(otherwise, c)
			}
		}
		d.versions = []string{measured[len(measured)-1]}
		if n := len(all); n > 0 && slices.Equal(all[n-1].renders, d.renders) && slices.Equal(all[n-1].refuses, d.refuses) {
			all[n-1].versions = append(all[n-1].versions, d.versions...)
			continue
		}
		all = append(all, d)
	}
	if all == nil {
		return Finding{}, false
	}
	f := Finding{ID: "older-chromium-differs", Severity: SeverityInfo, Evidence: otherwise}
	webkitSaid := false
	msg := fmt.Sprintf("Older versions of Chromium read this response otherwise than Chromium %d, whose verdicts these are (measured): %s.", framing.Chromium, strings.Join(otherwise, "; "))
	for _, d := range all {
		versions, s := "Chromium "+strings.Join(d.versions, " and "), ""
		if len(d.versions) == 1 {
			s = "s" // Chromium 150 renders; Chromium 148 and 150 render
		}
		if d.renders != nil {
			visitors := "Chromium " + strings.Join(d.versions, " or ")
			if slices.Equal(d.versions, measured[:len(d.versions)]) {
				// The versions before these read as the oldest, as far as
				// is known.
				visitors = "Chromium " + d.versions[len(d.versions)-1] + ", or older,"
			}
			if f.Severity != SeverityMedium {
				f.Severity = SeverityMedium
				f.Fix = fixNone + "\n(which every version of Chromium reads alike)"
			}
			msg += fmt.Sprintf(" %s render%s the page in a frame of %s, where Chromium %d refuses it: visitors whose browser is %s can be clickjacked on this page.", versions, s, strings.Join(d.renders, ", "), framing.Chromium, visitors)
			if !webkitSaid && webkitVT(resp, verdicts) {
				webkitSaid = true
				msg += " WebKit, the engine Safari is built on, reads a vertical tab in a policy as Chromium 150 does (measured), so Safari's visitors can be clickjacked on it too."
			}
		}
		if d.refuses != nil {
			msg += fmt.Sprintf(" %s refuse%s the page a frame of %s, which Chromium %d renders: the verdicts stand for current browsers.", versions, s, strings.Join(d.refuses, ", "), framing.Chromium)
		}
	}
	f.Message = msg
	return f, true
}

// webkitVT reports whether WebKit, which reads a VT in a policy as
// whitespace, as Chromium 150 and older do (measured:
// framing/testdata/webkit.json), renders resp in a chain whose verdict
// refuses it: the VT is the only shape read otherwise here.
func webkitVT(resp framing.Response, verdicts []Verdict) bool {
	rd, vt := framing.VTAsWhitespace(resp)
	if !vt {
		return false
	}
	for _, v := range verdicts {
		if v.Framable {
			continue
		}
		if ov, _, err := evaluateFrame(rd, v.Ancestors); err == nil && ov.Framable {
			return true
		}
	}
	return false
}

func verdict(name string, chain []string, v framing.Verdict, frameURL string) Verdict {
	return Verdict{
		Chain:     name,
		Ancestors: slices.Clone(chain),
		Framable:  v.Framable,
		DecidedBy: string(v.DecidedBy),
		Reason:    cut(v.Reason),
		FrameURL:  frameURL,
	}
}

// evaluateFrame is framing.Evaluate for a frame of chain that loads the
// page as an attacker's frame would: from the URL as scanned, through its
// redirects. Where Chromium blocks that URL, or one a redirect sends it
// to, as mixed content in chain (an https ancestor, an http URL) but not
// the final URL, an attacker frames the final URL itself: the verdict is
// then that frame's, and frameURL is the final URL. Otherwise frameURL is
// empty.
func evaluateFrame(resp framing.Response, chain []string) (v framing.Verdict, frameURL string, err error) {
	v, err = framing.Evaluate(resp, chain)
	if err != nil || v.DecidedBy != framing.DecidedByMixedContent || len(resp.Redirects) == 0 {
		return v, "", err
	}
	direct := resp
	direct.Redirects, direct.Redirected = nil, false
	dv, err := framing.Evaluate(direct, chain)
	if err != nil || dv.DecidedBy == framing.DecidedByMixedContent {
		return v, "", err
	}
	blocked := resp.Redirects[0]
	for _, u := range resp.Redirects {
		hop := framing.Response{URL: u}
		if hv, err := framing.Evaluate(hop, chain); err == nil && hv.DecidedBy == framing.DecidedByMixedContent {
			blocked = u
			break
		}
	}
	dv.Reason = fmt.Sprintf("judged for a frame of %s itself, as an attacker would make it: Chromium blocks %s as mixed content in a frame of this chain; %s",
		resp.URL, blocked, dv.Reason)
	return dv, resp.URL, nil
}

func newFacts(p, top, direct *page, errPage *framing.Response) (*facts, error) {
	f := &facts{resp: p.resp, page: p, top: top, direct: direct, errPage: errPage}
	var xfoValues []string
	for _, h := range p.resp.Headers {
		switch strings.ToLower(h.Name) {
		case hdrXFO:
			f.xfoLines = append(f.xfoLines, h)
			xfoValues = append(xfoValues, h.Value)
		case hdrCSP:
			ev := line(h)
			for _, pol := range framing.ParseCSP(h.Value) {
				f.enforced = append(f.enforced, policyAt{h, ev, pol})
				if _, ok := pol.FrameAncestors(); ok {
					f.hasFA = true
				} else if _, _, ok := pol.IgnoredFrameAncestors(); ok {
					f.dropped = append(f.dropped, policyAt{h, ev, pol})
				}
			}
		case hdrCSPRO:
			ev := line(h)
			for _, pol := range framing.ParseCSP(h.Value) {
				f.reportOnly = append(f.reportOnly, policyAt{h, ev, pol})
			}
		}
	}
	f.xfo = framing.ParseXFO(xfoValues)
	f.firefoxXFO = framing.FirefoxXFO(xfoValues)

	home := p.home()
	own, err := framing.ParseOrigin(home.Scheme + "://" + home.Host)
	if err != nil {
		return nil, fmt.Errorf("origin of %s: %w", home.Redacted(), err)
	}
	f.own = own.String()
	f.ownScheme = own.Scheme
	// The attacker uses the final page's scheme: an http page cannot be
	// framed by an https document (browsers block it as mixed content), and
	// the sources that admit http attackers to an https page (http:, http://
	// hosts without a port) admit https ones too. An https page reached
	// from an http URL is then judged as the attacker would frame it, by its
	// final URL (see evaluateFrame).
	f.foreign = own.Scheme + "://" + ForeignOrigin
	for _, e := range []struct {
		v     *framing.Verdict
		u     *string
		chain []string
	}{
		{&f.foreignV, &f.foreignURL, []string{f.foreign}},
		{&f.ownV, &f.ownURL, []string{f.own}},
		{&f.doubleV, &f.doubleURL, []string{f.own, f.foreign}},
	} {
		if *e.v, *e.u, err = evaluateFrame(p.resp, e.chain); err != nil {
			return nil, fmt.Errorf("evaluate chain %q: %w", strings.Join(e.chain, ","), err)
		}
	}
	f.evaluated = map[string]framing.Verdict{f.foreign: f.foreignV, f.own: f.ownV}
	if errPage != nil {
		f.errPageForeignV, _, f.errPageForeignErr = evaluateFrame(*errPage, []string{f.foreign})
	}
	if top != nil {
		var err error
		if f.topForeignV, _, err = evaluateFrame(top.resp, []string{f.foreign}); err != nil {
			f.top = nil
		}
	}
	return f, nil
}

// findings runs every check and returns their findings with others, most
// severe first; findings of equal severity keep the order below, others
// last, and all are bounded together (see bound).
func (f *facts) findings(others ...Finding) []Finding {
	var out []Finding
	add := func(fs ...Finding) { out = append(out, fs...) }
	add(f.checkProtection()...)
	add(f.checkXFO()...)
	add(f.checkHeaderNames()...)
	add(f.checkMeta()...)
	add(f.checkReportOnly()...)
	policies := f.checkPolicies()
	if ff, ok := f.checkForeign(policies); ok {
		// First among the high findings, as checkProtection's would be.
		out = append([]Finding{ff}, out...)
	}
	add(policies...)
	add(f.checkErrorPage()...)
	add(f.checkTopLevel()...)
	add(f.checkStatus()...)
	add(f.checkDocument()...)
	add(f.checkRefresh()...)
	add(others...)
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	return bound(out)
}

// bound returns findings, most severe first, without repeats, each string
// cut to maxText, and at most MaxFindings of them within findingsBudget:
// when some are left out, the last says how many.
func bound(findings []Finding) []Finding {
	out := []Finding{}
	seen := map[string]bool{}
	size, left := 0, 0
	for _, f := range findings {
		f.Message, f.Fix = cut(f.Message), cutFix(f.Fix)
		ev := make([]string, 0, len(f.Evidence))
		for _, e := range f.Evidence {
			ev = append(ev, cut(e))
		}
		f.Evidence = ev
		key := f.ID + "\x00" + f.Message + "\x00" + f.Fix + "\x00" + strings.Join(f.Evidence, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		if len(out) == MaxFindings-1 || size > findingsBudget {
			left++
			continue
		}
		out = append(out, f)
		size += len(key)
	}
	if left > 0 {
		out = append(out, Finding{
			ID:       "findings-truncated",
			Severity: SeverityInfo,
			Message:  fmt.Sprintf("%d more findings on this page are not listed: a report lists at most %d, and at most %d KiB of them, most severe first. Fix these and scan again.", left, MaxFindings, findingsBudget>>10),
			Evidence: []string{},
		})
	}
	return out
}

// cutFix shortens a fix to at most maxText bytes as cut does, but at a
// space or a line's end, so that what is left is still header lines to
// send: fewer sources of a directive, which lets fewer sites in, or fewer
// lines, after the ones that protect the page (see policyFix). A last
// line, in parentheses, says how much was left out.
func cutFix(fix string) string {
	if len(fix) <= maxText {
		return fix
	}
	n := max(strings.LastIndexAny(fix[:maxText-64], " \n"), 0)
	return fmt.Sprintf("%s\n(%d more bytes of the fix left out)", fix[:n], len(fix)-n)
}

// cut shortens s to at most maxText bytes, on a character boundary, saying
// how much it left out.
func cut(s string) string {
	if len(s) <= maxText {
		return s
	}
	head := runePrefix(s, maxText)
	return fmt.Sprintf("%s… (%d more bytes)", head, len(s)-len(head))
}

// runePrefix returns the longest start of s of at most n bytes that ends
// on a character boundary.
func runePrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// checkProtection judges the page as a whole: unprotected, or protected
// only by the legacy header. A policy that lets a foreign origin frame the
// page is checkForeign's.
func (f *facts) checkProtection() []Finding {
	_, xfoBlocked := xfoBlocks[f.xfo.Mode]
	if f.foreignV.DecidedBy == framing.DecidedByNoDocument {
		return f.checkNoDocument(f.hasFA || xfoBlocked)
	}
	switch {
	case !f.hasFA && !xfoBlocked && f.foreignV.Framable:
		msg := "No framing protection that browsers enforce: any site can load this page in a frame and trick users into clicking on it (clickjacking)."
		switch {
		case f.xfo.Mode == framing.XFOAllowAll:
			msg = "X-Frame-Options: ALLOWALL allows every frame and no Content-Security-Policy frame-ancestors restricts it: any site can frame this page (clickjacking)."
		case len(f.dropped) > 0:
			msg = "Browsers ignore the Content-Security-Policy frame-ancestors directive because its value holds a byte that is not allowed, and no other framing protection is enforced: any site can load this page in a frame and trick users into clicking on it (clickjacking)."
		}
		ev := headerEvidence(f.xfoLines)
		for _, p := range f.dropped {
			ev = appendUnique(ev, p.ev)
		}
		for _, p := range f.reportOnly {
			if _, ok := p.policy.FrameAncestors(); ok {
				ev = appendUnique(ev, p.ev)
			}
		}
		for _, m := range f.resp.Meta[:min(len(f.resp.Meta), maxMeta)] {
			if framingMeta(m) {
				ev = appendUnique(ev, metaTag(m))
			}
		}
		if len(ev) == 0 {
			ev = []string{"(no X-Frame-Options or Content-Security-Policy frame-ancestors header)"}
		}
		sev := SeverityHigh
		switch {
		case f.refused():
			// The frame shows the refusal, not the page; the top-level
			// response is judged by checkTopLevel.
			sev = SeverityLow
			msg = fmt.Sprintf("The server refuses a framed navigation with status %d but sends no framing protection that browsers enforce with the refusal: any site can frame that response, though it offers little to click on.", f.resp.Status)
		case !f.page.isHTML:
			// An image or a JSON document in a frame offers nothing to
			// click; it is still worth protecting, but it is not a page.
			sev = SeverityLow
			msg += " The response is not HTML, so there is little to click on."
		}
		return []Finding{{ID: "no-protection", Severity: sev, Message: msg, Evidence: ev, Fix: fixNone}}
	case !f.hasFA && (f.xfo.Mode == framing.XFODeny || f.xfo.Mode == framing.XFOSameOrigin):
		fix := fixNone
		var out []Finding
		if f.xfo.Mode == framing.XFOSameOrigin {
			fix = fixSelf
			out = append(out, Finding{
				ID:       "browser-difference",
				Severity: SeverityInfo,
				Message:  "Browsers and the HTML standard differ here: for X-Frame-Options: SAMEORIGIN Chromium, Firefox and WebKit compare the page's URL origin (measured), so the page still renders in a sandboxed frame of its own origin, which the standard, comparing the frame's opaque origin, would block. frame-ancestors 'self' renders it there too, in the three browsers (measured) as in CSP 3, so that browsers and standards agree on it; either way only the page's own origin can frame it.",
				Evidence: headerEvidence(f.xfoLines),
				Fix:      fixSelf,
			})
		}
		return append([]Finding{{
			ID:       "xfo-only",
			Severity: SeverityLow,
			Message:  "Framing is blocked only by the legacy X-Frame-Options header. Browsers honour it, but Content-Security-Policy frame-ancestors is the standard that replaces it; send both.",
			Evidence: headerEvidence(f.xfoLines),
			Fix:      fix,
		}}, out...)
	}
	return nil
}

// checkForeign returns the framable-by-foreign finding when the enforced
// frame-ancestors lets the foreign origin frame the page and no high
// overbroad-source among policies, the findings of checkPolicies, says so
// already. It asks what those checks found, not which sources the policies
// name: they look at the first maxPolicies policies and maxSources sources
// of each, and a broad source past those bounds, which no check reports,
// must still make a high finding (fail closed).
func (f *facts) checkForeign(policies []Finding) (Finding, bool) {
	if !f.hasFA || !f.foreignV.Framable {
		return Finding{}, false
	}
	if slices.ContainsFunc(policies, func(p Finding) bool { return p.ID == "overbroad-source" && p.Severity == SeverityHigh }) {
		return Finding{}, false
	}
	return Finding{
		ID:       "framable-by-foreign",
		Severity: SeverityHigh,
		Message:  fmt.Sprintf("The enforced frame-ancestors policy lets a foreign site (%s) frame this page.", f.foreign),
		Evidence: f.faEvidence(),
		Fix:      fixSelf,
	}, true
}

// checkXFO looks at the X-Frame-Options values themselves.
func (f *facts) checkXFO() []Finding {
	if len(f.xfoLines) == 0 {
		return nil
	}
	ev := headerEvidence(f.xfoLines)
	var out []Finding
	// Splitting at quoted commas adds values but never takes one that
	// Chromium reads away: only the trimming makes Firefox ignore what
	// Chromium obeys.
	chromium, chromiumBlocks := xfoBlocks[f.xfo.Mode]
	if _, firefoxBlocks := xfoBlocks[f.firefoxXFO.Mode]; chromiumBlocks && !firefoxBlocks && !f.hasFA {
		fix := "X-Frame-Options: DENY"
		if f.xfo.Mode == framing.XFOSameOrigin {
			fix = "X-Frame-Options: SAMEORIGIN"
		}
		out = append(out, Finding{
			ID:       "xfo-firefox-ignores",
			Severity: SeverityMedium,
			Message:  fmt.Sprintf("Chromium reads X-Frame-Options (%s) as %s, for it trims a vertical tab or a form feed around a value, but Firefox (measured) trims only spaces and tabs: to it no value here is DENY or SAMEORIGIN, and it ignores the header. With no frame-ancestors, Firefox users can be clickjacked on this page. Send one value alone, and frame-ancestors.", quoteList(f.xfo.Tokens), chromium),
			Evidence: ev,
			Fix:      fix,
		})
	}
	if f.xfo.Mode == framing.XFOConflict {
		sev, note := SeverityMedium, "Chromium then blocks every frame, even the page's own, and older browsers may pick either value."
		if f.hasFA {
			sev, note = SeverityLow, "Browsers that support frame-ancestors ignore X-Frame-Options here, but older ones block every frame or pick either value."
		}
		fix := "X-Frame-Options: SAMEORIGIN"
		if slices.Contains(f.xfo.Tokens, "deny") {
			fix = "X-Frame-Options: DENY"
		}
		return append(out, Finding{
			ID:       "xfo-conflict",
			Severity: sev,
			Message:  fmt.Sprintf("X-Frame-Options has several different values (%s). %s", quoteList(f.xfo.Tokens), note),
			Evidence: ev,
			Fix:      fix,
		})
	}
	// Unknown values: ALLOW-FROM and the rest.
	for _, tok := range f.xfo.Tokens {
		if tok == "deny" || tok == "sameorigin" || tok == "allowall" {
			continue
		}
		sev := SeverityMedium
		if f.hasFA {
			sev = SeverityInfo
		}
		if rest, ok := strings.CutPrefix(tok, "allow-from"); ok {
			fix, note := f.allowFromFix(rest)
			out = append(out, Finding{
				ID:       "xfo-allow-from",
				Severity: sev,
				Message:  "X-Frame-Options: ALLOW-FROM is not supported by any current browser: the value is ignored, as if the header were absent. Name the allowed origins in frame-ancestors instead." + note,
				Evidence: ev,
				Fix:      fix,
			})
			continue
		}
		out = append(out, Finding{
			ID:       "xfo-invalid",
			Severity: sev,
			Message:  fmt.Sprintf("X-Frame-Options value %q is not one browsers know (DENY or SAMEORIGIN): it is ignored.", tok),
			Evidence: ev,
			Fix:      invalidXFOFix(tok),
		})
	}
	if f.xfo.Mode == framing.XFODeny || f.xfo.Mode == framing.XFOSameOrigin {
		n := 0
		for _, h := range f.xfoLines {
			n += strings.Count(h.Value, ",") + 1
		}
		if n > 1 {
			out = append(out, Finding{
				ID:       "xfo-duplicate",
				Severity: SeverityInfo,
				Message:  fmt.Sprintf("X-Frame-Options carries the same value %d times; browsers treat the values as a set, so this works, but one line is enough.", n),
				Evidence: ev,
				Fix:      "X-Frame-Options: " + strings.ToUpper(f.xfo.Tokens[0]),
			})
		}
	}
	return out
}

// xfoBlocks holds the X-Frame-Options modes that restrict framing, each
// named for a message.
var xfoBlocks = map[framing.XFOMode]string{
	framing.XFODeny:       "DENY",
	framing.XFOSameOrigin: "SAMEORIGIN",
	framing.XFOConflict:   "a conflict, which blocks every frame",
}

// checkHeaderNames finds misspelled or obsolete framing header names.
func (f *facts) checkHeaderNames() []Finding {
	var out []Finding
	for _, h := range f.resp.Headers {
		name := strings.ToLower(h.Name)
		switch {
		case name == hdrXFO || name == hdrCSP || name == hdrCSPRO:
		case name == "frame-options" || (len(name) > 8 && editDistance(name, hdrXFO) <= 2):
			fix, note := f.xfoFix(h.Value)
			out = append(out, Finding{
				ID:       "header-misspelled",
				Severity: SeverityMedium,
				Message:  fmt.Sprintf("Header %q is not X-Frame-Options: browsers ignore it.", h.Name) + note,
				Evidence: []string{line(h)},
				Fix:      fix,
			})
		case name == "x-content-security-policy" || name == "x-webkit-csp" ||
			(len(name) > 10 && editDistance(name, hdrCSP) <= 2):
			out = append(out, Finding{
				ID:       "header-misspelled",
				Severity: SeverityMedium,
				Message:  fmt.Sprintf("Header %q is not Content-Security-Policy (obsolete or misspelled): current browsers ignore it.", h.Name),
				Evidence: []string{line(h)},
				Fix:      f.policyFix([]string{h.Value}),
			})
		}
	}
	return out
}

// checkRefresh reports a refresh to another page: in a frame, that page
// soon replaces this one, under its own headers (measured in Chromium by
// proof's TestRefresh_chromium: a refresh to a page that refuses frames
// leaves the frame on its error page).
func (f *facts) checkRefresh() []Finding {
	if f.refused() || f.page.notFetched != "" || f.foreignV.DecidedBy == framing.DecidedByNoDocument {
		return nil
	}
	r, ok := pageRefresh(f.resp, f.page.final, f.page.metaBase, f.page.isHTML)
	if !ok {
		return nil
	}
	after := "after " + r.delay + " seconds"
	switch r.delay {
	case "0":
		after = "at once"
	case "1":
		after = "after 1 second"
	}
	msg := fmt.Sprintf("The page refreshes to %s %s: in a frame, that page then replaces this one, and its own headers decide whether it shows there. Scan it too.", r.target.Redacted(), after)
	if r.meta {
		msg += " (Chromium runs no <meta> refresh in a frame sandboxed without allow-scripts: there, this page stays.)"
	} else {
		msg += " (Chromium runs a Refresh header in a sandboxed frame too.)"
	}
	return []Finding{{ID: "refresh", Severity: SeverityInfo, Message: msg, Evidence: []string{r.evidence}}}
}

// framingMeta reports whether m writes a framing policy, which browsers
// ignore in a <meta> tag: X-Frame-Options, or a Content-Security-Policy
// with frame-ancestors. Other tags (a charset, a refresh) say nothing of
// framing.
func framingMeta(m framing.Meta) bool {
	switch strings.ToLower(strings.TrimSpace(m.HTTPEquiv)) {
	case hdrXFO:
		return true
	case hdrCSP, hdrCSPRO:
		for _, pol := range framing.ParseCSP(m.Content) {
			if _, ok := pol.FrameAncestors(); ok {
				return true
			}
		}
	}
	return false
}

// checkMeta reports framing policies in <meta> tags, which browsers ignore.
func (f *facts) checkMeta() []Finding {
	sev := SeverityLow
	if f.foreignV.Framable {
		sev = SeverityMedium
	}
	var out []Finding
	for _, m := range f.resp.Meta[:min(len(f.resp.Meta), maxMeta)] {
		switch strings.ToLower(strings.TrimSpace(m.HTTPEquiv)) {
		case hdrXFO:
			fix, note := f.xfoFix(m.Content)
			out = append(out, Finding{
				ID:       "meta-xfo",
				Severity: sev,
				Message:  "X-Frame-Options in a <meta> tag is ignored by browsers: only the HTTP header counts." + note,
				Evidence: []string{metaTag(m)},
				Fix:      fix,
			})
		case hdrCSP, hdrCSPRO:
			for _, pol := range framing.ParseCSP(m.Content) {
				if d, ok := pol.FrameAncestors(); ok {
					fix, note := f.movedFix(d)
					out = append(out, Finding{
						ID:       "meta-frame-ancestors",
						Severity: sev,
						Message:  "frame-ancestors in a <meta> Content-Security-Policy is ignored by browsers: it only works as an HTTP header." + note,
						Evidence: []string{metaTag(m)},
						Fix:      fix,
					})
				}
			}
		}
	}
	return out
}

// asIsNote says, for a message, that a policy browsers ignore where it is
// would not keep a foreign site out in the header named either, so that
// the fix is not that policy.
func asIsNote(header string) string {
	return fmt.Sprintf(" As written, in a %s header, it would still let a foreign site frame this page: send the fix instead.", header)
}

// movedFix returns the fix for frame-ancestors d where browsers ignore it
// (a <meta> tag, a report-only policy), and, when d as written would not
// keep the foreign origin out in the header either, a note that says so.
func (f *facts) movedFix(d framing.Directive) (fix, note string) {
	if !f.keepsOut("Content-Security-Policy: " + directiveText(d.Name, d.Sources)) {
		note = asIsNote("Content-Security-Policy")
	}
	return f.fixSources(d.Sources), note
}

// xfoFix returns the fix for an X-Frame-Options value that browsers ignore
// where it is sent (a <meta> tag, a misspelled header): that value in the
// header when it keeps the foreign origin out, and otherwise what
// xfo-allow-from or xfo-invalid suggest for it, with a note that says so.
func (f *facts) xfoFix(value string) (fix, note string) {
	value = strings.TrimSpace(value)
	fix = "X-Frame-Options: " + value
	if !strings.ContainsAny(value, "\r\n") && f.keepsOut(fix) {
		return fix, ""
	}
	note = asIsNote("X-Frame-Options")
	tok := strings.ToLower(value)
	if rest, ok := strings.CutPrefix(tok, "allow-from"); ok {
		fix, _ := f.allowFromFix(rest)
		return fix, note
	}
	return invalidXFOFix(tok), note
}

// allowFromFix returns the fix for X-Frame-Options: ALLOW-FROM rest: the
// origin it names in frame-ancestors, beside 'self'. An origin that no
// frame-ancestors source can name (a host with '_', an IPv6 address) is
// left out, and note, for the message, says so.
func (f *facts) allowFromFix(rest string) (fix, note string) {
	o, err := framing.ParseOrigin(strings.TrimSpace(rest))
	if err != nil || o.Opaque {
		return fixNone, ""
	}
	self := framing.ParseSource("'self'")
	src := framing.ParseSource(o.String())
	if src.Kind != framing.SourceHost {
		return f.fixSources([]framing.Source{self}), fmt.Sprintf(" No frame-ancestors source can name %s: a host there is letters, digits and '-' (no '_', no IPv6 address), so the fix leaves it out; frame the page from a host name.", o)
	}
	return f.fixSources([]framing.Source{self, src}), ""
}

// invalidXFOFix returns the fix for an X-Frame-Options value browsers do
// not know, lower-cased: SAMEORIGIN or DENY, or frame-ancestors 'none' for
// ALLOWALL.
func invalidXFOFix(tok string) string {
	switch strings.Trim(tok, "\"'; ") {
	case "sameorigin":
		return "X-Frame-Options: SAMEORIGIN"
	case "allowall":
		return fixNone
	}
	return "X-Frame-Options: DENY"
}

// checkReportOnly reports frame-ancestors that is only report-only.
func (f *facts) checkReportOnly() []Finding {
	if f.hasFA {
		return nil
	}
	for _, p := range f.reportOnly {
		if d, ok := p.policy.FrameAncestors(); ok {
			fix, note := f.movedFix(d)
			return []Finding{{
				ID:       "csp-report-only",
				Severity: SeverityMedium,
				Message:  "frame-ancestors is only in Content-Security-Policy-Report-Only: browsers report violations but still render the page in the frame." + note,
				Evidence: []string{p.ev},
				Fix:      fix,
			}}
		}
	}
	return nil
}

// checkPolicies looks inside the enforced policies: comma-joined lines,
// misspelled directives, duplicates, and each frame-ancestors source.
func (f *facts) checkPolicies() []Finding {
	var out []Finding
	// Comma-joined policies, once per header line.
	seenLine := map[string]bool{}
	enforced := f.enforced[:min(len(f.enforced), maxPolicies)]
	for _, p := range enforced {
		key := p.line.Value
		if seenLine[key] {
			continue
		}
		seenLine[key] = true
		pols := framing.ParseCSP(p.line.Value)
		if len(pols) < 2 || !commaMatters(pols) {
			continue
		}
		out = append(out, Finding{
			ID:       "csp-comma",
			Severity: SeverityMedium,
			Message:  fmt.Sprintf("This Content-Security-Policy line holds %d policies separated by commas: each is enforced on its own, and sources after a comma are not part of the directive before it.", len(pols)),
			Evidence: []string{p.ev},
			Fix:      f.commaFix(pols),
		})
	}
	for _, p := range enforced {
		if d, c, ok := p.policy.IgnoredFrameAncestors(); ok {
			// Browsers drop it: nothing in it is in force to analyse.
			sev := SeverityLow
			if f.foreignV.Framable {
				sev = SeverityMedium
			}
			out = append(out, Finding{
				ID:       "frame-ancestors-ignored",
				Severity: sev,
				Message:  fmt.Sprintf("Browsers ignore this frame-ancestors directive, and any later one in the policy, because its value holds a byte that is not allowed (0x%02X; only printable ASCII and spaces are, so write a non-ASCII host name in punycode): it protects nothing.", c),
				Evidence: []string{p.ev},
				Fix:      f.fixSources(allowedSources(d)),
			})
			continue
		}
		var fas []framing.Directive
		for _, d := range p.policy.Directives {
			if d.Name == "frame-ancestors" {
				fas = append(fas, d)
				continue
			}
			if rest, ok := joinedToFA(d.Name); ok {
				// "frame-ancestors<VT>'none'": a name of another directive.
				var sources []framing.Source
				for _, tok := range strings.FieldsFunc(rest, func(r rune) bool { return r <= ' ' || r == 0x7F }) {
					sources = append(sources, framing.ParseSource(tok))
				}
				sources = append(sources, d.Sources...)
				out = append(out, Finding{
					ID:       "csp-directive-misspelled",
					Severity: SeverityMedium,
					Message:  fmt.Sprintf("Directive %q is not frame-ancestors: a control character such as a vertical tab (U+000B) separates nothing in a policy, so browsers read it as part of the directive's name, and ignore the directive. (Chromium 150 and older, and WebKit, the engine Safari is built on, read a vertical tab as a space, and enforce it: measured.)", d.Name),
					Evidence: []string{p.ev},
					Fix:      f.fixSources(sources),
				})
			} else if isFATypo(d.Name) {
				out = append(out, Finding{
					ID:       "csp-directive-misspelled",
					Severity: SeverityMedium,
					Message:  fmt.Sprintf("Directive %q is not frame-ancestors: browsers ignore it.", d.Name),
					Evidence: []string{p.ev},
					Fix:      f.fixSources(d.Sources),
				})
			}
		}
		if len(fas) == 0 {
			continue
		}
		if len(fas) > 1 {
			out = append(out, Finding{
				ID:       "csp-duplicate-directive",
				Severity: SeverityLow,
				Message:  fmt.Sprintf("frame-ancestors appears %d times in one policy: browsers use the first (%s) and ignore the rest.", len(fas), directiveText(fas[0].Name, fas[0].Sources)),
				Evidence: []string{p.ev},
				Fix:      f.fixSources(fas[0].Sources),
			})
		}
		out = append(out, f.checkSources(p.ev, fas[0])...)
	}
	return out
}

// checkSources looks at the sources of one enforced frame-ancestors, from
// evidence, its header line as quoted.
func (f *facts) checkSources(evidence string, d framing.Directive) []Finding {
	ev := []string{evidence}
	if len(d.Sources) == 0 {
		return []Finding{{
			ID:       "empty-frame-ancestors",
			Severity: SeverityInfo,
			Message:  "An empty frame-ancestors blocks every frame, like 'none'; write 'none' to say so.",
			Evidence: ev,
			Fix:      fixNone,
		}}
	}
	var out []Finding
	var broad, none []framing.Source
	var hosts []framing.Source
	for _, s := range d.Sources[:min(len(d.Sources), maxSources)] {
		switch {
		case isBroad(s):
			broad = append(broad, s)
			continue
		case s.Kind == framing.SourceNone:
			none = append(none, s)
		case s.Kind == framing.SourceKeyword, s.Kind == framing.SourceInvalid:
			fix := f.fixSources(without(d.Sources, s))
			msg := fmt.Sprintf("Source %s matches nothing in frame-ancestors (only 'self', 'none', schemes and hosts do).", s.Text)
			if origin, ok := firefoxOrigin(s); ok {
				// Measured: Firefox cuts the query or fragment and
				// matches the origin.
				msg = fmt.Sprintf("Source %s matches nothing in frame-ancestors to Chromium, for a query or fragment after the host, but Firefox (measured) reads it as %s and lets that origin frame the page. Write it as %s, or drop it, so that browsers agree.", s.Text, origin.Text, origin.Text)
				fix = f.fixSources(replace(d.Sources, s, origin))
			}
			out = append(out, Finding{
				ID:       "invalid-source",
				Severity: SeverityLow,
				Message:  msg,
				Evidence: ev,
				Fix:      fix,
			})
		case unquotedKeyword(s):
			quoted := framing.ParseSource("'" + s.Host + "'")
			out = append(out, Finding{
				ID:       "unquoted-keyword",
				Severity: SeverityLow,
				Message:  fmt.Sprintf("Source %s is a host named %q, not the keyword %s: keywords need single quotes.%s", s.Text, s.Host, quoted.Text, unquotedNote(s.Host)),
				Evidence: ev,
				Fix:      f.fixSources(replace(d.Sources, s, quoted)),
			})
			continue
		case wsScheme(s):
			out = append(out, f.wsSource(ev, d, s))
		case s.Kind == framing.SourceHost:
			hosts = append(hosts, s)
			out = append(out, f.checkHostSource(ev, d, s)...)
		}
	}
	if len(broad) > 0 {
		// High when a site that the broad sources let in may frame the
		// page today; another policy, or the page's scheme, may still keep
		// every such site out.
		sev, broadNote := SeverityLow, ""
		var outsiders []string
		who := "any site served over https"
		texts := make([]string, len(broad))
		for i, s := range broad {
			texts[i] = s.Text
			sample := f.foreign
			switch suffix, wild := wildcardSuffix(s); {
			case wild:
				sample = f.ownScheme + "://attacker." + suffix
				if s.Port != "" && s.Port != "*" {
					sample += ":" + s.Port
				}
				outsiders = append(outsiders, "a site under ."+suffix)
			case s.Kind != framing.SourceScheme:
				who = "any site"
			case s.Scheme == "http":
				// http: also matches https ancestors (CSP 3 upgrade).
				who = "any site served over http or https"
			}
			if v, err := f.evaluate(sample); err == nil && v.Framable {
				sev = SeverityHigh
			}
		}
		if len(outsiders) == len(broad) {
			// Only wildcards over a public suffix: name the suffixes.
			who = "any site whose host ends in " + strings.Join(suffixList(broad), " or ") + " (anyone can register one)"
		} else if len(outsiders) > 0 {
			who += ", and any site whose host ends in " + strings.Join(suffixList(broad), " or ")
		}
		if sev != SeverityHigh {
			them := outsiders
			if len(outsiders) < len(broad) {
				them = append([]string{f.foreign}, outsiders...)
			}
			broadNote = fmt.Sprintf(" Today %s still cannot (another policy or the page's scheme keeps it out), but the source is broader than intended.", strings.Join(them, " or "))
		}
		out = append(out, Finding{
			ID:       "overbroad-source",
			Severity: sev,
			Message:  fmt.Sprintf("frame-ancestors %s lets %s frame this page.%s", strings.Join(texts, " "), who, broadNote),
			Evidence: ev,
			Fix:      f.fixSources(d.Sources),
		})
	}
	if len(none) > 0 && len(d.Sources) > len(none) {
		msg := "'none' is ignored when frame-ancestors lists other sources: the directive allows them. Send 'none' alone to block every frame, or drop it."
		if !slices.ContainsFunc(d.Sources, matchesSomething) {
			msg = "'none' is ignored when frame-ancestors lists other sources; none of these matches a page either, so the directive blocks every frame all the same, but not by 'none'. Send 'none' alone to say so."
		}
		out = append(out, Finding{
			ID:       "none-mixed",
			Severity: SeverityMedium,
			Message:  msg,
			Evidence: ev,
			Fix:      fixNone,
		})
	}
	if len(hosts) > 0 && len(broad) == 0 && !f.foreignV.Framable {
		out = append(out, Finding{
			ID:       "embeddable",
			Severity: SeverityInfo,
			Message:  f.embeddableMessage(hosts, len(d.Sources)-maxSources),
			Evidence: ev,
			Fix:      "",
		})
	}
	return out
}

// fixSources returns the fix that sends frame-ancestors with srcs, less the
// sources that match nothing and those that let any site frame the page:
// the broad ones (isBroad), and ws: and wss:, which WebKit matches against
// every http or https page. When none is left, the fix is 'none' if no
// source of srcs let a page in either (the directive blocks every frame),
// and 'self' otherwise, as the page was meant to be framed. A fix, sent
// alone, keeps the foreign origin out: if a source left names it, the fix
// is 'self' too.
func (f *facts) fixSources(srcs []framing.Source) string {
	var keep []framing.Source
	lets := false
	for _, s := range srcs {
		if !matchesSomething(s) || wsScheme(s) {
			continue
		}
		lets = true
		if !isBroad(s) {
			keep = append(keep, s)
		}
	}
	switch {
	case len(keep) > 0:
		if fix := "Content-Security-Policy: " + directiveText("frame-ancestors", keep); f.keepsOut(fix) {
			return fix
		}
		return fixSelf
	case lets:
		return fixSelf
	}
	return fixNone
}

// keepsOut reports whether a response to the page that sends only the
// header lines of fix keeps the foreign origin from framing it.
func (f *facts) keepsOut(fix string) bool {
	resp := framing.Response{URL: f.resp.URL, Status: http.StatusOK, Redirected: f.resp.Redirected}
	for l := range strings.SplitSeq(fix, "\n") {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return false
		}
		resp.Headers = append(resp.Headers, framing.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	v, err := framing.Evaluate(resp, []string{f.foreign})
	return err == nil && !v.Framable
}

// wsScheme reports whether s is the scheme-source ws: or wss:.
func wsScheme(s framing.Source) bool {
	return s.Kind == framing.SourceScheme && (s.Scheme == "ws" || s.Scheme == "wss")
}

// matchesSomething reports whether s can match an ancestor in
// frame-ancestors.
func matchesSomething(s framing.Source) bool {
	return s.Kind != framing.SourceKeyword && s.Kind != framing.SourceInvalid && s.Kind != framing.SourceNone
}

// wsPages names the pages that WebKit, as CSP 3 says, lets a source of a
// WebSocket scheme match: ws: also matches http and https, wss: https.
func wsPages(scheme string) string {
	if scheme == "wss" {
		return "https"
	}
	return "http and https"
}

// wsSource is the finding for a ws: or wss: scheme source in
// frame-ancestors: Chromium and Firefox match it against no page, WebKit
// against every http and https page, or every https one (all measured:
// framing/testdata/webkit.json).
func (f *facts) wsSource(ev []string, d framing.Directive, s framing.Source) Finding {
	return Finding{
		ID:       "ws-source",
		Severity: SeverityMedium,
		Message: fmt.Sprintf("Source %s names a WebSocket scheme, which Chromium and Firefox match against no page, but WebKit, the engine Safari is built on, follows CSP 3 and matches it against every %s page (all measured): in Safari any site served over %s can frame this page, unless another policy keeps it out. Drop it.",
			s.Text, wsPages(s.Scheme), wsPages(s.Scheme)),
		Evidence: ev,
		Fix:      f.fixSources(without(d.Sources, s)),
	}
}

// firefoxOrigin returns the host source that Firefox reads an invalid
// source as when a query or a fragment follows its host or port
// ("https://partner.example?x"): Chromium finds such a source invalid, and
// Firefox (measured) matches it as what comes before the "?" or "#".
func firefoxOrigin(s framing.Source) (framing.Source, bool) {
	i := strings.IndexAny(s.Text, "?#")
	if s.Kind != framing.SourceInvalid || i < 0 {
		return framing.Source{}, false
	}
	origin := framing.ParseSource(s.Text[:i])
	return origin, origin.Kind == framing.SourceHost && origin.Path == ""
}

// unquotedKeyword reports whether s is a keyword written without its
// quotes, in any case (self, SELF, None), which makes it a host of that
// name: Chromium (measured: extra-fa-SELF-unquoted in
// framing/testdata/chromium-extra.jsonl) matches SELF as a host named self.
func unquotedKeyword(s framing.Source) bool {
	// Host is the text's host, its ASCII letters lower-cased
	// (framing.ParseSource): of the same length, the text is the host
	// alone, in any case.
	return s.Kind == framing.SourceHost && (s.Host == "none" || s.Host == "self") &&
		s.Scheme == "" && s.Port == "" && s.Path == "" && len(s.Text) == len(s.Host)
}

// unquotedNote says what an unquoted keyword does instead.
func unquotedNote(host string) string {
	if host == "self" {
		return " It does not admit the page's own origin."
	}
	return " It admits only a site whose host is \"none\", a name no public site has: it blocks every frame today, but by accident."
}

// admits returns an origin that host-source s names, for testing it
// against the page's policies: the page's scheme when s names none, a
// subdomain for a wildcard.
func (f *facts) admits(s framing.Source) string {
	scheme := s.Scheme
	if scheme == "" {
		scheme = f.ownScheme
	}
	host := s.Host
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		host = "embed." + rest
	}
	o := scheme + "://" + host
	if s.Port != "" && s.Port != "*" {
		o += ":" + s.Port
	}
	return o
}

// embeddableMessage says exactly who may frame a page whose frame-ancestors
// names hosts: a wildcard host lets in every subdomain, whoever runs it, so
// the message never claims that other sites are kept out then. Every
// enforced policy must allow an ancestor, so a host is listed only when
// the page's policies as a whole let it frame the page; the others are
// named with the reason browsers give.
func (f *facts) embeddableMessage(named []framing.Source, more int) string {
	var hosts []framing.Source
	var blocked []string
	why, unchecked := "", 0
	for _, s := range named {
		v, err := f.evaluate(f.admits(s))
		if errors.Is(err, errTooManyEvaluations) {
			unchecked++
			continue
		}
		if err != nil || v.Framable {
			// An origin the model cannot parse is named as written.
			hosts = append(hosts, s)
			continue
		}
		blocked = append(blocked, s.Text)
		if why == "" {
			why = v.Reason
		}
	}
	// Sources past maxSources were not looked at: they may let anyone in
	// that the verdicts' foreign origin does not stand for.
	rest := ""
	if more > 0 {
		rest = fmt.Sprintf(" frame-ancestors names %d more sources, not looked at one by one, which may let other sites frame it too.", more)
	}
	if unchecked > 0 {
		// Too many hosts to test one by one: say only what is known.
		return fmt.Sprintf("frame-ancestors names hosts and keeps a foreign site out; %d of the hosts it names were not tested one by one against the page's policies.", unchecked) + rest
	}
	if len(hosts) == 0 {
		if more > 0 {
			return fmt.Sprintf("frame-ancestors names %s, but browsers do not let it frame the page (%s).", strings.Join(blocked, " "), why) + rest
		}
		who := "no site"
		if f.ownV.Framable {
			who = "only its own origin"
		}
		return fmt.Sprintf("frame-ancestors names %s, but browsers do not let it frame the page (%s): %s may frame it.", strings.Join(blocked, " "), why, who)
	}
	msg := f.embeddableHosts(hosts, more > 0)
	if len(blocked) > 0 {
		msg += fmt.Sprintf(" frame-ancestors also names %s, which browsers do not let frame the page (%s).", strings.Join(blocked, " "), why)
	}
	return msg + rest
}

// embeddableHosts says who may frame the page: hosts, which the page's
// policies let in, and its own origin when they let it in too; when partial
// is set, the hosts are not all the sources, and so not the only ones.
func (f *facts) embeddableHosts(hosts []framing.Source, partial bool) string {
	var who []string
	wild := false
	for _, s := range hosts {
		rest, ok := strings.CutPrefix(s.Host, "*.")
		if !ok {
			who = append(who, s.Text)
			continue
		}
		wild = true
		who = append(who, fmt.Sprintf("every site on a subdomain of %s, at any depth, whoever runs it (%s)", rest, s.Text))
	}
	if f.ownV.Framable {
		who = append(who, "its own origin")
	}
	list := who[0]
	if n := len(who); n > 1 {
		list = strings.Join(who[:n-1], ", ") + " and " + who[n-1]
	}
	if wild {
		return fmt.Sprintf("The page may be framed by %s. A wildcard source trusts every subdomain: make sure nobody else can serve pages on one.", list)
	}
	also := ""
	if f.ownV.Framable {
		also = ", and its own origin"
	}
	texts := make([]string, len(hosts))
	for i, s := range hosts {
		texts[i] = s.Text
	}
	if partial {
		return fmt.Sprintf("The page may be framed by %s%s.", strings.Join(texts, " "), also)
	}
	return fmt.Sprintf("The page may be framed only by %s%s; other sites cannot frame it.", strings.Join(texts, " "), also)
}

// checkHostSource reports host-sources on which browsers disagree.
func (f *facts) checkHostSource(ev []string, d framing.Directive, s framing.Source) []Finding {
	var out []Finding
	if s.Path != "" && s.Path != "/" {
		fixed := s
		fixed.Path = ""
		fixed.Text = sourceText(fixed)
		after := "The page was not reached through a redirect, so Chromium does not match it."
		if f.resp.Redirected {
			after = "This page was reached through a redirect, so Chromium ignores the path and the source matches."
		}
		out = append(out, Finding{
			ID:       "source-path",
			Severity: SeverityMedium,
			Message:  fmt.Sprintf("Source %s has a path, on which browsers differ (measured): Chromium matches such a source only when the page was reached through a redirect, Firefox ignores the path and matches the source's origin on any page, and WebKit, as the specification says, compares the path with the ancestor's origin (path \"/\"), so that it never matches. %s Drop the path.", s.Text, after),
			Evidence: ev,
			Fix:      f.fixSources(replace(d.Sources, s, fixed)),
		})
	}
	// The same host and port over https, which a fix may name.
	https := s
	https.Scheme = "https"
	https.Text = sourceText(https)
	if s.Scheme == "http" && s.Port != "" && s.Port != "*" {
		out = append(out, Finding{
			ID:       "browser-difference",
			Severity: SeverityInfo,
			Message:  fmt.Sprintf("Browsers differ: CSP 3 lets %s also match the same host and port over https, and Firefox and WebKit do, where Chromium does not (all measured). List the https origin explicitly if it should frame the page.", s.Text),
			Evidence: ev,
			Fix:      f.fixSources(append(slices.Clone(d.Sources), https)),
		})
	}
	if s.Scheme == "ws" || s.Scheme == "wss" {
		out = append(out, Finding{
			ID:       "browser-difference",
			Severity: SeverityInfo,
			Message:  fmt.Sprintf("Browsers differ: %s names a WebSocket scheme, which Chromium and Firefox match against no page, but WebKit, the engine Safari is built on, follows CSP 3 and matches it against the %s pages of that host (all measured), so that only Safari lets them frame this page. Name the https origin if it should frame the page.", s.Text, wsPages(s.Scheme)),
			Evidence: ev,
			Fix:      f.fixSources(replace(d.Sources, s, https)),
		})
	}
	// CSP 3 lets 127.0.0.1 match and no other IP address; Chromium,
	// Firefox and WebKit match them all.
	if ip := net.ParseIP(strings.Trim(s.Host, "[]")); ip != nil && s.Host != "127.0.0.1" {
		out = append(out, Finding{
			ID:       "browser-difference",
			Severity: SeverityInfo,
			Message:  fmt.Sprintf("Browsers may differ: Chromium, Firefox and WebKit (measured) match the IP-address source %s, but CSP 3 says IP-address sources other than 127.0.0.1 match nothing, so a browser that follows it blocks the frame. Frame from a host name.", s.Text),
			Evidence: ev,
			Fix:      "",
		})
	}
	return out
}

// checkErrorPage compares the origin's missing-page response with the page.
func (f *facts) checkErrorPage() []Finding {
	e := f.errPage
	if e == nil || f.errPageForeignErr != nil || e.Status < 400 {
		return nil
	}
	if !f.errPageForeignV.Framable || f.foreignV.Framable {
		return nil
	}
	ev := append([]string{fmt.Sprintf("GET %s: status %d", e.URL, e.Status)},
		headerEvidence(headersNamed(e.Headers, hdrXFO, hdrCSP, hdrCSPRO))...)
	return []Finding{{
		ID:       "error-page-framable",
		Severity: SeverityMedium,
		Message:  fmt.Sprintf("Error pages on this origin (status %d) can be framed by any site while this page cannot: send the same framing headers on every response, errors included.", e.Status),
		Evidence: ev,
		Fix:      fixNone,
	}}
}

// checkNoDocument says that browsers show nothing of the response in a
// frame (a 204, a download), so that there is nothing to click, and, when
// the response has no framing protection, that it would be framable should
// it become a page.
func (f *facts) checkNoDocument(protected bool) []Finding {
	if f.page.notFetched != "" {
		msg := "Browsers show nothing of this URL in a frame, so there is nothing to click on: " + f.foreignV.Reason + ". The scanner fetched nothing from it either"
		if onBadPort(f.page.final) {
			msg += ", so its headers are not known"
		}
		return []Finding{{ID: "no-document", Severity: SeverityInfo,
			Message:  msg + ".",
			Evidence: []string{"not fetched: " + f.page.final.Redacted()},
		}}
	}
	ev := append([]string{fmt.Sprintf("GET %s: status %d", f.page.final.Redacted(), f.resp.Status)},
		headerEvidence(headersNamed(f.resp.Headers, hdrType, hdrDisposition, hdrNosniff))...)
	if f.resp.Status == 407 { // Proxy Authentication Required
		// Measured: extra-407@cross-origin in framing/testdata/firefox.json
		// and webkit.json.
		msg := "Chromium shows nothing of this response in a frame: " + f.foreignV.Reason + ". Firefox and WebKit render the page of a 407 in a frame (measured)"
		if _, blocks := xfoBlocks[f.firefoxXFO.Mode]; f.hasFA || blocks {
			return []Finding{{ID: "no-document", Severity: SeverityInfo, Message: msg + ", under its framing headers, which protect it.", Evidence: ev}}
		}
		return []Finding{{ID: "no-document", Severity: SeverityLow,
			Message:  msg + ", and this one sends no framing protection: their users can be clickjacked on it.",
			Evidence: ev, Fix: fixNone}}
	}
	msg := "Browsers show nothing of this response in a frame, so there is nothing to click on: " + f.foreignV.Reason + "."
	fix := ""
	if !protected {
		msg += " It sends no framing protection that browsers enforce: should it become a page that browsers show, any site could frame it."
		fix = fixNone
	}
	return []Finding{{ID: "no-document", Severity: SeverityInfo, Message: msg, Evidence: ev, Fix: fix}}
}

// checkStatus says that the response judged is an error, not the page the
// URL serves when it works, and what that means for the verdicts: a
// refusal by Fetch Metadata (checkTopLevel) and a response that shows
// nothing (checkNoDocument) say so in their own findings.
func (f *facts) checkStatus() []Finding {
	st := f.resp.Status
	if st < 400 || f.page.notFetched != "" || f.refused() || f.foreignV.DecidedBy == framing.DecidedByNoDocument {
		return nil
	}
	what := fmt.Sprintf("The server answered %d %s", st, http.StatusText(st))
	if http.StatusText(st) == "" {
		what = fmt.Sprintf("The server answered status %d", st)
	}
	ev := []string{fmt.Sprintf("GET %s: status %d", f.page.final.Redacted(), st)}
	var msg string
	switch {
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		msg = what + ", so the verdicts judge the page of a visitor whom the server does not let in. A frame of another site loads the URL with its visitor's cookies for this site wherever their SameSite attribute lets them through (SameSite=None), so a signed-in visitor may get the page itself, under other framing headers, or none: scan it with the -cookie (or -header) of a signed-in session to judge that page."
	case st == http.StatusNotFound || st == http.StatusGone:
		msg = what + ": the URL names no page, so the verdicts judge the server's error page. Check the URL."
	case st >= 500:
		msg = what + ", an error of its own: the verdicts judge this answer, which visitors get now, not the page the URL serves when it works, which may send other framing headers."
		if ra := headersNamed(f.resp.Headers, hdrRetryAfter); len(ra) > 0 {
			msg += " It says when to ask again (Retry-After): scan the page again then."
			ev = append(ev, headerEvidence(ra[:1])...)
		} else {
			msg += " Scan the page again when it is served."
		}
	default:
		msg = what + ", an error: the verdicts judge this answer, not a page the URL serves to other requests, which may send other framing headers."
	}
	return []Finding{{ID: "error-status", Severity: SeverityInfo, Message: msg, Evidence: ev}}
}

// refused reports whether the framed navigation got a refusal rather than
// the page: the server refuses frames (framesRefused) or every navigation
// from another site (shutOut) by their Fetch Metadata.
func (f *facts) refused() bool { return f.framesRefused() || f.shutOut() }

// framesRefused reports whether the server answers the framed navigation
// with an error while it serves the top-level navigation: it refuses frames
// by their Fetch Metadata (Sec-Fetch-Dest), as clickguard's guard package
// does.
func (f *facts) framesRefused() bool {
	return f.top != nil && f.resp.Status >= 400 && f.top.resp.Status < 400
}

// shutOut reports whether the server answers the framed navigation and the
// top-level navigation from another site with an error, and serves the
// page opened from the address bar: it opens only from its own site, as
// clickguard's confirmation pages do (guard's ConfirmationHandler).
func (f *facts) shutOut() bool {
	return f.top != nil && f.direct != nil && f.resp.Status >= 400 && f.top.resp.Status >= 400 && f.direct.resp.Status < 400
}

// checkTopLevel compares the framed navigation with the top-level one.
func (f *facts) checkTopLevel() []Finding {
	if f.top == nil {
		return nil
	}
	var out []Finding
	if f.shutOut() {
		out = append(out, Finding{
			ID:       "cross-site-navigation-refused",
			Severity: SeverityInfo,
			Message: fmt.Sprintf("The server refuses every navigation from another site with Fetch Metadata, top-level ones too: it answers a framed navigation with status %d and a top-level navigation from another site (Sec-Fetch-Site: cross-site) with status %d, and serves the page, status %d, opened from the address bar (Sec-Fetch-Site: none). A foreign frame shows the refusal, and so does a window that another site opens, which also stops DoubleClickjacking (a page that opens this one under a user's double-click); browsers that send no Fetch Metadata still rely on the framing headers.",
				f.resp.Status, f.top.resp.Status, f.direct.resp.Status),
			Evidence: []string{
				fmt.Sprintf("%s (Sec-Fetch-Dest: iframe): GET %s: status %d", frameNavigation.name, f.page.final.Redacted(), f.resp.Status),
				fmt.Sprintf("%s (Sec-Fetch-Dest: document): GET %s: status %d", topNavigation.name, f.top.final.Redacted(), f.top.resp.Status),
				fmt.Sprintf("%s (Sec-Fetch-Site: none): GET %s: status %d", directNavigation.name, f.direct.final.Redacted(), f.direct.resp.Status),
			},
		})
	}
	if f.framesRefused() {
		out = append(out, Finding{
			ID:       "framed-navigation-refused",
			Severity: SeverityInfo,
			Message:  fmt.Sprintf("The server refuses framed navigations from other sites with Fetch Metadata: it answers a request with Sec-Fetch-Dest: iframe and Sec-Fetch-Site: cross-site with status %d, and the top-level navigation with status %d. A foreign frame shows the refusal, not the page; browsers that send no Fetch Metadata still rely on the framing headers.", f.resp.Status, f.top.resp.Status),
			Evidence: []string{
				fmt.Sprintf("%s (Sec-Fetch-Dest: iframe): GET %s: status %d", frameNavigation.name, f.page.final.Redacted(), f.resp.Status),
				fmt.Sprintf("%s (Sec-Fetch-Dest: document): GET %s: status %d", topNavigation.name, f.top.final.Redacted(), f.top.resp.Status),
			},
		})
	}
	frame, top := framingLines(f.resp), framingLines(f.top.resp)
	if slices.Equal(framingSignature(f.resp), framingSignature(f.top.resp)) {
		return out
	}
	sev := SeverityInfo
	msg := "The server sends different framing headers to a framed navigation (Sec-Fetch-Dest: iframe) than to a top-level one (Sec-Fetch-Dest: document). The verdicts judge what a frame receives."
	switch {
	case f.foreignV.Framable && !f.topForeignV.Framable && !f.refused():
		sev = SeverityMedium
		msg = "The server protects the page from framing only when it is fetched as a top-level page (Sec-Fetch-Dest: document): a framed navigation (Sec-Fetch-Dest: iframe), which is what a frame of another site sends, gets a response that any site can frame. A check made with a top-level request, such as curl or a browser's address bar, shows protection that frames do not get."
	case !f.foreignV.Framable && f.topForeignV.Framable:
		sev = SeverityLow
		msg = "The server protects the page from framing only when a request says it is for a frame (Sec-Fetch-Dest: iframe): the top-level response carries no protection that stops a foreign frame, so browsers that send no Fetch Metadata, and any other way of loading the page into a frame without that header, get a page any site can frame. Send the framing headers on every response."
	}
	var ev []string
	for _, l := range frame {
		ev = append(ev, frameNavigation.name+": "+l)
	}
	if len(frame) == 0 {
		ev = append(ev, frameNavigation.name+": (no X-Frame-Options or Content-Security-Policy frame-ancestors)")
	}
	for _, l := range top {
		ev = append(ev, topNavigation.name+": "+l)
	}
	if len(top) == 0 {
		ev = append(ev, topNavigation.name+": (no X-Frame-Options or Content-Security-Policy frame-ancestors)")
	}
	fix := ""
	if sev > SeverityInfo {
		fix = fixNone
	}
	return append(out, Finding{
		ID:       "framing-headers-differ",
		Severity: sev,
		Message:  msg,
		Evidence: ev,
		Fix:      fix,
	})
}

// framingLines lists a response's X-Frame-Options lines and the
// Content-Security-Policy(-Report-Only) lines that hold frame-ancestors.
func framingLines(r framing.Response) []string {
	var out []string
	for _, h := range r.Headers {
		switch strings.ToLower(h.Name) {
		case hdrXFO:
			out = append(out, line(h))
		case hdrCSP, hdrCSPRO:
			if slices.ContainsFunc(framing.ParseCSP(h.Value), func(p framing.Policy) bool { _, ok := p.FrameAncestors(); return ok }) {
				out = appendUnique(out, line(h))
			}
		}
	}
	return out
}

// framingSignature is what decides framing in a response: its
// X-Frame-Options values and, per policy, the frame-ancestors directive of
// its enforced and report-only Content-Security-Policy, so that other
// directives may differ without a finding.
func framingSignature(r framing.Response) []string {
	var out []string
	for _, h := range r.Headers {
		name := strings.ToLower(h.Name)
		switch name {
		case hdrXFO:
			out = append(out, name+": "+strings.TrimSpace(h.Value))
		case hdrCSP, hdrCSPRO:
			for _, p := range framing.ParseCSP(h.Value) {
				if d, ok := p.FrameAncestors(); ok {
					out = append(out, name+": "+directiveText(d.Name, d.Sources))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkDocument notes facts about the fetch itself.
func (f *facts) checkDocument() []Finding {
	var out []Finding
	if n := len(f.page.redirects); n > 0 {
		ev := make([]string, n)
		for i, r := range f.page.redirects {
			ev[i] = fmt.Sprintf("%d %s -> %s", r.Status, r.URL, r.Location)
		}
		msg := fmt.Sprintf("Reached through %s: only the final response's headers decide framing.", plural(n, "redirect"))
		switch {
		case f.page.notFetched == "":
		case onBadPort(f.page.final):
			msg = fmt.Sprintf("Reached through %s, the last to a URL on a bad port, where browsers end the navigation with an error.", plural(n, "redirect"))
		default:
			msg = fmt.Sprintf("Reached through %s, the last to a URL of another scheme than http and https, which browsers do not follow.", plural(n, "redirect"))
		}
		out = append(out, Finding{
			ID:       "redirected",
			Severity: SeverityInfo,
			Message:  msg,
			Evidence: ev,
		})
	}
	if !f.page.isHTML && !f.refused() && f.foreignV.DecidedBy != framing.DecidedByNoDocument {
		// (A refusal's body is not the page: its type says nothing; and
		// no-document has said what the type does.)
		ev := headerEvidence(headersNamed(f.resp.Headers, hdrType))
		if len(ev) == 0 {
			ev = []string{"(no Content-Type header)"}
		}
		out = append(out, Finding{
			ID:       "not-html",
			Severity: SeverityInfo,
			Message:  "The body is not HTML, so no <meta> tags were looked for; browsers still apply the headers when they show it in a frame.",
			Evidence: ev,
		})
	} else if f.page.unfinished != 0 {
		out = append(out, Finding{
			ID:       "body-truncated",
			Severity: SeverityInfo,
			Message:  fmt.Sprintf("The body did not end within the timeout (%s), as that of a page that streams or stalls does: the page was judged by its headers, which browsers apply as soon as they arrive, and <meta> tags after the part read were not looked for.", f.page.unfinished),
		})
	} else if f.page.truncated {
		out = append(out, Finding{
			ID:       "body-truncated",
			Severity: SeverityInfo,
			Message:  "The body is longer than the scanner reads: <meta> tags after its first part were not looked for.",
		})
	}
	return out
}

func (f *facts) faEvidence() []string {
	var ev []string
	for _, p := range f.enforced {
		if _, ok := p.policy.FrameAncestors(); ok {
			ev = appendUnique(ev, p.ev)
		}
	}
	return ev
}

// isBroad reports whether a source allows any site, or any site under a
// suffix that anyone can register under: "*", "https:", "http:", a
// host-source whose host is "*", or one whose wildcard covers a public
// suffix or a single label ("*.com", "*.co.uk", "*.github.io", "*.local").
func isBroad(s framing.Source) bool {
	switch s.Kind {
	case framing.SourceStar:
		return true
	case framing.SourceScheme:
		return s.Scheme == "http" || s.Scheme == "https"
	case framing.SourceHost:
		if s.Host == "*" {
			return true
		}
		_, wild := wildcardSuffix(s)
		return wild
	}
	return false
}

// wildcardSuffix reports whether s is a host-source "*.suffix" whose suffix
// is a public suffix (by the Public Suffix List, private domains such as
// github.io included) or a single label, and returns the suffix.
func wildcardSuffix(s framing.Source) (string, bool) {
	rest, ok := strings.CutPrefix(s.Host, "*.")
	if s.Kind != framing.SourceHost || !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, ".")
	if rest == "" || !strings.Contains(rest, ".") {
		return rest, true
	}
	ps, _ := publicsuffix.PublicSuffix(rest)
	return rest, ps == rest
}

// suffixList returns the suffixes, with their leading dot, of the
// wildcard-over-suffix sources among srcs.
func suffixList(srcs []framing.Source) []string {
	var out []string
	for _, s := range srcs {
		if suffix, ok := wildcardSuffix(s); ok {
			out = appendUnique(out, "."+suffix)
		}
	}
	return out
}

// commaMatters reports whether comma-separated policies involve framing:
// one of them has frame-ancestors, or a later one starts with what looks
// like a source rather than a directive name.
func commaMatters(pols []framing.Policy) bool {
	for i, p := range pols {
		if _, ok := p.FrameAncestors(); ok {
			return true
		}
		if i > 0 && len(p.Directives) > 0 && looksLikeSource(p.Directives[0].Name) {
			return true
		}
	}
	return false
}

// commaFix rewrites comma-joined policies: a piece that starts with a
// source was meant as more sources of the directive before; otherwise each
// policy goes on its own header line (see policyFix).
func (f *facts) commaFix(pols []framing.Policy) string {
	var texts []string
	for i, p := range pols {
		text := strings.TrimSpace(p.Text)
		if i > 0 && len(p.Directives) > 0 && looksLikeSource(p.Directives[0].Name) {
			texts[len(texts)-1] += " " + text
			continue
		}
		texts = append(texts, text)
	}
	return f.policyFix(texts)
}

// policyFix returns the fix that enforces the policies of texts, each
// without commas, one a line, as they should be sent: each frame-ancestors
// as fixSources writes it (a second one in a policy, which browsers
// ignore, left out). When none has frame-ancestors, a line of it comes
// first, 'self' if the page's own origin may frame it now and 'none'
// otherwise, so that the fix protects the page. frame-ancestors comes
// first in its policy and its policies first, so that a fix cut short
// (cutFix) still protects the page.
func (f *facts) policyFix(texts []string) string {
	var framed, others []string
	for _, t := range texts {
		for _, p := range framing.ParseCSP(t) {
			var ds []string
			fa := false
			for _, d := range p.Directives {
				switch {
				case d.Name != "frame-ancestors":
					ds = append(ds, strings.TrimSpace(d.Name+" "+d.Value))
				case !fa:
					fa = true
					ds = append([]string{strings.TrimPrefix(f.fixSources(d.Sources), "Content-Security-Policy: ")}, ds...)
				}
			}
			line := "Content-Security-Policy: " + strings.Join(ds, "; ")
			if fa {
				framed = append(framed, line)
			} else {
				others = append(others, line)
			}
		}
	}
	if len(framed) == 0 {
		framed = []string{fixNone}
		if f.ownV.Framable {
			framed = []string{fixSelf}
		}
	}
	return strings.Join(append(framed, others...), "\n")
}

func looksLikeSource(name string) bool {
	return strings.ContainsAny(name, "':.*/") || name == "none" || name == "self"
}

// isFATypo reports whether a directive name is a near miss of
// frame-ancestors.
// joinedToFA reports whether a directive's name is frame-ancestors joined
// to its first sources by a control character that is no whitespace in a
// policy (see framing.ParseCSP), and returns what follows the name.
func joinedToFA(name string) (rest string, ok bool) {
	rest, ok = strings.CutPrefix(name, "frame-ancestors")
	return rest, ok && rest != "" && (rest[0] < ' ' || rest[0] == 0x7F)
}

func isFATypo(name string) bool {
	return name != "frame-ancestors" && len(name) > 10 && editDistance(name, "frame-ancestors") <= 2
}

// editDistance is the Levenshtein distance of two short ASCII strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// allowedSources returns d's sources without those holding a byte browsers
// do not allow in a directive (a host with one is no host: it has to be
// written in punycode), 'none' when nothing is left.
func allowedSources(d framing.Directive) []framing.Source {
	var out []framing.Source
	for _, s := range d.Sources {
		if framing.IsDirectiveValue(s.Text) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []framing.Source{framing.ParseSource("'none'")}
	}
	return out
}

func directiveText(name string, sources []framing.Source) string {
	var b strings.Builder
	b.WriteString(name)
	for _, s := range sources {
		b.WriteString(" ")
		b.WriteString(s.Text)
	}
	return b.String()
}

// sourceText writes a host-source back from its parts.
func sourceText(s framing.Source) string {
	t := s.Host
	if s.Scheme != "" {
		t = s.Scheme + "://" + t
	}
	if s.Port != "" {
		t += ":" + s.Port
	}
	return t + s.Path
}

func without(srcs []framing.Source, drop framing.Source) []framing.Source {
	return slices.DeleteFunc(slices.Clone(srcs), func(s framing.Source) bool { return s.Text == drop.Text })
}

func replace(srcs []framing.Source, old, repl framing.Source) []framing.Source {
	out := slices.Clone(srcs)
	for i, s := range out {
		if s.Text == old.Text {
			out[i] = repl
		}
	}
	return out
}

func line(h framing.Header) string { return h.Name + ": " + h.Value }

// headersNamed returns the lines of hs whose names are among names
// (lower-cased), in order.
func headersNamed(hs []framing.Header, names ...string) []framing.Header {
	var out []framing.Header
	for _, h := range hs {
		if slices.Contains(names, strings.ToLower(h.Name)) {
			out = append(out, h)
		}
	}
	return out
}

func headerEvidence(hs []framing.Header) []string {
	var ev []string
	for _, h := range hs {
		ev = append(ev, line(h))
	}
	return ev
}

func metaTag(m framing.Meta) string {
	return fmt.Sprintf("<meta http-equiv=%q content=%q>", m.HTTPEquiv, m.Content)
}

func quoteList(toks []string) string {
	q := make([]string, len(toks))
	for i, t := range toks {
		q[i] = fmt.Sprintf("%q", t)
	}
	return strings.Join(q, ", ")
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
