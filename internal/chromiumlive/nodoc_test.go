package chromiumlive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/chromiumtest"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// TestNoDocument_chromium measures every case of
// framing/testdata/no-document.json in the local Chromium, in an iframe, an
// <object> and an <embed> of a page of the case's own origin, which can
// look into the frame: Chromium must show exactly what the file says, and
// framing.Evaluate must agree with Chromium on each. The cases of one
// element load side by side in one page; one that disagrees there is
// measured again on a page of its own, and only that measure counts.
func TestNoDocument_chromium(t *testing.T) {
	cases := corpustest.ReadNoDocument(t)
	tab := chromiumtest.Start(t) // which refuses downloads
	version := browserVersion(t, tab)
	l := &noDocLab{cases: cases, served: map[string]bool{}}
	srv := serveOn(t, "127.0.0.1:0", l)
	all := make([]int, len(cases))
	for i := range all {
		all[i] = i
	}
	for _, el := range []string{"iframe", "object", "embed"} {
		got := l.measure(t, tab, srv.URL, el, all)
		for i, c := range cases {
			// The file says what Chromium 156 shows (see expectShown).
			resp, ancestors := c.Response(srv.URL+l.casePath(i), el), []string{srv.URL}
			want := expectShown(t, version, c, el, resp, ancestors)
			shown := got[i]
			if !slices.Contains(want, shown) {
				alone := l.measure(t, tab, srv.URL, el, []int{i})[i]
				t.Logf("%s in an %s: Chromium showed %s beside the other cases, %s alone", c.Name, el, shown, alone)
				shown = alone
			}
			if !slices.Contains(want, shown) {
				t.Errorf("%s in an %s: Chromium shows %s, the file says %s, and so Chromium %d should show %v", c.Name, el, shown, c.Frame, chromiumMajor(t, version), want)
			}
			v, err := framing.Evaluate(resp, ancestors)
			if err != nil {
				t.Fatalf("%s: Evaluate: %v", c.Name, err)
			}
			if framed := expectFramed(t, version, v.Framable, resp, ancestors); !slices.Contains(framed, shown == corpustest.FrameDocument) {
				t.Errorf("%s in an %s: the model says framable = %v (%s: %s), and so Chromium %d should frame it: %v; Chromium shows %s",
					c.Name, el, v.Framable, v.DecidedBy, v.Reason, chromiumMajor(t, version), framed, shown)
			}
		}
	}
}

// noDocLab serves the no-document cases on one origin:
//
//   - /case/<i>: case i's status, header lines as written and body, and
//     no header the server would add (Content-Type) unless the case has it;
//   - /wrap/<element>/<i>: a page holding case i in that element;
//   - /probe/<element>?cases=<i>,<j>,...: a page holding a /wrap page of
//     each case, whose script reports what each element shows.
type noDocLab struct {
	cases []corpustest.NoDocumentCase

	mu     sync.Mutex
	served map[string]bool // the /case/ paths requested since the last reset
}

func (l *noDocLab) casePath(i int) string { return "/case/" + strconv.Itoa(i) }

// probeScript sets window.shown to what each wrapped element shows:
// "fallback" when it made no frame, "nothing" while the frame holds its
// initial about:blank, "document" when it holds the case's document, and
// "error" for a document this origin cannot read (Chromium's error page).
const probeScript = `window.show = () => {
	const shown = {};
	for (const w of document.querySelectorAll("iframe[data-case]")) {
		const frames = w.contentWindow.frames;
		let s = "fallback";
		if (frames.length > 0) {
			try {
				s = frames[0].location.href === "about:blank" ? "nothing" : "document";
			} catch (e) {
				s = "error";
			}
		}
		shown[w.dataset.case] = s;
	}
	return JSON.stringify(shown);
};`

func (l *noDocLab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "case":
		i, err := strconv.Atoi(parts[1])
		if err != nil || i < 0 || i >= len(l.cases) {
			http.NotFound(w, r)
			return
		}
		l.mu.Lock()
		l.served[r.URL.Path] = true
		l.mu.Unlock()
		c := l.cases[i]
		if c.Status < 200 {
			// net/http writes no 1xx as the final response: write it raw,
			// and close the connection after it.
			writeRaw(w, c)
			return
		}
		h := w.Header()
		h["Content-Type"] = nil // no sniffed type from net/http
		for _, kv := range c.Headers {
			h[kv[0]] = append(h[kv[0]], kv[1])
		}
		w.WriteHeader(c.Status)
		fmt.Fprint(w, c.Body)
	case len(parts) == 3 && parts[0] == "wrap":
		src := l.casePath(atoi(parts[2]))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch parts[1] {
		case "object":
			fmt.Fprintf(w, `<!doctype html><object data="%s" width="200" height="100">fallback</object>`, src)
		case "embed":
			fmt.Fprintf(w, `<!doctype html><embed src="%s" width="200" height="100">`, src)
		default:
			fmt.Fprintf(w, `<!doctype html><iframe src="%s" width="200" height="100"></iframe>`, src)
		}
	case len(parts) == 2 && parts[0] == "probe":
		var b strings.Builder
		b.WriteString("<!doctype html><title>probe</title>")
		for _, s := range strings.Split(r.URL.Query().Get("cases"), ",") {
			fmt.Fprintf(&b, `<iframe data-case="%d" src="/wrap/%s/%d"></iframe>`, atoi(s), parts[1], atoi(s))
		}
		fmt.Fprintf(&b, "<script>%s</script>", probeScript)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, b.String())
	default:
		http.NotFound(w, r)
	}
}

// writeRaw writes case c as the whole response on w's connection, header
// lines as given, and closes the connection.
func writeRaw(w http.ResponseWriter, c corpustest.NoDocumentCase) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err) // an HTTP/1.1 server always can
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", c.Status, http.StatusText(c.Status))
	for _, kv := range c.Headers {
		fmt.Fprintf(buf, "%s: %s\r\n", kv[0], kv[1])
	}
	fmt.Fprintf(buf, "\r\n%s", c.Body)
	buf.Flush()
}

func atoi(s string) int {
	i, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return i
}

// measure loads the cases ids in element el side by side and returns what
// each shows, read once the lab has served every case and a second more
// has passed for the frames to commit.
func (l *noDocLab) measure(t *testing.T, tab context.Context, base, el string, ids []int) map[int]string {
	t.Helper()
	l.mu.Lock()
	clear(l.served)
	l.mu.Unlock()
	list := make([]string, len(ids))
	for k, i := range ids {
		list[k] = strconv.Itoa(i)
	}
	navigate(t, tab, base+"/probe/"+el+"?cases="+strings.Join(list, ","))
	deadline := time.Now().Add(30 * time.Second)
	for !l.servedAll(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("the %s cases %v were not all requested within 30 s", el, ids)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`show()`))
	if err != nil {
		t.Fatalf("read what the %s cases show: %v", el, err)
	}
	var shown map[string]string
	if err := json.Unmarshal([]byte(raw), &shown); err != nil {
		t.Fatalf("read what the %s cases show: %v", el, err)
	}
	got := make(map[int]string, len(ids))
	for _, i := range ids {
		s, ok := shown[strconv.Itoa(i)]
		if !ok {
			t.Fatalf("case %d in an %s: the probe page did not report it", i, el)
		}
		got[i] = s
	}
	return got
}

func (l *noDocLab) servedAll(ids []int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, i := range ids {
		if !l.served[l.casePath(i)] {
			return false
		}
	}
	return true
}
