package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html):
// the parts of the schema the sarif format writes.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"

	// sarifFingerprint names the partialFingerprints entry of a result:
	// a hash of the rule id, the scanned URL and the evidence.
	sarifFingerprint = "clickguardFinding/v1"

	// maxNotifications bounds the notifications kept for the invocation,
	// written at the end: one per failed URL or proof, then a count of the
	// rest, so that memory stays flat however many URLs fail.
	maxNotifications = 1000
)

// Notification descriptors, in the order of the driver's notifications.
var sarifNotificationRules = []sarifDescriptor{
	{ID: "fetch-error", Name: "FetchError", ShortDescription: sarifText{"A URL could not be fetched or judged"},
		DefaultConfiguration: sarifConfig{Level: "error"}},
	{ID: "proof-error", Name: "ProofError", ShortDescription: sarifText{"A verdict could not be proved in the browser"},
		DefaultConfiguration: sarifConfig{Level: "error"}},
	{ID: "top-level-fetch-error", Name: "TopLevelFetchError", ShortDescription: sarifText{"The top-level navigation to a URL failed: framed and top-level responses were not compared"},
		DefaultConfiguration: sarifConfig{Level: "warning"}},
	{ID: "scan-interrupted", Name: "ScanInterrupted", ShortDescription: sarifText{"The scan stopped before every URL was reported"},
		DefaultConfiguration: sarifConfig{Level: "error"}},
	{ID: "crawl-scope", Name: "CrawlScope", ShortDescription: sarifText{"The crawl did not follow a redirect to another origin, or moved to the origin of its site a URL redirected to"},
		DefaultConfiguration: sarifConfig{Level: "note"}},
}

const (
	notifyFetch = iota
	notifyProof
	notifyTopLevel
	notifyInterrupted
	notifyCrawl
)

type sarifText struct {
	Text string `json:"text"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifDescriptor struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      *sarifText      `json:"fullDescription,omitempty"`
	Help                 *sarifText      `json:"help,omitempty"`
	DefaultConfiguration sarifConfig     `json:"defaultConfiguration"`
	Properties           *sarifRuleProps `json:"properties,omitempty"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is the score GitHub code scanning ranks security
	// alerts by: a number from 0.0 to 10.0, written as a string.
	SecuritySeverity string `json:"security-severity,omitempty"`
	// Severity is clickguard's severity of the rule.
	Severity string `json:"severity"`
}

type sarifTool struct {
	Driver struct {
		Name          string            `json:"name"`
		Version       string            `json:"version,omitempty"`
		Rules         []sarifDescriptor `json:"rules"`
		Notifications []sarifDescriptor `json:"notifications"`
	} `json:"driver"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
	} `json:"physicalLocation"`
}

type sarifResultProps struct {
	Severity Severity  `json:"severity"`
	URL      string    `json:"url"`
	Status   int       `json:"status"`
	Evidence []string  `json:"evidence"`
	Fix      string    `json:"fix,omitempty"`
	Verdicts []Verdict `json:"verdicts"`
}

type sarifNotification struct {
	Level      string        `json:"level"`
	Message    sarifText     `json:"message"`
	Descriptor sarifDescRef  `json:"descriptor"`
	Properties *sarifURLProp `json:"properties,omitempty"`
}

type sarifDescRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifURLProp struct {
	URL       string   `json:"url"`
	Ancestors []string `json:"ancestors,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

// sarifState is what a Report in the sarif format keeps between results:
// never the results themselves.
type sarifState struct {
	started     bool
	results     int
	failed      bool
	notes       []sarifNotification
	notesMissed int
}

// sarifLevel maps a severity to a SARIF result level. Info findings are
// notes rather than "none": they are still remarks about the page's
// protection that -fail-on info can fail a build on, and GitHub code
// scanning shows notes but treats "none" as no problem at all.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the GitHub security-severity score of a rule's
// severity (GitHub: 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low); info rules
// get none and are ranked by their level.
func securitySeverity(s Severity) string {
	switch s {
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.0"
	case SeverityLow:
		return "3.0"
	}
	return ""
}

// SetToolVersion sets the version of clickguard that the sarif format
// reports in tool.driver.version and the html format in its heading. Call
// it before the first Add.
func (r *Report) SetToolVersion(v string) { r.toolVersion = v }

// Interrupted records that the scan stopped before every URL was reported:
// the sarif format then says the run was not successful, the json format
// adds "interrupted" with err's message beside the results, and the text
// and html formats say so in their summary (jsonl, one result a line, does
// not). Call it before Close.
func (r *Report) Interrupted(err error) {
	r.interrupted = err.Error()
	r.html.interrupted = clean(err.Error())
	r.sarif.failed = true
	r.notify(sarifNotification{Level: "error", Message: sarifText{"scan interrupted: " + err.Error()},
		Descriptor: sarifDescRef{ID: sarifNotificationRules[notifyInterrupted].ID, Index: notifyInterrupted}})
}

// sarifHeader writes the log up to the results array: the schema, the
// version, the tool and its rules.
func (r *Report) sarifHeader() error {
	if r.sarif.started {
		return nil
	}
	r.sarif.started = true
	var tool sarifTool
	tool.Driver.Name = "clickguard"
	tool.Driver.Version = r.toolVersion
	for _, rule := range rules {
		tool.Driver.Rules = append(tool.Driver.Rules, sarifDescriptor{
			ID:                   rule.ID,
			Name:                 rule.Name,
			ShortDescription:     sarifText{rule.Short},
			FullDescription:      &sarifText{rule.Full},
			Help:                 &sarifText{rule.Help},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(rule.Severity)},
			Properties: &sarifRuleProps{
				Tags:             []string{"security", "clickjacking", "external/cwe/cwe-1021"},
				SecuritySeverity: securitySeverity(rule.Severity),
				Severity:         rule.Severity.String(),
			},
		})
	}
	tool.Driver.Notifications = sarifNotificationRules
	b, err := encodeValue(tool, "      ")
	if err != nil {
		return r.fail(err)
	}
	return r.write("{\n  \"$schema\": \"", sarifSchema, "\",\n  \"version\": \"", sarifVersion,
		"\",\n  \"runs\": [\n    {\n      \"tool\": ", b, ",\n      \"results\": [")
}

