package framing

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// noDocument returns the verdict for a response that puts no document of
// the page in a frame, whatever its framing headers say, and false for one
// that does. As measured in Chromium:
//
//   - more than one distinct Content-Disposition value fails the request
//     (Chromium's ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION), even
//     a 204;
//   - a 204, 205 or 304 response commits nothing: the frame keeps the
//     document it held, at first an empty one;
//   - a 407 response fails the request (net::ERR_UNEXPECTED_PROXY_AUTH):
//     Chromium takes it for a proxy's challenge, and no proxy sent it; so
//     does a 101 (net::ERR_INVALID_HTTP_RESPONSE): a navigation asks for no
//     upgrade;
//   - a download commits nothing either: a Content-Disposition whose type is
//     a token other than inline, or a MIME type Chromium does not render
//     (see rendersType). A download with a status outside 2xx, and a failed
//     request, show Chromium's error page in an iframe or embed and the
//     fallback content of an <object>.
func noDocument(resp Response) (Verdict, bool) {
	var dispositions, contentType []string
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Content-Disposition"):
			dispositions = append(dispositions, splitValues(h.Value)...)
		case strings.EqualFold(h.Name, "Content-Type"):
			contentType = append(contentType, splitValues(h.Value)...)
		}
	}
	nosniff := Nosniff(resp.Headers)
	for _, d := range dispositions[min(1, len(dispositions)):] {
		if d != dispositions[0] {
			return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
				Reason: fmt.Sprintf("Chromium refuses a response with more than one Content-Disposition value (%q and %q) and shows %s, so nothing of the page renders, whatever the headers say",
					dispositions[0], d, errorShown(resp))}, true
		}
	}
	switch resp.Status {
	case 204, 205, 304:
		return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
			Reason: fmt.Sprintf("a response with status %d commits no document: the frame keeps the empty document it held, so nothing of the page renders, whatever the headers say", resp.Status)}, true
	case 101:
		return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
			Reason: fmt.Sprintf("Chromium fails a response with status 101 (Switching Protocols) to a navigation, which asks for no upgrade (net::ERR_INVALID_HTTP_RESPONSE), and shows %s, so nothing of the page renders, whatever the headers say", errorShown(resp))}, true
	case 407:
		return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
			Reason: fmt.Sprintf("Chromium takes a response with status 407 (Proxy Authentication Required) for the challenge of a proxy, which no proxy sent: it fails the request (net::ERR_UNEXPECTED_PROXY_AUTH) and shows %s, so nothing of the page renders, whatever the headers say", errorShown(resp))}, true
	}
	why := ""
	if len(dispositions) > 0 {
		if t := dispositionType(dispositions[0]); t != "" && !strings.EqualFold(t, "inline") {
			why = fmt.Sprintf("Content-Disposition: %s makes the response a download", dispositions[0])
		}
	}
	if why == "" {
		mt, _ := mimeType(contentType)
		why = downloadType(mt, resp.Sniffed, nosniff)
	}
	if why == "" {
		return Verdict{}, false
	}
	if resp.Status == 0 || resp.Status >= 200 && resp.Status <= 299 {
		return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
			Reason: why + ": the frame keeps the empty document it held, so nothing of the page renders, whatever the headers say"}, true
	}
	return Verdict{Framable: false, DecidedBy: DecidedByNoDocument,
		Reason: fmt.Sprintf("%s, and for status %d Chromium shows %s instead, so nothing of the page renders, whatever the headers say",
			why, resp.Status, errorShown(resp))}, true
}

// errorShown names what the frame shows when the request fails.
func errorShown(resp Response) string {
	if strings.EqualFold(resp.Element, "object") {
		return "the <object>'s fallback content"
	}
	return "its own error page in the frame"
}

// dispositionType returns the disposition type of a Content-Disposition
// value, or "" when the value has none: Chromium takes what comes before
// the first ';', trimmed, and a value that is not a token counts as no
// type (the response is then inline).
func dispositionType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	t = strings.Trim(t, " \t")
	if t == "" || strings.IndexFunc(t, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
		return ""
	}
	return t
}

