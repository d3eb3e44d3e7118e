package scan

// Rule describes one kind of [Finding]: every finding's ID is the ID of a
// rule in [Rules]. Reports that describe their checks up front, such as
// SARIF, list the rules.
type Rule struct {
	// ID is the finding id, such as "no-protection".
	ID string
	// Name is the id in CamelCase, as SARIF consumers show rule names.
	Name string
	// Short is a one-line summary.
	Short string
	// Full says what the check looks at and why it matters.
	Full string
	// Help says how to fix the page; each finding also carries the exact
	// header to send in [Finding.Fix].
	Help string
	// Severity is the most serious severity a finding of this rule has;
	// a finding may have a lower one (see [Finding.Severity]).
	Severity Severity
}

// rules is the one table of finding ids: a test fails when a finding id
// emitted anywhere in the package has no rule here, or a rule is never
// emitted.
var rules = []Rule{
	{
		ID: "no-protection", Name: "NoProtection", Severity: SeverityHigh,
		Short: "No framing protection that browsers enforce",
		Full:  "The response has neither an X-Frame-Options header nor a Content-Security-Policy frame-ancestors directive that browsers enforce (X-Frame-Options: ALLOWALL included), so any site can load the page in a frame and trick users into clicking on it (clickjacking). Low when the response is not HTML or is a refusal of the framed navigation.",
		Help:  "Send Content-Security-Policy: frame-ancestors 'none' (or 'self', or the origins allowed to embed the page) on every response, and X-Frame-Options: DENY or SAMEORIGIN for older browsers.",
	},
	{
		ID: "framable-by-foreign", Name: "FramableByForeign", Severity: SeverityHigh,
		Short: "The enforced frame-ancestors lets a foreign site frame the page",
		Full:  "The enforced Content-Security-Policy frame-ancestors directive allows an arbitrary foreign origin to frame the page, and no high overbroad-source says so: a source names that origin, or the broad source is past the ones the checks look at one by one (the first 64 policies, the first 64 sources of each).",
		Help:  "List only 'self' and the origins that must embed the page in frame-ancestors, such as Content-Security-Policy: frame-ancestors 'self'.",
	},
	{
		ID: "overbroad-source", Name: "OverbroadSource", Severity: SeverityHigh,
		Short: "frame-ancestors admits any site, or any site under a public suffix",
		Full:  "An enforced frame-ancestors source such as *, https:, http:, http://*, *.com, *.co.uk or *.github.io (by the Public Suffix List) lets sites that anyone can register frame the page. Low when another policy still keeps such sites out.",
		Help:  "Replace the broad source with the exact origins that must embed the page.",
	},
	{
		ID: "browser-disagrees", Name: "BrowserDisagrees", Severity: SeverityHigh,
		Short: "Chromium contradicts the prediction from the headers",
		Full:  "With the browser proof, Chromium rendered the page in a frame the headers forbid, or refused a frame the headers allow: the site answers framed requests differently from the scanner's, and the prediction is wrong for this site.",
		Help:  "Send the framing headers on every response, framed requests (Sec-Fetch-Dest: iframe, no cookie) included.",
	},
	{
		ID: "older-chromium-differs", Name: "OlderChromiumDiffers", Severity: SeverityMedium,
		Short: "Chromium 150 and older frame the page otherwise than current Chromium",
		Full:  "Chromium 148 and 150 (measured), and as far as is known the versions before them, read some responses otherwise than Chromium 156, whose verdicts the scanner gives: Chromium 150 and older a vertical tab in Content-Security-Policy as a space (as WebKit, the engine Safari is built on, does: measured; the finding then names Safari's visitors too) and the same Content-Disposition twice as no download, Chromium 148 and older X-Content-Type-Options: nosniff given more than once as not nosniff. This response is one, and one of those versions gives it another verdict in a chain. Medium when one renders the page where Chromium 156 refuses it: visitors with such a browser can be clickjacked; info otherwise. With the browser proof in such a Chromium, a verdict of that reading is no browser-disagrees.",
		Help:  "Send Content-Security-Policy: frame-ancestors 'none' (or the origins allowed to embed the page), and each header once.",
	},
	{
		ID: "xfo-conflict", Name: "XfoConflict", Severity: SeverityMedium,
		Short: "X-Frame-Options has several different values",
		Full:  "Several distinct X-Frame-Options values: Chromium then blocks every frame, the page's own included, and older browsers may pick either value. Low when frame-ancestors decides instead.",
		Help:  "Send one X-Frame-Options line with one value, DENY or SAMEORIGIN.",
	},
	{
		ID: "xfo-allow-from", Name: "XfoAllowFrom", Severity: SeverityMedium,
		Short: "X-Frame-Options: ALLOW-FROM is ignored by browsers",
		Full:  "No current browser supports ALLOW-FROM: the header is ignored, as if it were absent. Info when frame-ancestors decides instead.",
		Help:  "Name the allowed origins in Content-Security-Policy frame-ancestors instead, by host name: a frame-ancestors source names no host with '_' and no IPv6 address.",
	},
	{
		ID: "xfo-invalid", Name: "XfoInvalid", Severity: SeverityMedium,
		Short: "X-Frame-Options value browsers do not know",
		Full:  "A value other than DENY or SAMEORIGIN (DENY;, \"DENY\", …) is ignored by browsers. Info when frame-ancestors decides instead.",
		Help:  "Send exactly X-Frame-Options: DENY or X-Frame-Options: SAMEORIGIN.",
	},
	{
		ID: "xfo-firefox-ignores", Name: "XfoFirefoxIgnores", Severity: SeverityMedium,
		Short: "Firefox ignores this X-Frame-Options value",
		Full:  "Chromium reads X-Frame-Options as DENY, SAMEORIGIN or a conflict that blocks every frame, and Firefox (measured) ignores it: Firefox follows the HTML standard, splitting at every comma and trimming only spaces and tabs, so that a value between vertical tabs or after a form feed is unknown to it. With no frame-ancestors, Firefox users can be clickjacked.",
		Help:  "Send X-Frame-Options: DENY (or SAMEORIGIN) with no other characters around it, and Content-Security-Policy: frame-ancestors.",
	},
	{
		ID: "header-misspelled", Name: "HeaderMisspelled", Severity: SeverityMedium,
		Short: "Misspelled or obsolete framing header",
		Full:  "A header such as X-Frame-Option, Frame-Options or X-Content-Security-Policy is not one browsers read: it protects nothing.",
		Help:  "Send the value under its standard name, X-Frame-Options or Content-Security-Policy, with a value that protects the page (DENY, SAMEORIGIN, or frame-ancestors without a source that lets any site in).",
	},
	{
		ID: "meta-xfo", Name: "MetaXfo", Severity: SeverityMedium,
		Short: "X-Frame-Options in a <meta> tag is ignored",
		Full:  "Browsers read X-Frame-Options only from the HTTP header, never from <meta http-equiv>. Medium when the page has no other protection, low otherwise.",
		Help:  "Send X-Frame-Options as an HTTP response header, DENY or SAMEORIGIN (a value such as ALLOWALL or ALLOW-FROM protects nothing there either), or frame-ancestors.",
	},
	{
		ID: "meta-frame-ancestors", Name: "MetaFrameAncestors", Severity: SeverityMedium,
		Short: "frame-ancestors in a <meta> tag is ignored",
		Full:  "Browsers ignore frame-ancestors in a <meta http-equiv=\"Content-Security-Policy\"> policy. Medium when the page has no other protection, low otherwise.",
		Help:  "Send frame-ancestors in the Content-Security-Policy HTTP response header, without a source that lets any site in.",
	},
	{
		ID: "csp-report-only", Name: "CspReportOnly", Severity: SeverityMedium,
		Short: "frame-ancestors only in Content-Security-Policy-Report-Only",
		Full:  "A report-only policy reports violations but still lets the page render in the frame.",
		Help:  "Send frame-ancestors in the enforced Content-Security-Policy header, without a source that lets any site in.",
	},
	{
		ID: "csp-comma", Name: "CspComma", Severity: SeverityMedium,
		Short: "A comma splits a Content-Security-Policy header into several policies",
		Full:  "Each comma-separated policy is enforced on its own: sources after a comma are not part of the directive before it.",
		Help:  "Separate sources with spaces and directives with semicolons.",
	},
	{
		ID: "csp-directive-misspelled", Name: "CspDirectiveMisspelled", Severity: SeverityMedium,
		Short: "Misspelled frame-ancestors directive",
		Full:  "A directive such as frame-ancestor is not frame-ancestors: browsers ignore it.",
		Help:  "Spell the directive frame-ancestors.",
	},
	{
		ID: "frame-ancestors-ignored", Name: "FrameAncestorsIgnored", Severity: SeverityMedium,
		Short: "frame-ancestors holds a byte browsers do not allow, so they ignore it",
		Full:  "A frame-ancestors value may hold only printable ASCII and spaces: with any other byte (a vertical tab, a non-ASCII character) browsers drop the directive, and any later one in the policy, as if the policy had none (Chromium 150 and older, and WebKit, read a vertical tab as a space: measured). Low when another header still blocks foreign frames.",
		Help:  "Write the directive in printable ASCII, such as Content-Security-Policy: frame-ancestors 'none'.",
	},
	{
		ID: "ws-source", Name: "WsSource", Severity: SeverityMedium,
		Short: "Safari lets any site frame the page through a ws: or wss: source",
		Full:  "frame-ancestors names the scheme ws: or wss:. Chromium and Firefox match it against WebSocket URLs only, which no frame has; WebKit, the engine Safari is built on, follows CSP 3 and matches ws: against every http and https page and wss: against every https page (all measured), so that in Safari any such site can frame the page, unless another policy keeps it out.",
		Help:  "Drop ws: and wss: from frame-ancestors: no frame is a WebSocket.",
	},
	{
		ID: "source-path", Name: "SourcePath", Severity: SeverityMedium,
		Short: "frame-ancestors source with a path",
		Full:  "Chromium matches a source with a path only when the page was reached through a redirect, Firefox ignores the path and matches the source's origin on any page, and WebKit, as the specification says, compares the path with the ancestor's origin, so that it never matches (all measured): browsers differ.",
		Help:  "Write the source as an origin, without a path.",
	},
	{
		ID: "none-mixed", Name: "NoneMixed", Severity: SeverityMedium,
		Short: "'none' beside other sources is ignored",
		Full:  "When frame-ancestors lists other sources, 'none' is ignored and the directive allows them (when none of them matches a page, such as 'unsafe-inline', it blocks every frame all the same, but not by 'none').",
		Help:  "Send 'none' alone to block every frame, or drop it.",
	},
	{
		ID: "error-page-framable", Name: "ErrorPageFramable", Severity: SeverityMedium,
		Short: "Error pages of the origin can be framed",
		Full:  "A missing page (404) or server error of the same origin can be framed by any site while the scanned page cannot.",
		Help:  "Send the same framing headers on every response, errors included.",
	},
	{
		ID: "framing-headers-differ", Name: "FramingHeadersDiffer", Severity: SeverityMedium,
		Short: "Framed and top-level navigations get different framing headers",
		Full:  "The server answers a framed navigation (Sec-Fetch-Dest: iframe) with other X-Frame-Options or frame-ancestors than a top-level one (Sec-Fetch-Dest: document). Medium when only the top-level page is protected, low when only the framed one is, info otherwise.",
		Help:  "Send the framing headers on every response, whatever the request's Fetch Metadata.",
	},
	{
		ID: "xfo-only", Name: "XfoOnly", Severity: SeverityLow,
		Short: "Protected by the legacy X-Frame-Options alone",
		Full:  "Browsers honour X-Frame-Options, but Content-Security-Policy frame-ancestors is the standard that replaces it.",
		Help:  "Send Content-Security-Policy frame-ancestors beside X-Frame-Options.",
	},
	{
		ID: "csp-duplicate-directive", Name: "CspDuplicateDirective", Severity: SeverityLow,
		Short: "frame-ancestors appears more than once in a policy",
		Full:  "Browsers use the first frame-ancestors directive of a policy and ignore the rest.",
		Help:  "Keep one frame-ancestors directive per policy.",
	},
	{
		ID: "invalid-source", Name: "InvalidSource", Severity: SeverityLow,
		Short: "frame-ancestors source that matches nothing",
		Full:  "Sources such as 'unsafe-inline' or malformed hosts match nothing in frame-ancestors: only 'self', 'none', schemes and hosts do.",
		Help:  "Remove the source, or write the origin it was meant to be.",
	},
	{
		ID: "unquoted-keyword", Name: "UnquotedKeyword", Severity: SeverityLow,
		Short: "frame-ancestors keyword without its single quotes",
		Full:  "none or self without single quotes, in any case (SELF, None), is a host of that name, not the keyword: frame-ancestors none admits only a site whose host is \"none\" (no site, but by accident), and self does not admit the page's own origin.",
		Help:  "Write the keywords in single quotes: 'none', 'self'.",
	},
	{
		ID: "xfo-duplicate", Name: "XfoDuplicate", Severity: SeverityInfo,
		Short: "X-Frame-Options repeats one value",
		Full:  "Browsers treat the values as a set, so this works, but one line is enough.",
		Help:  "Send one X-Frame-Options line.",
	},
	{
		ID: "empty-frame-ancestors", Name: "EmptyFrameAncestors", Severity: SeverityInfo,
		Short: "Empty frame-ancestors",
		Full:  "An empty frame-ancestors blocks every frame, like 'none'.",
		Help:  "Write frame-ancestors 'none' to say so.",
	},
	{
		ID: "browser-difference", Name: "BrowserDifference", Severity: SeverityInfo,
		Short: "Browsers may differ on this policy",
		Full:  "Chromium on one side and Firefox, WebKit (the engine Safari is built on) and the specification on the other differ on http://host:port sources and https ancestors on the same port; only WebKit, as the specification says, matches a ws:// or wss:// host source against the http or https pages of that host; and Chromium, Firefox and WebKit on one side and the specifications on the other differ on IP-address sources and on X-Frame-Options: SAMEORIGIN in a sandboxed frame (all measured in the three), so that a browser that follows the specification may decide otherwise.",
		Help:  "List the https origins explicitly, avoid IP-address sources, and prefer frame-ancestors 'self' to SAMEORIGIN.",
	},
	{
		ID: "embeddable", Name: "Embeddable", Severity: SeverityInfo,
		Short: "The page is framable only by the listed origins",
		Full:  "A declared embed page: frame-ancestors lets exactly these origins frame it, a wildcard such as https://*.partner.example meaning every subdomain, whoever runs it. An origin the directive names but the page's policies as a whole keep out (another enforced policy, a path) is named apart, with the reason.",
		Help:  "Check that every listed origin, and everyone who runs a subdomain a wildcard admits, should be able to frame the page.",
	},
	{
		ID: "framed-navigation-refused", Name: "FramedNavigationRefused", Severity: SeverityInfo,
		Short: "The server refuses framed navigations by their Fetch Metadata",
		Full:  "The server answers a framed navigation from another site with an error (such as 403) and a top-level navigation with the page. Browsers that send no Fetch Metadata still rely on the framing headers.",
		Help:  "Keep sending the framing headers as well.",
	},
	{
		ID: "cross-site-navigation-refused", Name: "CrossSiteNavigationRefused", Severity: SeverityInfo,
		Short: "The server refuses every navigation from another site by its Fetch Metadata",
		Full:  "The server answers a framed navigation and a top-level navigation from another site with an error (such as 403), and serves the page opened from the address bar. Neither a frame nor a window of another site shows the page, which also stops DoubleClickjacking. Browsers that send no Fetch Metadata still rely on the framing headers.",
		Help:  "Keep sending the framing headers as well.",
	},
	{
		ID: "error-status", Name: "ErrorStatus", Severity: SeverityInfo,
		Short: "The server answered with an error, not the page",
		Full:  "The response judged has an error status (4xx or 5xx) that is not a refusal of the framed navigation: the verdicts judge that answer, which visitors get now, not the page the URL serves when it works, which may send other framing headers. A 401 or 403 is what a visitor the server does not let in gets; a frame of another site sends its visitor's cookies wherever SameSite lets them through, so a signed-in visitor may get the page itself. A 404 or 410 names no page; a 5xx is the server's own error.",
		Help:  "Scan the URL as the page is served: with the -cookie or -header of a signed-in session for a 401 or 403, at its right address for a 404, again later for a 5xx; and send the framing headers on error responses too.",
	},
	{
		ID: "redirected", Name: "Redirected", Severity: SeverityInfo,
		Short: "The page was reached through redirects",
		Full:  "Only the final response's headers decide framing.",
		Help:  "Scan the final URL, or protect it.",
	},
	{
		ID: "refresh", Name: "Refresh", Severity: SeverityInfo,
		Short: "The page refreshes to another page",
		Full:  "A Refresh header or <meta http-equiv=\"refresh\"> navigates the page to another URL after a delay, in a frame too: that page then replaces this one in the frame, and its own framing headers decide whether it shows there. Chromium runs no <meta> refresh in a frame sandboxed without allow-scripts, so there this page stays; a Refresh header it runs there too.",
		Help:  "Scan the page the refresh leads to as well, and protect both.",
	},
	{
		ID: "no-document", Name: "NoDocument", Severity: SeverityInfo,
		Short: "Browsers show nothing of the response in a frame",
		Full:  "The response commits no document in a frame: its status is 204, 205 or 304, or 407 (which Chromium takes for a proxy's challenge) or 101 (an upgrade no navigation asks for), which Chromium fails (Firefox and WebKit render the page of a 407: low when it has no framing protection), or it is a download (Content-Disposition: attachment, or a type Chromium does not render, such as application/octet-stream or text/csv), or its URL is on a bad port of the Fetch standard (such as 6000 or 6666), from which browsers fetch nothing (and the scanner neither, so its headers are not known), or a redirect led to a URL of another scheme than http and https (data:, javascript:, mailto:, an application's own), which browsers do not follow. A frame keeps its empty document, or shows the browser's error page, so there is nothing to click on whatever the framing headers say.",
		Help:  "Nothing to do while the response stays so; send Content-Security-Policy: frame-ancestors 'none' anyway, so that it is protected should it become a page.",
	},
	{
		ID: "not-html", Name: "NotHtml", Severity: SeverityInfo,
		Short: "The response is not HTML",
		Full:  "The type Chromium takes from the Content-Type lines (the last value with a '/', across lines and commas; without one, what the body starts with) is not text/html or application/xhtml+xml: no <meta> tags were looked for; browsers still apply the headers when they show the response in a frame.",
		Help:  "Nothing to do unless the response should be HTML.",
	},
	{
		ID: "body-truncated", Name: "BodyTruncated", Severity: SeverityInfo,
		Short: "The scanner read only part of the body",
		Full:  "The body is longer than the scanner reads, or did not end within the timeout (a page that streams or stalls, judged by its headers, which browsers apply as soon as they arrive): <meta> tags after the part read were not looked for.",
		Help:  "Nothing to do: browsers ignore framing policies in <meta> tags anyway.",
	},
	{
		ID: "error-page-unchecked", Name: "ErrorPageUnchecked", Severity: SeverityInfo,
		Short: "The error pages of the origin were not checked",
		Full:  "The probe that fetches a missing page of the origin (/clickguard-scan-<random>), once per origin, failed (a 429 Too Many Requests, no response in time, a closed connection), so error-page-framable was not checked for this page, nor for the other pages of the origin in the scan. The page itself was judged.",
		Help:  "Scan again, more slowly with -rate if the server limited the scan; -skip-error-page turns the probe off.",
	},
	{
		ID: "findings-truncated", Name: "FindingsTruncated", Severity: SeverityInfo,
		Short: "The page has more findings than a report lists",
		Full:  "A report lists at most 50 findings per page, and at most 256 KiB of them, the most severe first, and each text at most 16 KiB; the checks look one by one at the first 64 policies, sources of a directive and <meta> tags. The verdicts always judge the whole response.",
		Help:  "Fix the findings listed and scan again.",
	},
}

// ruleIndex maps a rule id to its index in rules.
var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(rules))
	for i, r := range rules {
		m[r.ID] = i
	}
	return m
}()

// Rules returns every rule, most serious first: one per finding id the
// scanner can report.
func Rules() []Rule {
	return append([]Rule(nil), rules...)
}
