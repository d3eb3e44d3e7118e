package e2e

import (
	"bytes"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// Loopback addresses of the origins in play. 127.0.0.1 is the application's
// host; another port on it is the same site (sites of IP hosts are the
// scheme and the address, ports do not count), so the victim's SameSite=Lax
// cookie is sent in its frames. 127.0.0.2 is another site, 127.0.0.3 the
// partner a user allowlisted for embedding.
const (
	appHost   = "127.0.0.1"
	sameSite  = "same-site"
	crossSite = "cross-site"
	// sameOrigin is a page on the application's own origin (see
	// withNestHelper): it passes the cross-origin check, so only the
	// session-bound token stands in the way.
	sameOrigin  = "same-origin page"
	partnerSite = "allowlisted"
)

// serve starts h on addr ("127.0.0.2:0") until the test ends and returns its
// base URL, which is also its origin.
func serve(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve %s: %v", addr, err)
		}
	}()
	t.Cleanup(func() { s.Close() })
	return "http://" + l.Addr().String()
}

// attackers is the set of attacker servers of one test.
type attackers struct {
	// byName maps sameSite, crossSite and partnerSite to base URLs.
	byName map[string]string
}

// startAttackers serves the attacker pages from the same site, another site
// and the allowlisted partner origin.
func startAttackers(t *testing.T) attackers {
	t.Helper()
	h := attackerHandler()
	return attackers{byName: map[string]string{
		sameSite:    serve(t, appHost+":0", h),
		crossSite:   serve(t, "127.0.0.2:0", h),
		partnerSite: serve(t, "127.0.0.3:0", h),
	}}
}

// kinds are the ways a page is framed: the three embedding elements, and
// nested (an iframe of a page of the target's own origin that frames the
// target in turn, so that the parent is same-origin and only the top is the
// attacker's).
var kinds = []string{"iframe", "object", "embed", "nested"}

// framePageAll returns the URL of the attacker page on origin that frames
// src in all four kinds at once, one element per kind with the id
// "target-<kind>"; mid is the target origin's middle page for nesting.
func framePageAll(origin, src, mid string) string {
	q := url.Values{"src": {src}, "mid": {mid + "?" + url.Values{"src": {src}}.Encode()}}
	return origin + "/frame-all?" + q.Encode()
}

// field is one form field of a replayed form.
type field struct{ Name, Value string }

// postPage returns the URL of the attacker page on origin that submits
// fields to action as soon as it loads.
func postPage(origin, action string, fields []field) string {
	q := url.Values{"action": {action}}
	for _, f := range fields {
		q.Add("n", f.Name)
		q.Add("v", f.Value)
	}
	return origin + "/post?" + q.Encode()
}

// linkPage returns the URL of the attacker page on origin with a link #go
// to href, for top-level cross-site navigation.
func linkPage(origin, href string) string {
	return origin + "/link?" + url.Values{"href": {href}}.Encode()
}

// clickjackPage returns the URL of a Clickbandit-style page on origin: src
// framed at (left, top) with the given size and opacity, above a decoy
// button centred on (cx, cy).
func clickjackPage(origin, src string, left, top, width, height, cx, cy int, opacity string) string {
	q := url.Values{"src": {src}, "opacity": {opacity}}
	for k, v := range map[string]int{"left": left, "top": top, "w": width, "h": height, "cx": cx, "cy": cy} {
		q.Set(k, strconv.Itoa(v))
	}
	return origin + "/clickjack?" + q.Encode()
}

// doubleClickPage returns the URL of a DoubleClickjacking page on origin: a
// decoy centred on (cx, cy) asks for a double-click, and the first press of
// it navigates the tab to target, so that the second click lands on
// whatever target shows at that point. (The published attack opens a popup
// over the decoy and navigates its opener; the server sees the same
// cross-site top-level navigation and the same click.)
func doubleClickPage(origin, target string, cx, cy int) string {
	q := url.Values{"target": {target}, "cx": {strconv.Itoa(cx)}, "cy": {strconv.Itoa(cy)}}
	return origin + "/double-click?" + q.Encode()
}

// Frame sizes of the attacker pages.
const (
	frameWidth  = 900
	frameHeight = 620
)

