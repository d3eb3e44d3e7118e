package e2e

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
)

// shot is one attack's picture and verdict, shown on the artifacts page.
type shot struct {
	Group   string // "framing", "forms", "clickjack", "double-clickjack", "harness", …
	Route   string // route pattern, such as "GET /items/{id}"
	Attack  string // such as "iframe from cross-site"
	Verdict string // what the suite decided, such as "blocked"
	What    string // what rendered in the frame, or the response
	File    string // PNG file name inside the artifacts folder
	OK      bool   // whether the verdict is the expected one
}

// recorder collects screenshots from parallel tests; it is safe for
// concurrent use.
type recorder struct {
	dir   string
	mu    sync.Mutex
	shots []shot
	names map[string]int
}

func newRecorder(dir string) *recorder {
	return &recorder{dir: dir, names: map[string]int{}}
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// add writes png (which may be nil when the capture itself failed) and
// records s.
func (r *recorder) add(s shot, png []byte) error {
	r.mu.Lock()
	base := unsafeName.ReplaceAllString(s.Group+"_"+s.Route+"_"+s.Attack, "-")
	r.names[base]++
	if n := r.names[base]; n > 1 {
		base = fmt.Sprintf("%s-%d", base, n)
	}
	if png != nil {
		s.File = base + ".png"
	}
	r.shots = append(r.shots, s)
	r.mu.Unlock()
	if png == nil {
		return nil
	}
	if err := os.WriteFile(filepath.Join(r.dir, s.File), png, 0o644); err != nil {
		return fmt.Errorf("write screenshot: %w", err)
	}
	return nil
}

// addAll records shots that share one screenshot (several attacks on one
// attacker page); name names the PNG file.
func (r *recorder) addAll(name string, shots []shot, png []byte) error {
	r.mu.Lock()
	base := unsafeName.ReplaceAllString(name, "-")
	r.names[base]++
	if n := r.names[base]; n > 1 {
		base = fmt.Sprintf("%s-%d", base, n)
	}
	for _, s := range shots {
		if png != nil {
			s.File = base + ".png"
		}
		r.shots = append(r.shots, s)
	}
	r.mu.Unlock()
	if png == nil {
		return nil
	}
	if err := os.WriteFile(filepath.Join(r.dir, base+".png"), png, 0o644); err != nil {
		return fmt.Errorf("write screenshot: %w", err)
	}
	return nil
}

var indexTemplate = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>clickguard browser proof</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
h1 { font-size: 1.4rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ccd; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 2px solid #2a7a3b; border-radius: 6px; padding: .5rem; background: #f7fbf8; }
figure.bad { border-color: #b3261e; background: #fdf3f2; }
figure img { width: 100%; border: 1px solid #ccd; }
figcaption b { display: block; } .v { font-weight: 600; } .bad .v { color: #b3261e; } .ok .v { color: #2a7a3b; }
code { font-size: 13px; word-break: break-all; }
</style>
</head>
<body>
<h1>clickguard browser proof</h1>
<p>{{.Total}} attacks in Chromium, {{.Failed}} with an unexpected verdict. Green: the verdict the suite expects (a blocked frame, a refused form, or the unprotected control that must succeed). Red: unexpected.</p>
{{range .Groups}}
<h2>{{.Name}}</h2>
<div class="grid">
{{range .Shots}}<figure class="{{if .OK}}ok{{else}}bad{{end}}">
{{if .File}}<a href="{{.File}}"><img src="{{.File}}" alt="attacker page: {{.Attack}} against {{.Route}}" loading="lazy"></a>{{end}}
<figcaption><b>{{.Route}}</b> {{.Attack}}<br><span class="v">{{.Verdict}}</span><br><code>{{.What}}</code></figcaption>
</figure>
{{end}}</div>
{{end}}
</body>
</html>
`))

type indexGroup struct {
	Name  string
	Shots []shot
}

// writeIndex writes index.html laying out every recorded shot by group.
func (r *recorder) writeIndex() error {
	r.mu.Lock()
	shots := slices.Clone(r.shots)
	r.mu.Unlock()
	if len(shots) == 0 {
		return nil
	}
	slices.SortStableFunc(shots, func(a, b shot) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Attack, b.Attack))
	})
	var data struct {
		Total, Failed int
		Groups        []indexGroup
	}
	for _, s := range shots {
		data.Total++
		if !s.OK {
			data.Failed++
		}
		if n := len(data.Groups); n == 0 || data.Groups[n-1].Name != s.Group {
			data.Groups = append(data.Groups, indexGroup{Name: s.Group})
		}
		g := &data.Groups[len(data.Groups)-1]
		g.Shots = append(g.Shots, s)
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("render index: %w", err)
	}
	return os.WriteFile(filepath.Join(r.dir, "index.html"), buf.Bytes(), 0o644)
}
