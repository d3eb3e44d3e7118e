package chromiumlive

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireWebKit returns WebKitGTK's MiniBrowser (Debian's
// libwebkit2gtk-4.1-0, which webkit2gtk-driver brings), the WebKit engine
// that Safari is built on, shown on a virtual display of its own (Xvfb,
// Debian's xvfb) and reaching the corpus's named attackers through
// namedHostProxy; or skips t, or fails it under CLICKGUARD_REQUIRE_ALL=1.
// It accepts the lab's certificate (--ignore-tls-errors).
func requireWebKit(t *testing.T) pageBrowser {
	t.Helper()
	mini := "MiniBrowser"
	if found, _ := filepath.Glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser"); len(found) > 0 {
		mini = found[0]
	}
	paths := requireTools(t, "WebKit", tool{mini, "webkit2gtk-driver"}, tool{"Xvfb", "xvfb"})
	mini = paths[0]
	display := startXvfb(t, paths[1])
	proxy := namedHostProxy(t)
	env := func(t *testing.T) []string {
		home := t.TempDir()
		return append(os.Environ(), "DISPLAY="+display, "HOME="+home, "TMPDIR="+home,
			"XDG_CACHE_HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home, "XDG_RUNTIME_DIR="+home)
	}
	cmd := exec.Command(mini, "--version")
	cmd.Env = env(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --version: %v", mini, err)
	}
	return pageBrowser{
		name:    "WebKit",
		version: strings.TrimSpace(string(out)),
		file:    "webkit.json",
		open: func(t *testing.T, url string) *exec.Cmd {
			cmd := exec.Command(mini, "--ignore-tls-errors",
				"--proxy="+proxy, "--ignore-host=127.0.0.0/8", url)
			cmd.Env = env(t)
			return cmd
		},
	}
}

// startXvfb starts a virtual X display on the first free display number,
// until t ends, and returns its name (":1").
func startXvfb(t *testing.T, path string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(path, "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		// TERM, so that it removes its lock file.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb gave no display number")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb gave no display number in 30 seconds")
	}
	return ""
}

// namedHostProxy starts an HTTP proxy through which WebKit, which cannot
// be told how to resolve a host name, reaches the corpus's named attackers
// (attacker.test, evil.attacker.test): it sends every request to
// 127.0.0.2, the lab's attacker address, on the port asked for, and
// tunnels CONNECT for https. It returns its URL.
func namedHostProxy(t *testing.T) string {
	t.Helper()
	toAttacker := func(host string) string {
		_, port, err := net.SplitHostPort(host)
		if err != nil {
			port = "80"
		}
		return net.JoinHostPort("127.0.0.2", port)
	}
	plain := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL.Host = toAttacker(pr.In.Host)
		pr.Out.Host = pr.In.Host
	}}
	s := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			plain.ServeHTTP(w, r)
			return
		}
		up, err := net.Dial("tcp", toAttacker(r.Host))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n")
		go func() {
			io.Copy(up, buf) // what the client sent, buffered or not
			up.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(conn, up)
		conn.Close()
		up.Close()
	}))
	return s.URL
}

// TestCorpus_webkit measures the corpora's lines in WebKit (WebKitGTK's
// MiniBrowser), over http and https, and requires Chromium's verdict on
// each, or the other where framing/testdata/webkit.json lists the line as
// one that WebKit frames otherwise (see measureCorpora).
func TestCorpus_webkit(t *testing.T) {
	measureCorpora(t, requireWebKit(t))
}