// sarifAdd writes one SARIF result per finding of res, and keeps a
// notification for a URL that failed or a verdict that was not proved.
func (r *Report) sarifAdd(res Result) error {
	if err := r.sarifHeader(); err != nil {
		return err
	}
	if res.Error != "" {
		r.sarif.failed = true
		r.notify(sarifNotification{Level: "error", Message: sarifText{res.URL + ": " + res.Error},
			Descriptor: sarifDescRef{ID: sarifNotificationRules[notifyFetch].ID, Index: notifyFetch},
			Properties: &sarifURLProp{URL: res.URL}})
		return nil
	}
	if res.Skipped != "" || res.Crawl != "" {
		// Choices of the crawl, not failures: the run stays successful.
		msg := res.Crawl
		if res.Skipped != "" {
			msg = "not followed: " + res.Skipped
		}
		r.notify(sarifNotification{Level: "note", Message: sarifText{res.URL + ": " + msg},
			Descriptor: sarifDescRef{ID: sarifNotificationRules[notifyCrawl].ID, Index: notifyCrawl},
			Properties: &sarifURLProp{URL: res.URL}})
		if res.Skipped != "" {
			return nil
		}
	}
	if t := res.TopLevel; t != nil && t.Error != "" {
		r.notify(sarifNotification{Level: "warning", Message: sarifText{res.URL + ": top-level navigation: " + t.Error},
			Descriptor: sarifDescRef{ID: sarifNotificationRules[notifyTopLevel].ID, Index: notifyTopLevel},
			Properties: &sarifURLProp{URL: res.URL}})
	}
	for _, v := range res.Verdicts {
		if v.Browser != nil && v.Browser.Error != "" {
			r.sarif.failed = true
			chain := strings.Join(v.Ancestors, " in ")
			r.notify(sarifNotification{Level: "error",
				Message:    sarifText{fmt.Sprintf("%s: no proof in %s: %s", res.URL, chain, v.Browser.Error)},
				Descriptor: sarifDescRef{ID: sarifNotificationRules[notifyProof].ID, Index: notifyProof},
				Properties: &sarifURLProp{URL: res.URL, Ancestors: v.Ancestors}})
		}
	}
	// A result is located at the page's final URL; where there is none,
	// or it is one of another scheme that a redirect named (javascript:,
	// data:, which a viewer should not offer as a link), at the http or
	// https URL that answered last.
	uri := res.FinalURL
	if !strings.HasPrefix(uri, "http://") && !strings.HasPrefix(uri, "https://") {
		uri = res.URL
		if n := len(res.Redirects); n > 0 {
			uri = res.Redirects[n-1].URL
		}
	}
	seen := map[string]int{}
	for _, f := range res.Findings {
		sr := sarifResult{
			RuleID:  f.ID,
			Level:   sarifLevel(f.Severity),
			Message: sarifText{f.Message},
			Properties: sarifResultProps{
				Severity: f.Severity,
				URL:      res.URL,
				Status:   res.Status,
				Evidence: f.Evidence,
				Fix:      f.Fix,
				Verdicts: res.Verdicts,
			},
		}
		if i, ok := ruleIndex[f.ID]; ok {
			sr.RuleIndex = &i
		}
		if f.Fix != "" {
			sr.Message.Text += "\nFix: " + f.Fix
		}
		if sr.Properties.Evidence == nil {
			sr.Properties.Evidence = []string{}
		}
		if sr.Properties.Verdicts == nil {
			sr.Properties.Verdicts = []Verdict{}
		}
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = uri
		sr.Locations = []sarifLocation{loc}
		key := fingerprintKey(f.ID, res.URL, f.Evidence)
		sr.PartialFingerprints = map[string]string{sarifFingerprint: fingerprint(key, seen[key])}
		seen[key]++

		b, err := encodeValue(sr, "        ")
		if err != nil {
			return r.fail(fmt.Errorf("scan: encode result for %s: %w", res.URL, err))
		}
		sep := ",\n        "
		if r.sarif.results == 0 {
			sep = "\n        "
		}
		r.sarif.results++
		if err := r.write(sep, b); err != nil {
			return err
		}
	}
	return nil
}

