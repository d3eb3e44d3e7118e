package main

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sarifLog mirrors the parts of the SARIF 2.1.0 schema that -format sarif
// writes; the schema's required properties are checked by
// checkSARIF.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string            `json:"name"`
				Version        string            `json:"version"`
				InformationURI string            `json:"informationUri"`
				Rules          []sarifDescriptor `json:"rules"`
				Notifications  []sarifDescriptor `json:"notifications"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Properties          struct {
				Severity string   `json:"severity"`
				URL      string   `json:"url"`
				Evidence []string `json:"evidence"`
				Fix      string   `json:"fix"`
				Verdicts []struct {
					Ancestors []string `json:"ancestors"`
					Framable  *bool    `json:"framable"`
					Reason    string   `json:"reason"`
				} `json:"verdicts"`
			} `json:"properties"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        *bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
				Descriptor struct {
					ID    string `json:"id"`
					Index *int   `json:"index"`
				} `json:"descriptor"`
				Properties struct {
					URL string `json:"url"`
				} `json:"properties"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

type sarifDescriptor struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	ShortDescription struct {
		Text string `json:"text"`
	} `json:"shortDescription"`
	FullDescription *struct {
		Text string `json:"text"`
	} `json:"fullDescription"`
	Help *struct {
		Text string `json:"text"`
	} `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties struct {
		Tags             []string `json:"tags"`
		SecuritySeverity *string  `json:"security-severity"`
	} `json:"properties"`
}

var sarifLevels = []string{"none", "note", "warning", "error"}

// checkSARIF parses out as a SARIF log and checks what the schema and
// GitHub code scanning require of it.
func checkSARIF(t *testing.T, out string) *sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" {
		t.Errorf("version %q, want 2.1.0", log.Version)
	}
	if log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" {
		t.Errorf("$schema %q", log.Schema)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "clickguard" || d.Version == "" {
		t.Errorf("driver name %q version %q", d.Name, d.Version)
	}
	for _, group := range [][]sarifDescriptor{d.Rules, d.Notifications} {
		ids := map[string]bool{}
		for _, r := range group {
			if r.ID == "" || ids[r.ID] {
				t.Errorf("descriptor id %q empty or repeated", r.ID)
			}
			ids[r.ID] = true
			if r.Name == "" || r.ShortDescription.Text == "" {
				t.Errorf("descriptor %s: no name or shortDescription", r.ID)
			}
			if !slices.Contains(sarifLevels, r.DefaultConfiguration.Level) {
				t.Errorf("descriptor %s: defaultConfiguration.level %q", r.ID, r.DefaultConfiguration.Level)
			}
		}
	}
	if len(d.Rules) == 0 {
		t.Fatal("no rules")
	}
	for _, r := range d.Rules {
		if r.FullDescription == nil || r.FullDescription.Text == "" || r.Help == nil || r.Help.Text == "" {
			t.Errorf("rule %s: no fullDescription or help", r.ID)
		}
		if s := r.Properties.SecuritySeverity; s != nil {
			// GitHub: a number from 0.0 to 10.0, as a string.
			if v, err := strconv.ParseFloat(*s, 64); err != nil || v < 0 || v > 10 {
				t.Errorf("rule %s: security-severity %q", r.ID, *s)
			}
		}
		if !slices.Contains(r.Properties.Tags, "security") {
			t.Errorf("rule %s: tags %q lack security", r.ID, r.Properties.Tags)
		}
	}
	if run.Results == nil {
		t.Error("no results array")
	}
	for i, res := range run.Results {
		if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(d.Rules) || d.Rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleId %q, ruleIndex %v does not point at its rule", i, res.RuleID, res.RuleIndex)
		}
		if !slices.Contains(sarifLevels, res.Level) {
			t.Errorf("result %d: level %q", i, res.Level)
		}
		if res.Message.Text == "" {
			t.Errorf("result %d: no message", i)
		}
		if res.Properties.Fix != "" && !strings.Contains(res.Message.Text, "Fix: "+res.Properties.Fix) {
			t.Errorf("result %d: message %q lacks the fix %q", i, res.Message.Text, res.Properties.Fix)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d: %d locations, want 1", i, len(res.Locations))
		}
		if u, err := url.Parse(res.Locations[0].PhysicalLocation.ArtifactLocation.URI); err != nil || !u.IsAbs() {
			t.Errorf("result %d: uri %q is not an absolute URI", i, res.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		}
		if len(res.PartialFingerprints["clickguardFinding/v1"]) != 32 {
			t.Errorf("result %d: partialFingerprints %v", i, res.PartialFingerprints)
		}
		if res.Properties.URL == "" || res.Properties.Severity == "" || res.Properties.Evidence == nil || res.Properties.Verdicts == nil {
			t.Errorf("result %d: properties %+v lack url, severity, evidence or verdicts", i, res.Properties)
		}
	}
	if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful == nil {
		t.Fatalf("invocations %+v, want one with executionSuccessful", run.Invocations)
	}
	for _, n := range run.Invocations[0].ToolExecutionNotifications {
		if !slices.Contains(sarifLevels, n.Level) || n.Message.Text == "" {
			t.Errorf("notification %+v: level or message", n)
		}
		if idx := n.Descriptor.Index; idx == nil || *idx < 0 || *idx >= len(d.Notifications) || d.Notifications[*idx].ID != n.Descriptor.ID {
			t.Errorf("notification %+v does not point at its descriptor", n)
		}
	}
	return &log
}

var fingerprintValue = regexp.MustCompile(`("clickguardFinding/v1": ")[0-9a-f]{32}"`)

