package chromiumlive

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/clickguard/clickguard/internal/corpustest"
)

// The corpus's origins, as a line's ancestors name them.
const (
	victimOrigin    = "http://127.0.0.1:" + victimPort
	attackerOrigin  = "http://127.0.0.2:" + attackerPort
	otherPortOrigin = "http://127.0.0.1:" + otherPort
	namedOrigin     = "http://evil.attacker.test:" + attackerPort
	apexOrigin      = "http://attacker.test:" + attackerPort

	victimTLSOrigin   = "https://127.0.0.1:" + victimTLSPort
	attackerTLSOrigin = "https://127.0.0.2:" + attackerTLSPort
	namedTLSOrigin    = "https://evil.attacker.test:" + attackerTLSPort
)

// generator makes framing cases from a grammar of the tricky pieces the
// corpus groups show: X-Frame-Options values with odd case, whitespace
// (Unicode and control characters included), commas, quoted strings and
// several lines; Content-Security-Policy frame-ancestors with keywords,
// schemes, hosts, wildcards, ports and paths, several directives and
// policies, report-only and <meta> policies beside the enforced ones;
// redirects, same-origin and to other origins, error statuses and statuses
// that commit no document;
// Content-Disposition values and download types; and framing contexts of one to three
// ancestors (same-origin, cross-origin, cross-port, named hosts, data: and
// sandboxed parents, over http and https, around an http or https victim)
// with iframe, object or embed, sandboxed or not.
//
// The same seed gives the same cases, and the first n cases of a longer
// run are those of a shorter one.
type generator struct{ r *rand.Rand }

func newGenerator(seed uint64) *generator {
	return &generator{rand.New(rand.NewPCG(seed, 0x5eed))}
}

func (g *generator) pick(choices ...string) string { return choices[g.r.IntN(len(choices))] }

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

// count returns 1, 2 or 3, mostly 1.
func (g *generator) count() int {
	switch f := g.r.Float64(); {
	case f < 0.6:
		return 1
	case f < 0.9:
		return 2
	}
	return 3
}

// record returns the n-th case: a response in one framing context.
func (g *generator) record(n int) corpustest.Record {
	r := corpustest.Record{
		Case:         fmt.Sprintf("gen-%d", n),
		Group:        "generated",
		Status:       200,
		VictimOrigin: victimOrigin,
	}
	if g.chance(0.3) {
		r.VictimOrigin = victimTLSOrigin
	}
	if g.chance(0.6) {
		for range g.count() {
			r.Headers = append(r.Headers, corpustest.Header{Name: g.pick("X-Frame-Options", "X-Frame-Options", "x-frame-options", "X-FRAME-OPTIONS"), Value: g.xfoValue()})
		}
	}
	if g.chance(0.6) {
		for range g.count() {
			r.Headers = append(r.Headers, corpustest.Header{Name: g.pick("Content-Security-Policy", "Content-Security-Policy", "content-security-policy"), Value: g.cspValue()})
		}
	}
	if g.chance(0.15) {
		r.Headers = append(r.Headers, corpustest.Header{Name: "Content-Security-Policy-Report-Only", Value: g.cspValue()})
	}
	// Responses that put no document in the frame, beside those that do.
	// The lab's page is HTML with a beacon, so only types that render as
	// HTML or download are generated: a text/plain page would render
	// without its beacon loading.
	if g.chance(0.06) {
		r.Headers = append(r.Headers, corpustest.Header{Name: "Content-Disposition", Value: g.pick(
			"attachment", "ATTACHMENT", `attachment; filename="a,b.html"`, "foo", "inline",
			"inline; filename=a.html", `"inline"`, "; filename=a", "attachment, attachment", "inline, attachment")})
	}
	if g.chance(0.04) {
		r.Headers = append(r.Headers, corpustest.Header{Name: "Content-Type", Value: g.pick(
			"application/octet-stream", "text/csv", "application/zip", "TEXT/HTML", "text/html; charset=utf-8",
			"text/html, application/octet-stream", "application/octet-stream, text/html", "unknown/unknown")})
	}
	g.r.Shuffle(len(r.Headers), func(i, j int) { r.Headers[i], r.Headers[j] = r.Headers[j], r.Headers[i] })
	if g.chance(0.1) {
		r.Meta = append(r.Meta, g.meta())
	}
	if g.chance(0.15) {
		r.RedirectHeaders = []corpustest.Header{{Name: "Location", Value: g.location(r.VictimOrigin)}}
		if g.chance(0.5) {
			r.RedirectHeaders = append(r.RedirectHeaders, g.pick2(
				corpustest.Header{Name: "X-Frame-Options", Value: "DENY"},
				corpustest.Header{Name: "Content-Security-Policy", Value: "frame-ancestors 'none'"}))
		}
	}
	if g.chance(0.1) {
		r.Status = []int{201, 203, 204, 205, 300, 304, 403, 404, 407, 500}[g.r.IntN(10)]
	}
	g.context(&r)
	r.ID = r.Case + "@" + r.ContextKey
	return r
}

