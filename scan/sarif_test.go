package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// sarifOut is the part of a SARIF log these tests read.
type sarifOut struct {
	Runs []struct {
		Results []struct {
			RuleID              string            `json:"ruleId"`
			RuleIndex           *int              `json:"ruleIndex"`
			Level               string            `json:"level"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string } `json:"artifactLocation"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level      string                `json:"level"`
				Message    struct{ Text string } `json:"message"`
				Descriptor struct {
					ID    string `json:"id"`
					Index int    `json:"index"`
				} `json:"descriptor"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

func sarifReport(t *testing.T, results []Result, interrupted error) sarifOut {
	t.Helper()
	var b strings.Builder
	fill(t, NewReport(&b, FormatSARIF, false), results, interrupted)
	var out sarifOut
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return out
}

// fill adds results to r, records the interruption if there is one, and
// closes r.
func fill(t *testing.T, r *Report, results []Result, interrupted error) {
	t.Helper()
	for _, res := range results {
		if err := r.Add(res); err != nil {
			t.Fatal(err)
		}
	}
	if interrupted != nil {
		r.Interrupted(interrupted)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func framable(browserErr string) Result {
	return Result{
		URL: "http://a.example/", FinalURL: "http://a.example/", Status: 200,
		Verdicts: []Verdict{{Chain: ChainForeign, Ancestors: []string{"http://attacker.example"}, Framable: true, DecidedBy: "none", Reason: "no header",
			Browser: &BrowserVerdict{Browser: "Chromium", Error: browserErr}}},
		Findings: []Finding{{ID: "no-protection", Severity: SeverityHigh, Message: "m", Evidence: []string{"(none)"}, Fix: fixNone}},
	}
}

// TestSARIF_invocation checks when the run is successful, and the
// notifications of what failed.
func TestSARIF_invocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		results     []Result
		interrupted error
		ok          bool
		notes       []string // descriptor ids
	}{
		{"empty", nil, nil, true, nil},
		{"proved", []Result{framable("")}, nil, true, nil},
		{"not proved", []Result{framable("chromium crashed")}, nil, false, []string{"proof-error"}},
		{"not fetched", []Result{{URL: "http://b.example/", Error: "connection refused", Verdicts: []Verdict{}, Findings: []Finding{}}}, nil, false, []string{"fetch-error"}},
		{"top level failed", []Result{{URL: "http://a.example/", FinalURL: "http://a.example/", TopLevel: &TopLevel{Error: "timeout"}, Verdicts: []Verdict{}, Findings: []Finding{}}}, nil, true, []string{"top-level-fetch-error"}},
		{"interrupted", []Result{framable("")}, errors.New("context canceled"), false, []string{"scan-interrupted"}},
		// The crawl's choices are not failures.
		{"crawled page not followed", []Result{{URL: "http://a.example/away", FoundOn: "http://a.example/", Skipped: "redirect to another origin not followed by the crawl: http://b.example/", Err: ErrLeftOrigin, Verdicts: []Verdict{}, Findings: []Finding{}}}, nil, true, []string{"crawl-scope"}},
		{"crawl moved", []Result{func() Result {
			r := framable("")
			r.Crawl = "the crawl follows the links of https://a.example"
			return r
		}()}, nil, true, []string{"crawl-scope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := sarifReport(t, tc.results, tc.interrupted)
			inv := out.Runs[0].Invocations[0]
			if inv.ExecutionSuccessful != tc.ok {
				t.Errorf("executionSuccessful %v, want %v", inv.ExecutionSuccessful, tc.ok)
			}
			var got []string
			for _, n := range inv.ToolExecutionNotifications {
				got = append(got, n.Descriptor.ID)
				if d := sarifNotificationRules[n.Descriptor.Index]; d.ID != n.Descriptor.ID || d.DefaultConfiguration.Level != n.Level {
					t.Errorf("notification %+v does not match its descriptor %+v", n, d)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.notes) {
				t.Errorf("notifications %q, want %q", got, tc.notes)
			}
		})
	}
}

// TestSARIF_streams checks that each result is written when it is added,
// not held until Close.
func TestSARIF_streams(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	r := NewReport(&b, FormatSARIF, false)
	r.SetToolVersion("v1.2.3")
	for i := range 3 {
		res := framable("")
		res.URL = fmt.Sprintf("http://a.example/%d", i)
		if err := r.Add(res); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `"url": "`+res.URL+`"`) {
			t.Fatalf("result %d not written on Add:\n%s", i, b.String())
		}
	}
	if !strings.Contains(b.String(), `"version": "v1.2.3"`) {
		t.Error("no tool version")
	}
	if strings.Contains(b.String(), "invocations") {
		t.Error("invocation written before Close")
	}
}

// TestSARIF_notificationsBounded checks that the notifications kept for
// the end stay bounded however many URLs fail.
func TestSARIF_notificationsBounded(t *testing.T) {
	t.Parallel()
	results := make([]Result, maxNotifications+5)
	for i := range results {
		results[i] = Result{URL: fmt.Sprintf("http://%d.example/", i), Error: "refused", Verdicts: []Verdict{}, Findings: []Finding{}}
	}
	notes := sarifReport(t, results, nil).Runs[0].Invocations[0].ToolExecutionNotifications
	if len(notes) != maxNotifications+1 || notes[len(notes)-1].Message.Text != "5 more errors not listed" {
		t.Errorf("%d notifications, the last %+v", len(notes), notes[len(notes)-1])
	}
}

// TestSARIF_fingerprints checks that fingerprints ignore what changes on
// every fetch and tell apart findings that repeat on a page.
func TestSARIF_fingerprints(t *testing.T) {
	t.Parallel()
	a := fingerprintKey("error-page-framable", "http://a.example/", []string{"GET http://a.example/clickguard-scan-0123456789abcdef: status 404", "Content-Security-Policy: script-src 'nonce-abc'; frame-ancestors *"})
	b := fingerprintKey("error-page-framable", "http://a.example/", []string{"GET http://a.example/clickguard-scan-fedcba9876543210: status 404", "Content-Security-Policy: script-src 'nonce-xyz'; frame-ancestors *"})
	if a != b {
		t.Errorf("keys differ:\n%q\n%q", a, b)
	}
	for _, other := range []string{
		fingerprintKey("error-page-framable", "http://b.example/", []string{"GET http://a.example/clickguard-scan-0: status 404", "Content-Security-Policy: script-src 'nonce-abc'; frame-ancestors *"}),
		fingerprintKey("no-protection", "http://a.example/", []string{"GET http://a.example/clickguard-scan-0: status 404", "Content-Security-Policy: script-src 'nonce-abc'; frame-ancestors *"}),
	} {
		if fingerprint(a, 0) == fingerprint(other, 0) {
			t.Errorf("same fingerprint for %q and %q", a, other)
		}
	}
	if fingerprint(a, 0) == fingerprint(a, 1) {
		t.Error("a repeated finding gets the same fingerprint")
	}
	res := framable("")
	res.Findings = append(res.Findings, res.Findings[0])
	out := sarifReport(t, []Result{res}, nil).Runs[0].Results
	if len(out) != 2 || out[0].PartialFingerprints[sarifFingerprint] == out[1].PartialFingerprints[sarifFingerprint] {
		t.Errorf("results %+v: want two with different fingerprints", out)
	}
}

// TestSARIF_location checks where results are located: at the final URL,
// and for a page that a redirect sent to a URL of another scheme, which was
// not fetched, at the URL that redirected, not at the javascript: URL.
func TestSARIF_location(t *testing.T) {
	t.Parallel()
	redirected := framable("")
	redirected.URL = "http://a.example/from"
	redirected.Redirects = []Redirect{{URL: "http://a.example/from", Status: 302, Location: "/go"}, {URL: "http://a.example/go", Status: 302, Location: "javascript:alert(1)"}}
	redirected.FinalURL, redirected.Status, redirected.NotFetched = "javascript:alert(1)", 0, "not fetched"
	for _, tc := range []struct {
		res  Result
		want string
	}{
		{framable(""), "http://a.example/"},
		{redirected, "http://a.example/go"},
	} {
		out := sarifReport(t, []Result{tc.res}, nil).Runs[0].Results
		if len(out) != 1 || len(out[0].Locations) != 1 || out[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != tc.want {
			t.Errorf("final URL %s: results %+v, want one located at %s", tc.res.FinalURL, out, tc.want)
		}
	}
}

func TestSARIF_writeError(t *testing.T) {
	t.Parallel()
	for n := range 3 {
		r := NewReport(&failWriter{n: n}, FormatSARIF, false)
		err := r.Add(framable(""))
		if err == nil {
			err = r.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "broken pipe") {
			t.Errorf("after %d writes: error %v, want the write error", n, err)
		}
		if err2 := r.Close(); err2 != err {
			t.Errorf("after %d writes: Close error %v, want the first error again", n, err2)
		}
	}
}
