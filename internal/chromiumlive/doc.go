// Package chromiumlive holds a test that re-measures, in the local headless
// Chromium, the project's extra framing measurements
// (framing/testdata/chromium-extra.jsonl): each case's exact header lines
// are served from a victim on 127.0.0.1, framed from pages on 127.0.0.2 (or
// the victim's own origin) as the line's ancestors say, and the case counts
// as framed only when the victim document itself loaded inside the frame.
// It has no non-test code.
package chromiumlive