// TestScan_goldenSARIF scans a page with findings, a redirected page, an
// unreachable one and a malformed -urls line with -format sarif.
func TestScan_goldenSARIF(t *testing.T) {
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	down := "http://" + closedAddr(t) + "/down"
	code, stdout, stderr := runScanCmd(t, "", "-format", "sarif", "-urls", badURLFile(t),
		srv.URL+"/allow-from", srv.URL+"/old", down)
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing", stderr)
	}
	log := checkSARIF(t, stdout)
	if inv := log.Runs[0].Invocations[0]; *inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 2 {
		t.Errorf("invocation %+v, want unsuccessful with 2 notifications", inv)
	}
	// The hashes cover the test server's port.
	checkGolden(t, "scan-sarif.golden", fingerprintValue.ReplaceAllString(closedPort(normalize(stdout, srv.URL), down), `${1}HASH"`))
}

// TestScan_sarifSite checks the structure of the report on every page of
// the site, and the exit codes, which do not depend on the format.
func TestScan_sarifSite(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	urls := siteURLs(srv.URL)
	code, stdout, _ := runScanCmd(t, "", append([]string{"-format", "sarif"}, urls...)...)
	if code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	log := checkSARIF(t, stdout)
	run := log.Runs[0]
	if !*run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].ToolExecutionNotifications) != 0 {
		t.Errorf("invocation %+v, want successful without notifications", run.Invocations[0])
	}
	// Every finding of the JSON report is a result, in order.
	_, jsonOut, _ := runScanCmd(t, "", append([]string{"-format", "json"}, urls...)...)
	var js scanJSON
	if err := json.Unmarshal([]byte(jsonOut), &js); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, r := range js.Results {
		for _, f := range r.Findings {
			want = append(want, r.URL+" "+f.ID+" "+f.Severity)
		}
	}
	levels := map[string]string{"high": "error", "medium": "warning", "low": "note", "info": "note"}
	fps := map[string]bool{}
	for _, r := range run.Results {
		got = append(got, r.Properties.URL+" "+r.RuleID+" "+r.Properties.Severity)
		if levels[r.Properties.Severity] != r.Level {
			t.Errorf("%s %s: level %q for severity %s", r.Properties.URL, r.RuleID, r.Level, r.Properties.Severity)
		}
		fp := r.PartialFingerprints["clickguardFinding/v1"]
		if fps[fp] {
			t.Errorf("%s %s: fingerprint %s repeated", r.Properties.URL, r.RuleID, fp)
		}
		fps[fp] = true
	}
	if !slices.Equal(want, got) {
		t.Errorf("results\n%q\nwant the findings of the JSON report\n%q", got, want)
	}
	// The redirected page is located at its final URL, the scanned one in
	// the properties.
	for _, r := range run.Results {
		if r.Properties.URL == srv.URL+"/old" {
			if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != srv.URL+"/protected" {
				t.Errorf("/old located at %q, want the final URL", uri)
			}
		}
	}

	// A second scan recognises the same findings: the fingerprints hold
	// across runs although the error-page probe's path is random.
	_, again, _ := runScanCmd(t, "", append([]string{"-format", "sarif"}, urls...)...)
	log2 := checkSARIF(t, again)
	for i, r := range log2.Runs[0].Results {
		if a, b := run.Results[i].PartialFingerprints, r.PartialFingerprints; a["clickguardFinding/v1"] != b["clickguardFinding/v1"] {
			t.Errorf("result %d (%s): fingerprint %v, then %v", i, r.RuleID, a, b)
		}
	}
}

// TestScan_sarifErrors checks that URLs that cannot be fetched become
// notifications of an unsuccessful invocation, with exit status 3.
func TestScan_sarifErrors(t *testing.T) {
	t.Parallel()
	down := "http://" + closedAddr(t) + "/"
	code, stdout, _ := runScanCmd(t, "", "-format", "sarif", "-max-redirects", "0", down)
	if code != exitUnreachable {
		t.Errorf("exit code %d, want %d", code, exitUnreachable)
	}
	log := checkSARIF(t, stdout)
	run := log.Runs[0]
	if len(run.Results) != 0 {
		t.Errorf("%d results, want none", len(run.Results))
	}
	inv := run.Invocations[0]
	if *inv.ExecutionSuccessful {
		t.Error("executionSuccessful true, want false")
	}
	if len(inv.ToolExecutionNotifications) != 1 {
		t.Fatalf("notifications %+v, want 1", inv.ToolExecutionNotifications)
	}
	n := inv.ToolExecutionNotifications[0]
	if n.Level != "error" || n.Descriptor.ID != "fetch-error" || n.Properties.URL != down || !strings.HasPrefix(n.Message.Text, down+": ") {
		t.Errorf("notification %+v", n)
	}
}

// TestScan_sarifRedacts checks that a password in a URL does not reach
// the SARIF report: not in locations, properties, evidence or
// notifications.
func TestScan_sarifRedacts(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-pw"
	srv := httptest.NewServer(scanSite())
	defer srv.Close()
	withUser := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1)
	_, stdout, _ := runScanCmd(t, "", "-format", "sarif", withUser+"/allow-from", withUser+"/old",
		"http://user:"+secret+"@"+closedAddr(t)+"/")
	log := checkSARIF(t, stdout)
	if strings.Contains(stdout, secret) {
		t.Errorf("the password reached the report:\n%s", stdout)
	}
	if !strings.Contains(stdout, "user:xxxxx@") {
		t.Errorf("no redacted URL in the report:\n%s", stdout)
	}
	if len(log.Runs[0].Results) == 0 || len(log.Runs[0].Invocations[0].ToolExecutionNotifications) != 1 {
		t.Errorf("want results and one notification:\n%s", stdout)
	}
}
