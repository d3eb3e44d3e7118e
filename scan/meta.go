package scan

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clickguard/clickguard/framing"
)

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
