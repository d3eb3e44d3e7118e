package scan

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// byteConn is a net.Conn that reads from r and writes nowhere.
type byteConn struct {
	net.Conn
	r io.Reader
}

func (c byteConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// TestCTLConn: a response read through ctlConn, a byte at a time, has the
// header values the server sent, control characters and 0xFF included, and
// the body as sent; an informational response before it is read through
// as well, and escapes nothing of the body.
func TestCTLConn(t *testing.T) {
	body := "<p>\x01\x7f\xff\x1b</p>\r\nX-Not-A-Header: \x01\r\n\r\nHTTP/1.1 200 OK\r\nX-Nor-This: \x02\r\n"
	raw := "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\x0b\r\n\r\n" +
		"HTTP/1.1 200 OK\r\n" +
		"X-Frame-Options: DENY\x01\r\n" +
		"Content-Security-Policy: frame-ancestors\x0b'none'\r\n" +
		"X-Obs: caf\xe9 \xff\xff\x7f\x1f\r\n" +
		"X-Tab: a\tb\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	c := &ctlConn{Conn: byteConn{r: iotest.OneByteReader(bytes.NewReader([]byte(raw)))}, maxHeader: DefaultMaxHeaderBytes}
	br := bufio.NewReader(c)
	hints, err := http.ReadResponse(br, nil)
	if err != nil || hints.StatusCode != http.StatusEarlyHints || unescapeCTL(hints.Header.Get("Link")) != "</a.css>; rel=preload\x0b" {
		t.Fatalf("first response: %v, %v; want the 103 and its Link header", hints, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != body {
		t.Fatalf("body %q, %v; want %q", got, err, body)
	}
	for _, values := range resp.Header {
		for i, v := range values {
			values[i] = unescapeCTL(v)
		}
	}
	for name, want := range map[string]string{
		"X-Frame-Options":         "DENY\x01",
		"Content-Security-Policy": "frame-ancestors\x0b'none'",
		"X-Obs":                   "caf\xe9 \xff\xff\x7f\x1f",
		"X-Tab":                   "a\tb",
	} {
		if v := resp.Header.Get(name); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	if resp.Header.Get("X-Not-A-Header") != "" {
		t.Error("the body was read as a header")
	}
}

// FuzzEscapeValue: any header value without CR, LF or NUL escapes to one
// net/http takes (no control byte but tab) and back to itself.
func FuzzEscapeValue(f *testing.F) {
	for _, s := range []string{"DENY", "DENY\x01", "\xff\xff\xa0", "a\x7fb\x0b", "\t x \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if bytes.ContainsAny([]byte(v), "\r\n\x00") {
			return
		}
		line := escapeValue(nil, []byte("X-Value:"+v+"\r\n"))
		esc := bytes.TrimSuffix(bytes.TrimPrefix(line, []byte("X-Value:")), []byte("\r\n"))
		for _, b := range esc {
			if b < 0x20 && b != '\t' || b == 0x7F {
				t.Fatalf("escaped %q to %q, which holds 0x%02X", v, esc, b)
			}
		}
		if back := unescapeCTL(string(esc)); back != v {
			t.Fatalf("escaped %q to %q, back to %q", v, esc, back)
		}
	})
}

// FuzzCTLConn reads any bytes as a response through ctlConn and as they
// are: ctlConn never fails a response net/http reads, and reads it alike,
// header values (restored) and body; and whatever it reads, it reads
// without panicking.
func FuzzCTLConn(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nX-Frame-Options: DENY\r\nContent-Length: 2\r\n\r\nok")
	f.Add("HTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: \xff\r\n\r\n")
	f.Add("HTTP/1.1 200 OK\r\nX-Frame-Options: DENY\x01\r\nX-B:\r\n folded\x0b\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n\x01\r\n0\r\n\r\n")
	f.Add("HTTP/1.0 101 Switching\r\nUpgrade: x\r\n\r\n\x01\x02")
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 22\r\n\r\nline one\r\nX-Body: \x01\xff\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		read := func(r io.Reader, unescape bool) (*http.Response, []byte, error) {
			br := bufio.NewReader(r)
			resp, err := http.ReadResponse(br, nil)
			for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
				resp, err = http.ReadResponse(br, nil)
			}
			if err != nil {
				return nil, nil, err
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			if unescape {
				for _, values := range resp.Header {
					for i, v := range values {
						values[i] = unescapeCTL(v)
					}
				}
			}
			return resp, body, err
		}
		plainResp, plainBody, plainErr := read(strings.NewReader(raw), false)
		ctlResp, ctlBody, ctlErr := read(&ctlConn{Conn: byteConn{r: strings.NewReader(raw)}, maxHeader: int64(len(raw))}, true)
		if plainErr != nil {
			return
		}
		if ctlErr != nil {
			t.Fatalf("net/http reads it, ctlConn fails: %v", ctlErr)
		}
		if plainResp.StatusCode != ctlResp.StatusCode || !reflect.DeepEqual(plainResp.Header, ctlResp.Header) || !bytes.Equal(plainBody, ctlBody) {
			t.Fatalf("read otherwise through ctlConn:\n%d %q %q\n%d %q %q", plainResp.StatusCode, plainResp.Header, plainBody, ctlResp.StatusCode, ctlResp.Header, ctlBody)
		}
	})
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestCTLConn_longHeader: ctlConn holds a server to maxHeader bytes of
// status lines and headers as it sent them, a line that does not end
// included, 1xx responses' too, whatever the escapes add; the body does
// not count.
func TestCTLConn_longHeader(t *testing.T) {
	const max = 64 << 10
	ctl := strings.Repeat("\x01", 40<<10)
	for _, tc := range []struct {
		name, raw string
		tooLong   bool
	}{
		{"unended line", "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("a", 8<<20), true},
		{"a line over the bound", "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("a", max) + "\x01\r\nContent-Length: 0\r\n\r\n", true},
		{"1xx responses over the bound", "HTTP/1.1 103 Early Hints\r\nX-A: " + ctl + "\r\n\r\nHTTP/1.1 200 OK\r\nX-B: " + ctl + "\r\nContent-Length: 0\r\n\r\n", true},
		{"doubled by escapes, within the bound", "HTTP/1.1 200 OK\r\nX-A: " + ctl + "\r\nContent-Length: 0\r\n\r\n", false},
		{"a long body", "HTTP/1.1 200 OK\r\nX-A: \x01\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("b", 100000), false},
	} {
		src := &countingReader{r: strings.NewReader(tc.raw)}
		br := bufio.NewReader(&ctlConn{Conn: byteConn{r: src}, maxHeader: max})
		resp, err := http.ReadResponse(br, nil)
		for err == nil && resp.StatusCode == http.StatusEarlyHints {
			resp, err = http.ReadResponse(br, nil)
		}
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		if tc.tooLong != errors.Is(err, errHeaderTooLong) {
			t.Errorf("%s: error %v, want errHeaderTooLong %v", tc.name, err, tc.tooLong)
		}
		if tc.tooLong && src.n > max+64<<10 {
			t.Errorf("%s: read %d bytes, want about %d at most", tc.name, src.n, max)
		}
	}
}