// location returns the Location of a redirect from victim: mostly
// same-origin, else to another origin (see corpustest.Record.FinalOrigin):
// the victim's host on another port, the victim over the other scheme (the
// http-to-https upgrade sites make, and back), or the attacker's origin.
func (g *generator) location(victim string) string {
	other := victimTLSOrigin
	if victim == victimTLSOrigin {
		other = victimOrigin
	}
	if g.chance(0.5) {
		return "(same-origin, 302)"
	}
	return "(to " + g.pick(otherPortOrigin, other, other, attackerOrigin) + ", 302)"
}

func (g *generator) pick2(a, b corpustest.Header) corpustest.Header {
	if g.chance(0.5) {
		return a
	}
	return b
}

// xfoValue returns one X-Frame-Options line.
func (g *generator) xfoValue() string {
	v := g.space() + g.xfoToken() + g.space()
	for range g.count() - 1 {
		v += g.pick(",", ",", ", ", " ,", ",,") + g.space() + g.xfoToken() + g.space()
	}
	if g.chance(0.08) {
		v = `"` + v + g.pick(`"`, "")
	}
	return wire(v)
}

func (g *generator) xfoToken() string {
	return g.pick("DENY", "DENY", "DENY", "SAMEORIGIN", "SAMEORIGIN", "SAMEORIGIN",
		"deny", "sameorigin", "SameOrigin", "ALLOWALL", "allowall",
		"ALLOW-FROM http://127.0.0.2:18082", "ALLOW-FROM *", "DENY;", `"DENY"`, `"SAMEORIGIN"`,
		"'DENY'", "", "foo", "SAMEORİGİN", "ＤＥＮＹ", "DE NY", "SAME-ORIGIN", "DENY SAMEORIGIN",
		`"a,DENY"`, `"x\",DENY"`, `\"DENY`)
}

// space returns nothing, mostly, or characters that are whitespace to
// someone: ASCII, Unicode and control characters.
func (g *generator) space() string {
	if g.chance(0.6) {
		return ""
	}
	return g.pick(" ", "\t", "\v", "\f", "\u00a0", "\u3000", "\u200b", "\ufeff", "\x01", "\x1f", "\x7f", "  ", " \v")
}

// wire returns a header value as Go's server sends it: without spaces and
// tabs at its ends.
func wire(v string) string { return strings.Trim(v, " \t") }

// cspValue returns one Content-Security-Policy line: one or two policies.
func (g *generator) cspValue() string {
	v := g.policy()
	if g.chance(0.2) {
		v += g.pick(",", ", ", " , ", ",,") + g.policy()
	}
	if g.chance(0.05) {
		v = g.pick(",", ", ") + v
	}
	return wire(v)
}

// policy returns one policy: directives, mostly one frame-ancestors among
// them, sometimes two.
func (g *generator) policy() string {
	var ds []string
	for range g.count() {
		if g.chance(0.6) {
			ds = append(ds, g.frameAncestors())
		} else {
			ds = append(ds, g.otherDirective())
		}
	}
	v := strings.Join(ds, g.pick(";", "; ", "; ", " ;", ";;", "; "))
	if g.chance(0.1) {
		v += ";"
	}
	if g.chance(0.05) {
		v = ";" + v
	}
	return v
}

func (g *generator) frameAncestors() string {
	v := g.pick("frame-ancestors", "frame-ancestors", "frame-ancestors", "frame-ancestors", "frame-ancestors",
		"FRAME-ANCESTORS", "Frame-Ancestors", "frame-ancestor", "frame_ancestors")
	n := g.count()
	if g.chance(0.07) {
		n = 0
	}
	for range n {
		v += g.sourceSpace() + g.source()
	}
	return v
}

// sourceSpace separates sources: mostly a space, sometimes other ASCII
// whitespace, VT or NBSP (which browsers do not take for whitespace in a
// policy).
func (g *generator) sourceSpace() string {
	if g.chance(0.85) {
		return " "
	}
	return g.pick("  ", "\t", "\f", "\v", "\u00a0", " \v ")
}

// otherDirective returns a directive other than frame-ancestors that cannot
// keep the victim's beacon image from loading.
func (g *generator) otherDirective() string {
	return g.pick("script-src 'self'", "object-src 'none'", "sandbox", "sandbox allow-scripts",
		"report-uri /csp-report", "base-uri 'none'", "style-src 'unsafe-inline'", "frame-src 'none'",
		"img-src *", "script-src é", "form-action 'self'", "unknown-directive x", "child-src *")
}

// source returns one source expression.
func (g *generator) source() string {
	switch g.r.IntN(10) {
	case 0, 1:
		return g.pick("'self'", "'self'", "'self'", "'none'", "'none'", "'SELF'", "'None'", "'unsafe-inline'",
			"'nonce-abc'", "'strict-dynamic'", "'self", "self", "none", "'src'", `"self"`)
	case 2:
		return g.pick("*", "*", "*", "**", "*:*", "*.*", "*:"+attackerPort, "*/", "*:"+attackerTLSPort)
	case 3:
		return g.pick("http:", "http:", "https:", "HTTP:", "ws:", "data:", "blob:", "javascript:", "http", "http:/", "Http:")
	}
	return g.hostSource()
}