// ContentType returns the MIME type Chromium takes from a response's
// Content-Type lines, the one by which [Evaluate] tells a download from a
// page: of the values of every line, split on commas, the last that is not
// "*/*" and whose essence has a '/'; its essence is the type and subtype,
// from the first character that is not a space or a tab to the next space,
// tab, ';' or '(', lowercased ("application/json x" is application/json,
// and "*/* x" is */*, which asks browsers to sniff); "" when there is none. params is what that value
// holds after its first ';' (" charset=utf-8"), as written. A value that a
// strict parser refuses (text/html; charset=) still has its type.
func ContentType(headers []Header) (mt, params string) {
	var values []string
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Type") {
			values = append(values, splitValues(h.Value)...)
		}
	}
	return mimeType(values)
}

// mimeType returns the MIME type Chromium takes from the Content-Type
// values (see ContentType) and the parameters written after it.
func mimeType(values []string) (mt, params string) {
	for _, v := range values {
		if t := essence(v); strings.Contains(t, "/") && v != "*/*" {
			mt = t
			_, params, _ = strings.Cut(v, ";")
		}
	}
	return mt, params
}

// essence returns the type and subtype of a MIME type value, lowercased:
// what Chromium reads of it, from its first character that is not a space
// or a tab to the next space, tab, ';' or '(' ("text/html(comment)" is
// text/html, "text /html" is "text", which has no '/': Chromium then takes
// no type from the value, and sniffs).
func essence(v string) string {
	v = strings.TrimLeft(v, " \t")
	if i := strings.IndexAny(v, " \t;("); i >= 0 {
		v = v[:i]
	}
	return lowerASCII(v)
}

// downloadType says why a response of MIME type mt (from Content-Type; ""
// when there is none) is a download, or returns "" when Chromium renders
// it. Unless X-Content-Type-Options is nosniff, Chromium sniffs the body
// when there is no type or the type is unknown/unknown or
// application/unknown, and looks whether a text/plain body is binary;
// sniffed is what the body sniffs as, "" when unknown (the body then counts
// as rendered). With nosniff, a response without a type renders as text.
func downloadType(mt, sniffed string, nosniff bool) string {
	sniffed = essence(sniffed)
	sniffs := SniffedType(mt)
	switch {
	case sniffs && nosniff && mt != "":
		return fmt.Sprintf("Content-Type: %s is not a type Chromium renders, and X-Content-Type-Options: nosniff keeps it from sniffing the body, so the response is a download", mt)
	case sniffs && !nosniff:
		if sniffed != "" && !rendersType(sniffed) {
			what := "there is no Content-Type"
			if mt != "" {
				what = "Content-Type: " + mt + " lets Chromium sniff it"
			}
			return fmt.Sprintf("the body sniffs as %s (%s), a type Chromium does not render, so the response is a download", sniffed, what)
		}
	case mt == "text/plain":
		// A binary body takes the type its magic number gives, rendered
		// if Chromium renders that (a GIF shows as an image).
		if !nosniff && sniffed != "" && !strings.HasPrefix(sniffed, "text/") && !rendersType(sniffed) {
			return fmt.Sprintf("the text/plain body sniffs as %s, binary, so Chromium makes the response a download (X-Content-Type-Options: nosniff would stop that)", sniffed)
		}
	case !sniffs && !rendersType(mt):
		return fmt.Sprintf("Content-Type: %s is not a type Chromium renders, so the response is a download", mt)
	}
	return ""
}

// Nosniff reports whether a response's header lines say
// X-Content-Type-Options: nosniff: its first value, across lines and
// commas, as Fetch's "determine nosniff" reads it.
func Nosniff(headers []Header) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Name, "X-Content-Type-Options") {
			if v := splitValues(h.Value); len(v) > 0 {
				return strings.EqualFold(v[0], "nosniff")
			}
		}
	}
	return false
}

