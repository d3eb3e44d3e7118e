package framing

import (
	"fmt"
	"slices"
	"strings"
)

// Chromium is the major version of Chromium that [Evaluate] follows: its
// corpora were measured in Chromium 156.
const Chromium = 156

// change is a shape of response that older versions of Chromium read
// otherwise than [Chromium]: the versions up to old read it otherwise
// (measured in old; the versions before it, as far as is known, alike),
// those from current as the model does (measured in current). The versions
// between the two were not measured, and may read it either way.
type change struct {
	old, current int
}

// The three shapes, measured in Chromium 148.0.7778.167 (Debian bookworm's
// in December 2026), 150.0.7871.100 and 156.
var (
	vtChange          = change{old: 150, current: Chromium}
	dispositionChange = change{old: 150, current: Chromium}
	nosniffChange     = change{old: 148, current: 150}
)

// OlderChromium returns the versions older than [Chromium] that were
// measured, newest first: the versions that [AsChromium] knows to read
// some responses otherwise.
func OlderChromium() []int { return []int{150, 148} }

// reads reports whether version major reads the shape otherwise than the
// model (a version between old and current is taken to read it as old
// does), and whether that is known.
func (c change) reads(major int) (otherwise, known bool) {
	return major < c.current, major <= c.old || major >= c.current
}

// to names the versions that read the shape otherwise, for a clause of
// [Reading.Otherwise] about version major.
func (c change) to(major int) string {
	s := fmt.Sprintf("to Chromium %d and older", c.old)
	if major > c.old {
		s += fmt.Sprintf(" (maybe to Chromium %d too, which was not measured; not to Chromium %d)", major, c.current)
	}
	return s
}

// Reading is how a version of Chromium reads a response, in the model's
// terms (see [AsChromium]).
type Reading struct {
	// Response is the response rewritten so that [Evaluate] gives that
	// version's verdict: the response itself where it reads it as the model
	// does.
	Response Response
	// Otherwise says what that version reads otherwise than the model, one
	// clause each, such as "X-Content-Type-Options: nosniff, nosniff is not
	// nosniff to Chromium 148 and older, to which only the one value
	// nosniff is"; empty when it reads the response as the model does.
	Otherwise []string
	// Known reports whether that version's reading of each shape of the
	// response that Chromium came to read otherwise was measured: false
	// where it lies between the last version measured to read one
	// otherwise and the first measured to read it as the model does, so
	// that it may read it either way (Response and Otherwise then give the
	// older reading).
	Known bool
}

// AsChromium returns how Chromium of the given major version reads resp.
//
// From [Chromium] on, as the model does. Older versions read three shapes
// of response otherwise, measured in Chromium 148, 150 and 156 (see
// [OlderChromium]); the versions before 148, as far as is known, read them
// as 148 does:
//
//   - U+000B (VT) in a Content-Security-Policy value is whitespace to
//     Chromium 150 and older, where Chromium 156 ignores a frame-ancestors
//     directive that holds one and takes "frame-ancestors\v'none'" for a
//     directive of another name;
//   - Chromium 150 and older read the Content-Disposition type from the
//     header's lines joined with ", ", so that two lines "attachment" (or
//     one "attachment, attachment") give a type that is not a token, and
//     the response renders, where Chromium 156 downloads it;
//   - X-Content-Type-Options is nosniff to Chromium 148 and older only
//     when its lines, joined with ", ", are "nosniff", so that "nosniff,
//     foo", or "nosniff" on two lines, is not, where Chromium 150 and 156
//     take the first value.
//
// Versions 149 and 151 to 155 were not measured: for a shape whose reading
// changed between the versions measured around one, AsChromium returns the
// older reading, not Known.
func AsChromium(resp Response, major int) Reading {
	if major >= Chromium {
		return Reading{Response: resp, Known: true}
	}
	return asChromium(resp, major)
}

