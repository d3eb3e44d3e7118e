package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServerRatio puts the recorder figures in proportion: the same
// stacks served by a real net/http server on 127.0.0.1 to a keep-alive
// client in the same process, one request at a time, interleaved in chunks
// as in BenchmarkRatio. Each side has its own server and connection; the
// client sends the headers (cookies and token included) of the stack's
// prepared request. The ratio is what a stack costs on top of a whole
// request as a server sees it: reading and parsing it, writing the status
// line and headers, and the client's share on the same two cores.
func BenchmarkServerRatio(b *testing.B) {
	get, post := index(cases(b, "GET")), index(cases(b, "POST"))
	pairs := []struct {
		name string
		x, y prepared
	}{
		{"floor/bare/GET", get["floor"], get["bare"]},
		{"floor-shared/bare/GET", get["floor-shared"], get["bare"]},
		{"guard-headers/bare/GET", get["guard-headers"], get["bare"]},
		{"guard-headers/floor-shared/GET", get["guard-headers"], get["floor-shared"]},
		{"guard-stack/bare/GET", get["guard-stack"], get["bare"]},
		{"guard-stack/bare/POST", post["guard-stack"], post["bare"]},
		{"secure+nosurf/bare/GET", get["secure+nosurf"], get["bare"]},
		{"secure+nosurf/bare/POST", post["secure+nosurf"], post["bare"]},
	}
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			x, y := newLoopback(b, p.x), newLoopback(b, p.y)
			reportRatio(b, 16, func() { x.do(b) }, func() { y.do(b) }, "stack", "base")
		})
	}
}

// loopback is one stack behind a real server and a client that keeps one
// connection to it.
type loopback struct {
	srv    *httptest.Server
	client *http.Client
	method string
	header http.Header
}

func newLoopback(b *testing.B, p prepared) *loopback {
	srv := httptest.NewServer(p.h)
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	l := &loopback{srv: srv, client: &http.Client{Transport: tr}, method: p.req.Method, header: p.req.Header.Clone()}
	l.do(b) // opens the connection, and checks that the stack serves the page
	return l
}

func (l *loopback) do(b *testing.B) {
	req, err := http.NewRequest(l.method, l.srv.URL+"/page", nil)
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range l.header {
		req.Header[k] = v
	}
	resp, err := l.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n != int64(len(body)) {
		b.Fatalf("%s: status %d, %d bytes, %v", l.method, resp.StatusCode, n, err)
	}
}
