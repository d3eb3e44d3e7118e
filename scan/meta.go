package scan

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/clickguard/clickguard/framing"
)

// htmlText returns an HTML body as UTF-8 for the scans that look for tags
// in it (readHead, crawlLinks), given the parameters of its Content-Type
// (see framing.ContentType): decoded from UTF-16 when its byte order mark
// says so, or else its charset, as browsers take them, the mark first. A
// <meta charset> cannot make a page UTF-16 (browsers read UTF-8 then), and
// the other encodings browsers read write tags in ASCII: any other body is
// returned as it is. The result is at most half as long again as body.
func htmlText(body []byte, params string) []byte {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}):
		return body
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		order, body = binary.LittleEndian, body[2:]
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		order, body = binary.BigEndian, body[2:]
	default:
		// The labels of UTF-16LE and UTF-16BE in the Encoding standard.
		switch charsetParam(params) {
		case "utf-16", "utf-16le", "unicode", "unicodefeff", "ucs-2", "csunicode", "iso-10646-ucs-2":
			order = binary.LittleEndian
		case "utf-16be", "unicodefffe":
			order = binary.BigEndian
		default:
			return body
		}
	}
	units := make([]uint16, len(body)/2)
	for i := range units {
		units[i] = order.Uint16(body[2*i:])
	}
	return []byte(string(utf16.Decode(units)))
}

// charsetParam returns the value of the charset parameter of a
// Content-Type's parameters, lower-cased, unquoted and trimmed, or "".
// It reads each parameter by itself, so that a malformed one elsewhere
// (charset=utf-16;;) does not hide it.
func charsetParam(params string) string {
	for p := range strings.SplitSeq(params, ";") {
		name, value, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "charset") {
			return strings.ToLower(strings.Trim(strings.TrimSpace(value), `"`))
		}
	}
	return ""
}

// rawTextTags are elements whose content is not markup: a "<meta" inside
// them is text, so the scanner skips to their end tag.
var rawTextTags = map[string]bool{
	"script": true, "style": true, "textarea": true, "title": true,
	"xmp": true, "iframe": true, "noembed": true, "noframes": true,
	"noscript": true, "plaintext": true,
}

// findMeta returns the <meta http-equiv> tags of an HTML prefix, in document
// order. It is a small tokenizer that follows the HTML standard closely enough
// to find tags: comments, doctypes, end tags and the content of raw-text
// elements are skipped, attribute values may be quoted or not and may contain
// '>', the first of duplicate attributes wins, and character references in
// values are decoded. A tag cut off by the end of the prefix is dropped.
// Tags are reported wherever they appear (head or body); browsers ignore them
// for framing either way.
func findMeta(body []byte) []framing.Meta { return readHead(body).meta }

// head is what readHead found in an HTML prefix.
type head struct {
	// meta are the <meta http-equiv> tags, as findMeta returns them.
	meta []framing.Meta
	// baseHref is the href of the first <base> that has one, as written;
	// baseAt is the number of meta before it, the ones whose URLs it does
	// not resolve (browsers read a <meta> refresh when it is parsed,
	// against the base URL of the document so far). baseAt is -1 when
	// there is no such <base>.
	baseHref string
	baseAt   int
}

// readHead is findMeta that also finds the first <base href>.
func readHead(body []byte) head {
	h := head{baseAt: -1}
	i := 0
	for i < len(body) {
		lt := bytes.IndexByte(body[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return h
			}
			i += 4 + end + 3
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '?' || rest[1] == '/'):
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return h
			}
			i += end + 1
		case len(rest) > 1 && isASCIILetter(rest[1]):
			name, attrs, n, ok := parseTag(rest)
			if !ok {
				return h
			}
			i += n
			switch name {
			case "meta":
				if eq, found := attrs["http-equiv"]; found {
					h.meta = append(h.meta, framing.Meta{HTTPEquiv: eq, Content: attrs["content"]})
				}
			case "base":
				if href, found := attrs["href"]; found && h.baseAt < 0 {
					h.baseHref, h.baseAt = href, len(h.meta)
				}
			}
			if rawTextTags[name] {
				if name == "plaintext" {
					return h
				}
				end := indexFold(body[i:], "</"+name)
				if end < 0 {
					return h
				}
				i += end
			}
		default:
			i++
		}
	}
	return h
}

// parseTag parses a start tag at the beginning of b ("<name attrs...>"). It
// returns the lower-cased tag name, the attributes (lower-cased names, decoded
// values; only a meta's http-equiv and content and a base's href are kept)
// and the tag's length. ok is false when b ends before the tag does.
func parseTag(b []byte) (name string, attrs map[string]string, n int, ok bool) {
	i := 1
	start := i
	for i < len(b) && !isSpace(b[i]) && b[i] != '/' && b[i] != '>' {
		i++
	}
	name = strings.ToLower(string(b[start:i]))
	for {
		for i < len(b) && (isSpace(b[i]) || b[i] == '/') {
			i++
		}
		if i >= len(b) {
			return "", nil, 0, false
		}
		if b[i] == '>' {
			return name, attrs, i + 1, true
		}
		// Attribute name: the first character may be '=' (HTML's tokenizer
		// keeps it as part of the name).
		ns := i
		i++
		for i < len(b) && !isSpace(b[i]) && b[i] != '/' && b[i] != '>' && b[i] != '=' {
			i++
		}
		attrName := strings.ToLower(string(b[ns:i]))
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		value := ""
		if i < len(b) && b[i] == '=' {
			i++
			for i < len(b) && isSpace(b[i]) {
				i++
			}
			if i >= len(b) {
				return "", nil, 0, false
			}
			switch q := b[i]; q {
			case '"', '\'':
				end := bytes.IndexByte(b[i+1:], q)
				if end < 0 {
					return "", nil, 0, false
				}
				value = string(b[i+1 : i+1+end])
				i += end + 2
			default:
				vs := i
				for i < len(b) && !isSpace(b[i]) && b[i] != '>' {
					i++
				}
				value = string(b[vs:i])
			}
		}
		if !(name == "meta" && (attrName == "http-equiv" || attrName == "content") || name == "base" && attrName == "href") {
			continue
		}
		if attrs == nil {
			attrs = make(map[string]string, 2)
		}
		if _, dup := attrs[attrName]; !dup {
			attrs[attrName] = decodeEntities(value)
		}
	}
}

// decodeEntities decodes the character references that matter in header-like
// attribute values: numeric ones and the few named ones a policy may contain.
// Anything else is left as written.
func decodeEntities(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '&' {
			sb.WriteByte(s[i])
			i++
			continue
		}
		semi := strings.IndexByte(s[i:], ';')
		if semi < 0 || semi > 12 {
			sb.WriteByte('&')
			i++
			continue
		}
		ref := s[i+1 : i+semi]
		if r, ok := decodeRef(ref); ok {
			sb.WriteRune(r)
			i += semi + 1
			continue
		}
		sb.WriteByte('&')
		i++
	}
	return sb.String()
}

func decodeRef(ref string) (rune, bool) {
	switch strings.ToLower(ref) {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	case "nbsp":
		return '\u00a0', true
	}
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	base, digits := 10, ref[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n == 0 || !utf8.ValidRune(rune(n)) {
		return utf8.RuneError, err == nil
	}
	return rune(n), true
}

// indexFold returns the index of the first case-insensitive occurrence of
// the ASCII string sub in b, or -1.
func indexFold(b []byte, sub string) int {
	s := []byte(sub)
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i] == '<' && bytes.EqualFold(b[i:i+len(s)], s) {
			return i
		}
	}
	return -1
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