// asChromium returns resp as Chromium major, older than [Chromium], reads
// it (see AsChromium): resp itself when it reads it as the model does, else
// a copy with the shapes rewritten into what the model reads as major reads
// them, and what it reads otherwise.
func asChromium(resp Response, major int) Reading {
	known := true
	// reads reports whether major reads a shape of resp otherwise, and
	// counts what it knows of it.
	reads := func(c change) bool {
		otherwise, k := c.reads(major)
		known = known && k
		return otherwise
	}
	var dispositions, options []string // the header lines, trimmed
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Content-Disposition"):
			dispositions = append(dispositions, strings.Trim(h.Value, " \t"))
		case strings.EqualFold(h.Name, "X-Content-Type-Options"):
			options = append(options, strings.Trim(h.Value, " \t"))
		}
	}
	var otherwise []string
	spaced, vt := VTAsWhitespace(resp)
	vt = vt && reads(vtChange)
	if vt {
		otherwise = append(otherwise, "a VT (U+000B) in Content-Security-Policy is whitespace "+vtChange.to(major))
	}
	// Both versions refuse different values (see noDocument); the same
	// value more than once makes the older type the joined lines, not a
	// token.
	joined := strings.Join(dispositions, ", ")
	values := splitValues(joined)
	dropDisposition := len(values) > 1 && dispositionType(joined) == "" &&
		dispositionType(values[0]) != "" && !strings.EqualFold(dispositionType(values[0]), "inline")
	for _, v := range values {
		dropDisposition = dropDisposition && v == values[0]
	}
	dropDisposition = dropDisposition && reads(dispositionChange)
	if dropDisposition {
		otherwise = append(otherwise, fmt.Sprintf("Content-Disposition: %s, given %d times, is no download %s, which read its type from the values joined (%q), not a token", values[0], len(values), dispositionChange.to(major), joined))
	}
	// The older versions want the lines to be "nosniff"; the newer the
	// first value.
	nosniff := strings.Join(options, ", ")
	first := splitValues(nosniff)
	dropOptions := len(first) > 0 && strings.EqualFold(first[0], "nosniff") && !strings.EqualFold(nosniff, "nosniff") &&
		reads(nosniffChange)
	if dropOptions {
		otherwise = append(otherwise, fmt.Sprintf("X-Content-Type-Options: %s is not nosniff %s, to which only the one value nosniff is", nosniff, nosniffChange.to(major)))
	}
	if len(otherwise) == 0 {
		return Reading{Response: resp, Known: known}
	}

	out := resp
	if vt {
		out = spaced
	}
	headers := out.Headers
	out.Headers = nil
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Disposition") && dropDisposition ||
			strings.EqualFold(h.Name, "X-Content-Type-Options") && dropOptions {
			continue
		}
		out.Headers = append(out.Headers, h)
	}
	return Reading{Response: out, Otherwise: otherwise, Known: known}
}

// VTAsWhitespace returns resp with every VT (U+000B) in its Content
// Security Policies read as a space, as Chromium 150 and older and WebKit
// read it (measured: see AsChromium and testdata/webkit.json), and whether
// it held one; without one, it returns resp itself.
func VTAsWhitespace(resp Response) (Response, bool) {
	holds := func(h Header) bool { return isCSP(h.Name) && strings.Contains(h.Value, "\v") }
	if !slices.ContainsFunc(resp.Headers, holds) {
		return resp, false
	}
	out := resp
	out.Headers = slices.Clone(resp.Headers)
	for i, h := range out.Headers {
		if holds(h) {
			out.Headers[i].Value = strings.ReplaceAll(h.Value, "\v", " ")
		}
	}
	return out, true
}

// isCSP reports whether a header of that name holds a Content Security
// Policy, enforced or reported.
func isCSP(name string) bool {
	return strings.EqualFold(name, "Content-Security-Policy") || strings.EqualFold(name, "Content-Security-Policy-Report-Only")
}
