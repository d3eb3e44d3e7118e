package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Chromium reads an HTTP/1.1 header value that holds a control character
// (U+0001 to U+001F but tab, line feed and carriage return, or U+007F), as
// the framing corpus measures: "X-Frame-Options: DENY\x01" is an unknown
// value to it, "frame-ancestors\v'none'" a policy. Go's HTTP client refuses
// such a response outright ("malformed MIME header line"). The scanner
// then asks again through newCTLTransport's transport, which escapes those
// bytes in the header values before net/http reads them and restores them
// after, so that the verdict judges the header Chromium reads. A NUL, or a control
// character in a header name, still fails the fetch.

// escapeByte starts an escape in a header value read through ctlConn:
// escapeByte escapeByte is escapeByte itself, escapeByte (0x80+c) is the
// control byte c below 0x20, and escapeByte escapeDEL is 0x7F. All are
// bytes net/http takes in a value (obs-text).
const (
	escapeByte = 0xFF
	escapeDEL  = 0xA0
)

// ctlHeaderError reports whether err is net/http's refusal of an HTTP/1.x
// response whose header holds a byte it does not take.
func ctlHeaderError(err error) bool {
	pe, ok := errors.AsType[textproto.ProtocolError](err)
	return ok && strings.HasPrefix(string(pe), "malformed MIME header line") &&
		strings.Contains(err.Error(), "HTTP/1.x transport connection broken")
}

// newCTLTransport returns the transport that reads such responses: HTTP/1.1
// only (the protocol in which the first transport got the response), one
// connection per request, so that every response's header is the start of
// what its connection reads, and the same proxy, timeouts and certificate
// checks as newClient's.
func newCTLTransport(opts Options) http.RoundTripper {
	dialer := &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}
	max := opts.MaxHeaderBytes
	return unescapeTransport{maxHeaderBytes: max, base: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &ctlConn{Conn: c, maxHeader: max}, nil
		},
		// A connection of its own (not a *tls.Conn): net/http then speaks
		// HTTP/1.1 over it, as ALPN offers only that.
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			host, _, _ := net.SplitHostPort(addr)
			tc := tls.Client(raw, &tls.Config{ServerName: host, NextProtos: []string{"http/1.1"}, InsecureSkipVerify: opts.Insecure}) //nolint:gosec // opt-in -insecure
			hctx, cancel := context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
			if err := tc.HandshakeContext(hctx); err != nil {
				raw.Close()
				return nil, err
			}
			return &ctlConn{Conn: tc, maxHeader: max}, nil
		},
		DisableKeepAlives: true,
		// ctlConn holds the server to MaxHeaderBytes of header, as sent;
		// net/http counts it escaped, which doubles a byte at most, and
		// the part of the body it reads ahead.
		MaxResponseHeaderBytes: 2*max + 64<<10,
	}}
}

// unescapeTransport restores the control bytes that ctlConn escaped in the
// header values of the responses of its base, and reports headers longer
// than maxHeaderBytes, as ctlConn counts them, in the words of the
// transport of newClient.
type unescapeTransport struct {
	maxHeaderBytes int64
	base           http.RoundTripper
}

func (t unescapeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if errors.Is(err, errHeaderTooLong) {
		return nil, fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", t.maxHeaderBytes)
	}
	if err != nil {
		return nil, err
	}
	for _, values := range resp.Header {
		for i, v := range values {
			values[i] = unescapeCTL(v)
		}
	}
	return resp, nil
}

// errHeaderTooLong is ctlConn's error for headers longer than its
// maxHeader.
var errHeaderTooLong = errors.New("response headers too long")