var attackerPages = template.Must(template.New("frame").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>attacker: {{.Kind}}</title>
<style>
body { font: 15px system-ui, sans-serif; margin: 16px; background: #fff6d6; }
h1 { font-size: 16px; margin: 0 0 8px; color: #7a4b00; }
#target { width: {{.W}}px; height: {{.H}}px; border: 3px dashed #b3261e; background: #fff; }
</style></head><body>
<h1>{{if .Label}}{{.Label}}{{else}}attacker page{{end}} at {{.Origin}} — &lt;{{.Kind}}&gt; of {{.Src}}</h1>
{{if eq .Kind "object"}}<object id="target" data="{{.Src}}" type="text/html">object fallback: the target did not render</object>
{{else if eq .Kind "embed"}}<embed id="target" src="{{.Src}}" type="text/html">
{{else}}<iframe id="target" src="{{.Src}}"></iframe>
{{end}}</body></html>
{{define "all"}}<!doctype html>
<html><head><meta charset="utf-8"><title>attacker: four frames</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 10px; background: #fff6d6; }
h1 { font-size: 15px; margin: 0 0 6px; color: #7a4b00; word-break: break-all; }
.grid { display: grid; grid-template-columns: 620px 620px; gap: 8px; }
figure { margin: 0; } figcaption { font-weight: 600; color: #7a4b00; }
iframe, object, embed { display: block; width: 610px; height: 350px; border: 3px dashed #b3261e; background: #fff; }
</style></head><body>
<h1>attacker page at {{.Origin}} framing {{.Src}}</h1>
<div class="grid">
<figure><figcaption>&lt;iframe&gt;</figcaption><iframe id="target-iframe" src="{{.Src}}"></iframe></figure>
<figure><figcaption>&lt;object&gt;</figcaption><object id="target-object" data="{{.Src}}" type="text/html">object fallback: the target did not render</object></figure>
<figure><figcaption>&lt;embed&gt;</figcaption><embed id="target-embed" src="{{.Src}}" type="text/html"></figure>
<figure><figcaption>nested: a page of the target's origin framing it</figcaption><iframe id="target-nested" src="{{.Mid}}"></iframe></figure>
</div></body></html>{{end}}
{{define "post"}}<!doctype html>
<html><head><meta charset="utf-8"><title>attacker: form</title></head>
<body style="font: 15px system-ui, sans-serif; background: #fff6d6">
<h1>attacker page at {{.Origin}} submitting to {{.Action}}</h1>
<form id="attack" method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<button>Win a prize</button></form>
<script>
addEventListener("load", () => setTimeout(() => document.getElementById("attack").submit(), 0));
</script>
</body></html>{{end}}
{{define "link"}}<!doctype html>
<html><head><meta charset="utf-8"><title>attacker: link</title></head>
<body style="font: 18px system-ui, sans-serif; background: #fff6d6">
<h1>attacker page at {{.Origin}}</h1>
<p><a id="go" href="{{.Href}}">See the funny cat picture</a></p>
</body></html>{{end}}
{{define "clickjack"}}<!doctype html>
<html><head><meta charset="utf-8"><title>attacker: clickjack</title>
<style>
body { font: 15px system-ui, sans-serif; margin: 0; background: #eef6ff; height: 1000px; }
h1 { position: absolute; left: 16px; top: 4px; font-size: 16px; color: #0b3d91; }
#decoy { position: absolute; left: {{.DecoyLeft}}px; top: {{.DecoyTop}}px; width: 240px; height: 60px;
  font-size: 18px; background: #1a7f37; color: #fff; border: 0; border-radius: 8px; z-index: 1; }
#target { position: absolute; left: {{.Left}}px; top: {{.Top}}px; width: {{.W}}px; height: {{.H}}px;
  opacity: {{.Opacity}}; border: 0; z-index: 2; }
</style></head><body>
<h1>You have won! Click the green button to claim your prize.</h1>
<button id="decoy">Claim prize</button>
<iframe id="target" src="{{.Src}}"></iframe>
</body></html>{{end}}
{{define "double-click"}}<!doctype html>
<html><head><meta charset="utf-8"><title>attacker: double-click</title>
<style>
body { font: 15px system-ui, sans-serif; margin: 0; background: #eef6ff; height: 1000px; }
h1 { position: absolute; left: 16px; top: 4px; font-size: 16px; color: #0b3d91; }
#decoy { position: absolute; left: {{.DecoyLeft}}px; top: {{.DecoyTop}}px; width: 240px; height: 60px;
  font-size: 18px; background: #1a7f37; color: #fff; border: 0; border-radius: 8px; }
</style></head><body>
<h1>Prove you are human: double-click the green button.</h1>
<button id="decoy">Double-click here</button>
<script>
document.getElementById("decoy").addEventListener("mousedown", () => { location.href = {{.Target}}; }, {once: true});
</script>
</body></html>{{end}}`))

func attackerHandler() http.Handler {
	mux := http.NewServeMux()
	render := func(w http.ResponseWriter, name string, data any) {
		var buf bytes.Buffer
		if err := attackerPages.ExecuteTemplate(&buf, name, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	}
	origin := func(r *http.Request) string { return "http://" + r.Host }
	mux.HandleFunc("GET /frame", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		render(w, "frame", map[string]any{
			"Origin": origin(r), "Kind": q.Get("kind"), "Src": q.Get("src"), "W": frameWidth, "H": frameHeight, "Label": "",
		})
	})
	mux.HandleFunc("GET /frame-all", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		render(w, "all", map[string]any{"Origin": origin(r), "Src": q.Get("src"), "Mid": q.Get("mid")})
	})
	mux.HandleFunc("GET /post", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var fields []field
		for i, n := range q["n"] {
			fields = append(fields, field{Name: n, Value: q["v"][i]})
		}
		render(w, "post", map[string]any{"Origin": origin(r), "Action": q.Get("action"), "Fields": fields})
	})
	mux.HandleFunc("GET /link", func(w http.ResponseWriter, r *http.Request) {
		render(w, "link", map[string]any{"Origin": origin(r), "Href": r.URL.Query().Get("href")})
	})
	mux.HandleFunc("GET /clickjack", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n := func(k string) int { v, _ := strconv.Atoi(q.Get(k)); return v }
		render(w, "clickjack", map[string]any{
			"Src": q.Get("src"), "Left": n("left"), "Top": n("top"), "W": n("w"), "H": n("h"),
			"DecoyLeft": n("cx") - 120, "DecoyTop": n("cy") - 30, "Opacity": template.CSS(q.Get("opacity")),
		})
	})
	mux.HandleFunc("GET /double-click", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n := func(k string) int { v, _ := strconv.Atoi(q.Get(k)); return v }
		render(w, "double-click", map[string]any{
			"Target": q.Get("target"), "DecoyLeft": n("cx") - 120, "DecoyTop": n("cy") - 30,
		})
	})
	return mux
}

// nestPath is the path of the middle page of the nested attack, mounted on
// the target's own origin beside the application (see withNestHelper).
const nestPath = "/__e2e/nest"

// helperPrefix is where withNestHelper mounts the attacker pages on the
// target's own origin.
const helperPrefix = "/__e2e"

// withNestHelper serves next, plus at nestPath a page of next's origin that
// frames the same-origin path given in src, and under helperPrefix the
// attacker pages. They stand for any document the attacker gets onto the
// application's origin (an HTML injection, a user upload): they send no
// headers of their own, so the attacker's page can frame the middle page,
// and the questions are whether the target then renders inside a
// same-origin parent whose top is the attacker, and whether a same-origin
// form post without the victim's current token is refused. The nest page
// accepts only its own origin.
func withNestHelper(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.Handle(helperPrefix+"/", http.StripPrefix(helperPrefix, attackerHandler()))
	mux.HandleFunc("GET "+nestPath, func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(r.URL.Query().Get("src"))
		if err != nil || u.Host != r.Host {
			http.Error(w, "src must be on this origin", http.StatusBadRequest)
			return
		}
		var buf bytes.Buffer
		err = attackerPages.ExecuteTemplate(&buf, "frame", map[string]any{
			"Origin": "http://" + r.Host, "Kind": "iframe", "Src": u.RequestURI(), "W": 540, "H": 260,
			"Label": "middle page of the target's origin",
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	})
	return mux
}