// hostSource returns a host-source, mostly one that names a host, port or
// wildcard the framing contexts use.
func (g *generator) hostSource() string {
	scheme := g.pick("", "", "", "http://", "http://", "http://", "https://", "https://", "HTTP://", "HTTPS://", "ws://", "wss://", "ftp://", "*://", "http:/")
	host := g.pick("127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.1", "127.0.0.1", "*.0.0.2", "*.0.0.1",
		"*.2", "*.127.0.0.2", "*", "127.0.0.2.", "127.0.0.3", "localhost", "127.1",
		"evil.attacker.test", "evil.attacker.test", "attacker.test", "attacker.test", "*.attacker.test",
		"*.attacker.test", "EVIL.Attacker.TEST", "*.test", "evil.attacker.test.", "[::1]")
	port := g.pick(":"+attackerPort, ":"+attackerPort, ":"+attackerPort, ":"+victimPort, ":"+victimPort,
		":"+otherPort, ":*", ":*", "", ":80", ":0"+attackerPort, ":", ":99999999999",
		":"+attackerTLSPort, ":"+attackerTLSPort, ":"+victimTLSPort, ":443")
	path := g.pick("", "", "", "", "", "", "/", "/", "/x", "/x/", "/page/", "/%2F", "//", "/?q", "/#f", "/.", "/a/../")
	return scheme + host + port + path
}

// meta returns one <meta http-equiv> tag that asks for framing protection,
// which browsers ignore.
func (g *generator) meta() corpustest.Meta {
	switch g.r.IntN(3) {
	case 0:
		return corpustest.Meta{HTTPEquiv: "X-Frame-Options", Content: g.xfoValue()}
	case 1:
		return corpustest.Meta{HTTPEquiv: "Content-Security-Policy", Content: g.policy()}
	}
	return corpustest.Meta{HTTPEquiv: "Content-Security-Policy-Report-Only", Content: g.policy()}
}

// The documents a generated context is made of: the origin an ancestor
// names and the short name that the context key uses.
var (
	topDocuments = []struct{ short, origin string }{
		{"v", victimOrigin}, {"a", attackerOrigin}, {"a", attackerOrigin}, {"p", otherPortOrigin},
		{"named", namedOrigin}, {"apex", apexOrigin},
		{"sv", victimTLSOrigin}, {"sa", attackerTLSOrigin}, {"snamed", namedTLSOrigin},
	}
	innerDocuments = append(slices.Clone(topDocuments), []struct{ short, origin string }{
		{"data", dataParent},
	}...)
	parentDocuments = append(slices.Clone(innerDocuments), []struct{ short, origin string }{
		{"sandboxed.a", sandboxedPrefix + attackerOrigin + ")"},
		{"sandboxed.v", sandboxedPrefix + victimOrigin + ")"},
		{"sandboxed.sa", sandboxedPrefix + attackerTLSOrigin + ")"},
	}...)
)

// context frames r: its frame element and one to three ancestors. The key
// names them, frame element first, then the ancestors from parent to top
// ("iframe-v-a" is an iframe in a victim page in an attacker page).
func (g *generator) context(r *corpustest.Record) {
	r.Element = g.pick("iframe", "iframe", "iframe", "iframe", "iframe", "iframe", "object", "embed")
	key := []string{r.Element}
	if r.Element == "iframe" && g.chance(0.1) {
		r.Sandbox = "allow-scripts"
		key[0] = "sandboxed.iframe"
	}
	n := g.count()
	for {
		r.Ancestors, key = r.Ancestors[:0], key[:1]
		for i := range n {
			docs := innerDocuments
			switch {
			case i == n-1:
				docs = topDocuments
			case i == 0:
				// A sandboxed document can only be the parent: sandboxing
				// passes to every document inside it.
				docs = parentDocuments
			}
			d := docs[g.r.IntN(len(docs))]
			r.Ancestors = append(r.Ancestors, d.origin)
			key = append(key, d.short)
		}
		if buildable(r.Ancestors) {
			break
		}
	}
	r.Context = "generated"
	r.ContextKey = strings.Join(key, "-")
}

// buildable reports whether Chromium loads every ancestor of a chain: an
// ancestor on a named http host (not on the local machine, unlike the
// victim and the attacker's addresses) inside an https parent or top is
// blocked as mixed content, and the chain never holds the victim.
func buildable(ancestors []string) bool {
	top := ancestors[len(ancestors)-1]
	for i, a := range ancestors[:len(ancestors)-1] {
		named := a == namedOrigin || a == apexOrigin
		if named && (strings.HasPrefix(ancestors[i+1], "https:") || strings.HasPrefix(top, "https:")) {
			return false
		}
	}
	return true
}