// ctlConn escapes the control bytes of the header values of the responses
// read from its connection (see escapeByte), and passes the rest through:
// status lines, names, and everything after the header of the first final
// (not 1xx) response. It fails with errHeaderTooLong once the status lines
// and headers, 1xx responses' included, pass maxHeader bytes as the server
// sent them, as net/http's own bound (MaxResponseHeaderBytes) fails them
// without ctlConn, and Chromium (ERR_RESPONSE_HEADERS_TOO_BIG): the
// escapes do not count.
type ctlConn struct {
	net.Conn
	maxHeader     int64
	header        int64  // bytes of status lines and headers read
	in, out       []byte // read, not yet escaped (part of a line); escaped, not yet returned
	inHeader      bool   // past a status line, before its header's blank line
	informational bool   // the header is a 1xx's (not 101's): a response follows
	body          bool   // past the final response's header: passed through
	tooLong       bool   // the header passed maxHeader
}

func (c *ctlConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.tooLong {
			return 0, errHeaderTooLong
		}
		if c.body && len(c.in) == 0 {
			return c.Conn.Read(p)
		}
		buf := make([]byte, 4096)
		n, err := c.Conn.Read(buf)
		c.in = append(c.in, buf[:n]...)
		c.escapeLines()
		if err != nil {
			// What is left is no whole line: net/http reports it.
			c.out, c.in = append(c.out, c.in...), nil
			if len(c.out) == 0 {
				return 0, err
			}
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// escapeLines moves the whole lines of c.in to c.out, escaping header
// values, until the end of the final response's header, and then the rest
// as it is.
func (c *ctlConn) escapeLines() {
	for !c.body {
		i := bytes.IndexByte(c.in, '\n')
		if i < 0 {
			// What it holds of a line whose end has not come is bounded
			// too.
			c.tooLong = c.header+int64(len(c.in)) > c.maxHeader
			return
		}
		line := c.in[:i+1]
		if c.header += int64(len(line)); c.header > c.maxHeader {
			c.tooLong = true
			return
		}
		c.in = c.in[i+1:]
		switch {
		case !c.inHeader:
			c.inHeader = true
			c.informational = false
			if f := strings.Fields(string(line)); len(f) > 1 {
				code, err := strconv.Atoi(f[1])
				c.informational = err == nil && code >= 100 && code < 200 && code != http.StatusSwitchingProtocols
			}
			c.out = append(c.out, line...)
		case len(bytes.TrimRight(line, "\r\n")) == 0:
			c.out = append(c.out, line...)
			c.inHeader = false
			c.body = !c.informational
		default:
			c.out = escapeValue(c.out, line)
		}
	}
	c.out, c.in = append(c.out, c.in...), nil
}

// escapeValue appends the header line to out with the control bytes of its
// value escaped: after the first colon, or all of a continuation line
// (one that starts with a space or a tab), up to its line ending.
func escapeValue(out, line []byte) []byte {
	body := bytes.TrimRight(line, "\r\n")
	end := line[len(body):]
	start := 0
	if len(body) > 0 && body[0] != ' ' && body[0] != '\t' {
		start = bytes.IndexByte(body, ':') + 1 // 0 without a colon: net/http refuses the line
		if start == 0 {
			return append(out, line...)
		}
	}
	out = append(out, body[:start]...)
	for _, b := range body[start:] {
		switch {
		case b == escapeByte:
			out = append(out, escapeByte, escapeByte)
		case b == 0x7F:
			out = append(out, escapeByte, escapeDEL)
		case b < 0x20 && b != 0 && b != '\t' && b != '\r':
			out = append(out, escapeByte, 0x80+b)
		default:
			out = append(out, b)
		}
	}
	return append(out, end...)
}

// unescapeCTL restores the bytes escapeValue escaped in v.
func unescapeCTL(v string) string {
	if strings.IndexByte(v, escapeByte) < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		b := v[i]
		if b == escapeByte && i+1 < len(v) {
			switch n := v[i+1]; {
			case n == escapeByte:
				b = escapeByte
			case n == escapeDEL:
				b = 0x7F
			case n >= 0x80 && n < 0xA0:
				b = n - 0x80
			default:
				out = append(out, b)
				continue
			}
			i++
		}
		out = append(out, b)
	}
	return string(out)
}
