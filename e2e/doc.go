// Package e2e proves in real Chromium that clickguard cannot be
// clickjacked: attacker pages on a same-site origin (another port of
// 127.0.0.1) and a cross-site origin (127.0.0.2) try to frame every GET route
// of the application and to submit every form it renders, while the browser
// is signed in as the victim.
//
// Controls against a build of the application with its protection switched
// off (app.Config.Unprotected) show that the same frames render, the same
// replays change data and the same click deletes, so a green run means
// something. TestUse proves the other half: every action of the
// application, done by real users through its pages with every protection
// on, goes through. TestHarness proves the machinery on a stand-in site whose
// answers are known.
//
// The package holds only tests. They drive /usr/bin/chromium through the
// DevTools protocol with github.com/chromedp/chromedp, decide every verdict
// from the document Chromium actually committed in the frame (its error page,
// the element's fallback, or the application's page), and write a PNG of the
// attacker's page per attack plus an index.html into the artifacts folder
// (CLICKGUARD_E2E_ARTIFACTS, default e2e-artifacts at the module root).
//
// Without Chromium the tests skip; with CLICKGUARD_REQUIRE_ALL=1 they fail.
package e2e
