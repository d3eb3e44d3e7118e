package chromiumlive

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// defaultDiffCases is how many generated cases TestModel_chromium measures
// unless CLICKGUARD_DIFF_CASES says otherwise: enough to exercise every
// part of the grammar, few enough to add seconds, not minutes, to a run.
const defaultDiffCases = 300

// framesPerPage is how many generated cases share one framing page.
const framesPerPage = 40

// TestModel_chromium is a differential test of the framing model: it
// generates cases from a grammar of tricky header shapes and framing
// contexts (see generator), measures each in the local Chromium and fails
// on every case where framing.Evaluate does not give Chromium's verdict,
// printing the case as a line for testdata/chromium-extra.jsonl.
//
// CLICKGUARD_DIFF_CASES sets the number of cases (default
// defaultDiffCases) and CLICKGUARD_DIFF_SEED the grammar's seed (default
// 1); the same seed gives the same cases. Cases are measured many frames to
// a page, and a disagreement is measured again alone before it counts.
func TestModel_chromium(t *testing.T) {
	n := envInt(t, "CLICKGUARD_DIFF_CASES", defaultDiffCases)
	seed := envInt(t, "CLICKGUARD_DIFF_SEED", 1)
	g := newGenerator(uint64(seed))
	records := make([]corpustest.Record, n)
	for i := range records {
		records[i] = g.record(i)
	}

	tab := startChromium(t)
	version := browserVersion(t, tab)
	l := newLab(t, records)
	t.Logf("measuring %d generated cases (seed %d) in %s", n, seed, version)
	framed := l.measureAll(t, tab, records)

	disagree, unstable, blocked, tls, noDoc, away, older := 0, 0, 0, 0, 0, 0, 0
	for _, r := range records {
		if !framed[r.ID] {
			blocked++
		}
		if r.FinalOrigin() != r.VictimOrigin {
			away++
		}
		if strings.HasPrefix(r.VictimOrigin, "https:") || strings.Contains(strings.Join(r.Ancestors, " "), "https:") {
			tls++
		}
		v, err := framing.Evaluate(r.Response(), r.Ancestors)
		if err != nil {
			t.Fatalf("%s: Evaluate: %v", r.ID, err)
		}
		if v.DecidedBy == framing.DecidedByNoDocument {
			noDoc++
		}
		want := expectFramed(t, version, v.Framable, r.Response(), r.Ancestors)
		if !slices.Contains(want, v.Framable) {
			older++
		}
		if slices.Contains(want, framed[r.ID]) {
			continue
		}
		// A frame among many disagrees: measure it alone before blaming
		// the model.
		if alone := l.measure(t, tab, r); alone != framed[r.ID] {
			unstable++
			t.Logf("%s: Chromium framed = %v among other frames but %v alone; not counted", r.ID, framed[r.ID], alone)
			continue
		}
		disagree++
		r.Framed = framed[r.ID]
		r.ChromiumVersion = version
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s: the model says framable = %v (%s: %s), and so Chromium %d should frame it: %v; Chromium framed = %v\n\theaders: %q\n\tmeta: %q\n\tredirect headers: %q\n\tstatus: %d\n\telement: %s, sandbox %q\n\tancestors: %q\n\tline: %s",
			r.ID, v.Framable, v.DecidedBy, v.Reason, chromiumMajor(t, version), want, r.Framed, r.Headers, r.Meta, r.RedirectHeaders, r.Status, r.Element, r.Sandbox, r.Ancestors, line)
	}
	t.Logf("%d generated cases (%d over https, victim or ancestor; %d redirected to another origin; %d no document, by the model; %d that %s reads otherwise than Chromium %d, by framing.AsChromium): %d framed, %d blocked; %d disagree with the model, %d unstable",
		n, tls, away, noDoc, older, version, framing.Chromium, n-blocked, blocked, disagree, unstable)
	if n >= 100 && (blocked == 0 || blocked == n) {
		t.Errorf("all %d cases came out the same (%d blocked): the harness, not the model, is broken", n, blocked)
	}
}

// measureAll measures records many frames to a page: the lines with the
// same top-level origin share pages of that origin, framesPerPage at a
// time. It returns which records' victim documents loaded.
func (l *lab) measureAll(t *testing.T, tab context.Context, records []corpustest.Record) map[string]bool {
	t.Helper()
	byTop := make(map[string][]string)
	var tops []string // in first-seen order, for a deterministic run
	for _, r := range records {
		top, markup := l.frames(t, r)
		if byTop[top] == nil {
			tops = append(tops, top)
		}
		byTop[top] = append(byTop[top], markup)
	}
	for _, top := range tops {
		markups := byTop[top]
		for len(markups) > 0 {
			k := min(framesPerPage, len(markups))
			navigate(t, tab, top+l.addPage(strings.Join(markups[:k], "\n")))
			markups = markups[k:]
		}
	}
	framed := make(map[string]bool)
	for _, r := range records {
		framed[r.ID] = l.wasLoaded(r.ID)
	}
	return framed
}

// envInt returns the positive integer in the environment variable name, or
// def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}