// sarifClose ends the results and writes the invocation.
func (r *Report) sarifClose() error {
	if err := r.sarifHeader(); err != nil {
		return err
	}
	end := "]"
	if r.sarif.results > 0 {
		end = "\n      ]"
	}
	notes := r.sarif.notes
	if n := r.sarif.notesMissed; n > 0 {
		notes = append(notes, sarifNotification{Level: "error",
			Message:    sarifText{fmt.Sprintf("%d more errors not listed", n)},
			Descriptor: sarifDescRef{ID: sarifNotificationRules[notifyFetch].ID, Index: notifyFetch}})
	}
	if notes == nil {
		notes = []sarifNotification{}
	}
	inv := []sarifInvocation{{ExecutionSuccessful: !r.sarif.failed, ToolExecutionNotifications: notes}}
	b, err := encodeValue(inv, "      ")
	if err != nil {
		return r.fail(err)
	}
	return r.write(end, ",\n      \"invocations\": ", b, "\n    }\n  ]\n}\n")
}

func (r *Report) notify(n sarifNotification) {
	if len(r.sarif.notes) >= maxNotifications {
		r.sarif.notesMissed++
		return
	}
	r.sarif.notes = append(r.sarif.notes, n)
}

// Parts of evidence that change from one fetch to the next: CSP nonces and
// the random path of the error-page probe.
var volatile = regexp.MustCompile(`'nonce-[^']*'|clickguard-scan-[0-9a-f]+`)

// fingerprintKey identifies a finding across runs: its rule, the URL
// scanned and its evidence, without the parts that change on every fetch.
func fingerprintKey(id, url string, evidence []string) string {
	var b strings.Builder
	b.WriteString(id)
	b.WriteByte(0)
	b.WriteString(url)
	for _, e := range evidence {
		b.WriteByte(0)
		b.WriteString(volatile.ReplaceAllStringFunc(e, func(s string) string {
			if strings.HasPrefix(s, "'nonce-") {
				return "'nonce-'"
			}
			return "clickguard-scan-"
		}))
	}
	return b.String()
}

// fingerprint hashes key and the number of findings of the same key
// before it on the page.
func fingerprint(key string, n int) string {
	sum := sha256.Sum256(fmt.Appendf([]byte(key), "\x00%d", n))
	return hex.EncodeToString(sum[:16])
}

// encodeValue returns v as indented JSON whose lines after the first start
// with prefix, which is not empty (see encodeJSON).
func encodeValue(v any, prefix string) (string, error) {
	s, err := encodeJSON(v, prefix)
	if err != nil {
		return "", fmt.Errorf("scan: encode sarif: %w", err)
	}
	return s, nil
}
