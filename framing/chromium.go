package framing

import (
	"fmt"
	"strings"
)

// Chromium is the major version of Chromium that [Evaluate] follows: its
// corpora were measured in Chromium 156.
const Chromium = 156

// chromiumOlder is the newest version measured to read some responses
// otherwise than [Chromium] (see [AsChromium]).
const chromiumOlder = 148

// Reading is how a version of Chromium reads a response, in the model's
// terms (see [AsChromium]).
type Reading struct {
	// Response is the response rewritten so that [Evaluate] gives that
	// version's verdict: the response itself where it reads it as the model
	// does.
	Response Response
	// Otherwise says what that version reads otherwise than the model, one
	// clause each, such as "X-Content-Type-Options: nosniff on two lines is
	// not nosniff to Chromium 148 (only one value nosniff is)"; empty when
	// it reads the response as the model does.
	Otherwise []string
	// Known reports whether that version's reading was measured: false for
	// the versions between 148 and [Chromium], whose reading may be either.
	Known bool
}

// AsChromium returns how Chromium of the given major version reads resp.
//
// From [Chromium] on, as the model does. Chromium 148 (measured in
// 148.0.7778.167, Debian bookworm's in December 2026) reads three shapes
// of response otherwise, and so, as far as is known, do the versions
// before it:
//
//   - U+000B (VT) in a Content-Security-Policy value is whitespace to it,
//     where Chromium 156 ignores a frame-ancestors directive that holds
//     one and takes "frame-ancestors\v'none'" for a directive of another
//     name;
//   - it reads the Content-Disposition type from the header's lines joined
//     with ", ", so that two lines "attachment" (or one "attachment,
//     attachment") give a type that is not a token, and the response
//     renders, where Chromium 156 downloads it;
//   - X-Content-Type-Options is nosniff to it only when its lines, joined
//     with ", ", are "nosniff", so that "nosniff, foo", or "nosniff" on two
//     lines, is not, where Chromium 156 takes the first value.
//
// The versions between 148 and 156 were not measured: for them AsChromium
// returns the reading of Chromium 148, not Known.
func AsChromium(resp Response, major int) Reading {
	if major >= Chromium {
		return Reading{Response: resp, Known: true}
	}
	r, otherwise := asChromium148(resp)
	return Reading{Response: r, Otherwise: otherwise, Known: major <= chromiumOlder}
}

// asChromium148 returns resp as Chromium 148 reads it (see AsChromium):
// resp itself when it reads it as Chromium 156 does, else a copy with the
// three shapes rewritten into what Chromium 156 reads as 148 reads them,
// and what it reads otherwise.
func asChromium148(resp Response) (Response, []string) {
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
	// Both versions refuse different values (see noDocument); the same
	// value more than once makes 148's type the joined lines, not a token.
	joined := strings.Join(dispositions, ", ")
	values := splitValues(joined)
	dropDisposition := len(values) > 1 && dispositionType(joined) == "" &&
		dispositionType(values[0]) != "" && !strings.EqualFold(dispositionType(values[0]), "inline")
	for _, v := range values {
		dropDisposition = dropDisposition && v == values[0]
	}
	if dropDisposition {
		otherwise = append(otherwise, fmt.Sprintf("Content-Disposition: %s, given %d times, is no download to Chromium %d, which reads its type from the values joined (%q), not a token", values[0], len(values), chromiumOlder, joined))
	}
	// 148 wants the lines to be "nosniff"; 156 the first value.
	nosniff := strings.Join(options, ", ")
	first := splitValues(nosniff)
	dropOptions := len(first) > 0 && strings.EqualFold(first[0], "nosniff") && !strings.EqualFold(nosniff, "nosniff")
	if dropOptions {
		otherwise = append(otherwise, fmt.Sprintf("X-Content-Type-Options: %s is not nosniff to Chromium %d, to which only the one value nosniff is", nosniff, chromiumOlder))
	}

	out := resp
	out.Headers = nil
	vt := false
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Content-Security-Policy") || strings.EqualFold(h.Name, "Content-Security-Policy-Report-Only"):
			if v := strings.ReplaceAll(h.Value, "\v", " "); v != h.Value {
				h.Value, vt = v, true
			}
		case strings.EqualFold(h.Name, "Content-Disposition") && dropDisposition,
			strings.EqualFold(h.Name, "X-Content-Type-Options") && dropOptions:
			continue
		}
		out.Headers = append(out.Headers, h)
	}
	if vt {
		otherwise = append([]string{fmt.Sprintf("a VT (U+000B) in Content-Security-Policy is whitespace to Chromium %d", chromiumOlder)}, otherwise...)
	}
	if len(otherwise) == 0 {
		return resp, nil
	}
	return out, otherwise
}
