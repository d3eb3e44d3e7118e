// Package chromiumlive holds a test that re-measures, in the local headless
// Chromium, the project's extra framing measurements
// (framing/testdata/chromium-extra.jsonl): each case's exact header lines
// are served from a victim on 127.0.0.1, framed from pages on 127.0.0.2,
// the named attackers (resolved to 127.0.0.2), the victim's host on another
// port or the victim's own origin, through data: and sandboxed parents, with
// an iframe, object or embed, as the line says, and the case counts as
// framed only when the victim document itself loaded inside the frame.
//
// It also holds a differential test of the framing model, TestModel_chromium,
// which measures cases generated from a grammar of tricky header shapes and
// contexts, over http and https, and fails on every case where the model
// disagrees with Chromium (see framing/testdata/README.md), and
// TestMixedContent_chromium, which measures the cases of
// framing/testdata/mixed-content.json, and TestCorpus_firefox, which
// measures the corpora's lines in the local Firefox ESR and
// requires Chromium's verdict but where framing/testdata/firefox.json
// records Firefox's own, TestCorpus_webkit, which does the same in
// WebKitGTK's MiniBrowser with framing/testdata/webkit.json, and
// TestGuard_pageBrowsers, which proves guard's refusals of framed
// navigations and of confirmation pages opened from another site in both.
// It has no non-test code.
package chromiumlive