// SniffedType reports whether Chromium, unless X-Content-Type-Options is
// nosniff, takes a response's type from its body rather than from mt, the
// type [ContentType] gives: when there is none, or it is unknown/unknown,
// application/unknown or */* (from a value such as "*/* x": a value that
// is exactly */* gives no type).
func SniffedType(mt string) bool {
	return mt == "" || mt == "unknown/unknown" || mt == "application/unknown" || mt == "*/*"
}

// Sniff returns the MIME type Chromium gives a body when it sniffs it, as
// [Response.Sniffed] wants it: the type [net/http.DetectContentType]
// computes under the MIME Sniffing Standard's rules, except that a binary
// body beginning with one of the signatures Chromium's sniffer takes for
// scripts and mail ("#!", "%!", "From", ">From", matched as written) is
// text/plain, which Chromium renders, where the standard makes it
// application/octet-stream, a download.
func Sniff(body []byte) string {
	t := http.DetectContentType(body)
	if t == "application/octet-stream" {
		for _, sig := range [...]string{"#!", "%!", "From", ">From"} {
			if bytes.HasPrefix(body, []byte(sig)) {
				return "text/plain"
			}
		}
	}
	return t
}

// rendersType reports whether Chromium renders a document of MIME type mt
// (lowercased) in a frame, rather than download it: HTML, XML, JSON,
// JavaScript, text other than the kinds users expect to save (CSV, vCard,
// calendars and the like), the images and media it decodes and PDF. Every
// audio/ and video/ type counts as rendered: which of them Chromium plays
// depends on its build, and a type counted as rendered can only make a
// verdict framable, never hide a framable page.
func rendersType(mt string) bool {
	switch {
	case strings.HasPrefix(mt, "text/"):
		return !unrenderedText[mt]
	case strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
		return true
	case strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
		return true
	}
	return renderedTypes[mt]
}

// unrenderedText are the text/ types Chromium downloads.
var unrenderedText = setOf(
	"text/calendar", "text/x-calendar", "text/x-vcalendar", "text/vcalendar",
	"text/vcard", "text/x-vcard", "text/directory", "text/ldif", "text/qif",
	"text/x-qif", "text/x-csv", "text/x-vcf", "text/rtf",
	"text/comma-separated-values", "text/csv", "text/tab-separated-values",
	"text/tsv", "text/ofx", "text/vnd.sun.j2me.app-descriptor",
	"text/x-ms-iqy", "text/x-ms-odc", "text/x-ms-rqy", "text/x-ms-contact",
)

// renderedTypes are the other types Chromium renders in a frame.
var renderedTypes = setOf(
	// Images.
	"image/jpeg", "image/pjpeg", "image/jpg", "image/webp", "image/png",
	"image/apng", "image/gif", "image/bmp", "image/vnd.microsoft.icon",
	"image/x-icon", "image/x-xbitmap", "image/x-png", "image/avif",
	"image/jxl", "image/svg+xml",
	// Documents.
	"application/xml", "application/atom+xml", "application/rss+xml",
	"application/xhtml+xml", "application/json", "application/pdf",
	"multipart/x-mixed-replace",
	// JavaScript.
	"application/ecmascript", "application/javascript",
	"application/x-ecmascript", "application/x-javascript",
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// splitValues splits a header line into its values as Chromium enumerates
// them: on commas outside quoted strings (see splitHeaderValue), each value
// trimmed of spaces and tabs, empty ones dropped.
func splitValues(v string) []string {
	var out []string
	for _, s := range splitHeaderValue(v) {
		if s = strings.Trim(s, " \t"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110's
// tchar).
func isTokenChar(c rune) bool {
	return c < 0x7f && (isAlpha(byte(c)) || isDigit(byte(c)) || strings.ContainsRune("!#$%&'*+-.^_`|~", c))
}
