package scan

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clickguard/clickguard/framing"
)

// FuzzJudge feeds arbitrary header lines and <meta> tags to the checks:
// they must not panic, must be deterministic, every finding must be well
// formed, a page the foreign origin can frame must have a high finding,
// and every fix, sent as the page's only framing headers, must keep the
// foreign origin out.
func FuzzJudge(f *testing.F) {
	seeds := []string{
		"X-Frame-Options: ALLOW-FROM https://a.example",
		"Content-Security-Policy: frame-ancestors 'none' https://a.example/p/, frame-ancestors *",
		"Content-Security-Policy: frame-ancestor 'self'; frame-ancestors; frame-ancestors http://1.2.3.4:80",
		"X-Frame-Options: SAMEORIGIN\nX-Frame-Options: DENY,\nContent-Security-Policy-Report-Only: frame-ancestors 'self'",
		"X-Frame-Option: deny\nx-content-security-policy: frame-ancestors 'none'",
		"Content-Security-Policy: frame-ancestors https: ws: * 'unsafe-inline' SELF https://p.example/x",
		"Content-Security-Policy-Report-Only: frame-ancestors *\nX-Frame-Options: ALLOW-FROM http://[::1]:8080",
		"Frame-Options: ALLOWALL\nX-Webkit-CSP: default-src 'self', *",
	}
	// A broad source and a policy past what the checks look at one by one
	// (maxSources, maxPolicies): the verdict still sees them.
	var hosts []string
	for i := range maxSources {
		hosts = append(hosts, fmt.Sprintf("https://p%d.example", i+1))
	}
	seeds = append(seeds,
		"Content-Security-Policy: frame-ancestors "+strings.Join(hosts, " ")+" *",
		strings.Repeat("Content-Security-Policy: img-src x\n", maxPolicies)+"Content-Security-Policy: frame-ancestors *",
	)
	for _, s := range seeds {
		f.Add(s, `<meta http-equiv="Content-Security-Policy" content="frame-ancestors 'none'">`, false)
	}
	final, _ := url.Parse("https://site.example/page")
	f.Fuzz(func(t *testing.T, headers, body string, redirected bool) {
		p := &page{final: final, isHTML: true}
		p.resp = framing.Response{URL: final.String(), Status: 200, Redirected: redirected, Meta: findMeta([]byte(body))}
		for l := range strings.SplitSeq(headers, "\n") {
			name, value, _ := strings.Cut(l, ":")
			p.resp.Headers = append(p.resp.Headers, framing.Header{Name: name, Value: strings.TrimSpace(value)})
		}
		if redirected {
			p.redirects = []Redirect{{URL: "https://site.example/old", Status: 302, Location: "/page"}}
		}
		errPage := &framing.Response{URL: "https://site.example/missing", Status: 404}
		var first Result
		if err := judge(&first, p, p, nil, errPage, nil, nil); err != nil {
			t.Fatalf("judge: %v", err)
		}
		var second Result
		if err := judge(&second, p, p, nil, errPage, nil, nil); err != nil {
			t.Fatalf("judge: %v", err)
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Fatalf("judge is not deterministic:\n%s", diff)
		}
		if len(first.Verdicts) != 3 {
			t.Fatalf("%d verdicts, want 3", len(first.Verdicts))
		}
		for _, fd := range first.Findings {
			if fd.ID == "" || fd.Message == "" || fd.Evidence == nil || fd.Severity < SeverityInfo || fd.Severity > SeverityHigh {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
		// The foreign verdict and the headline finding agree: a page any
		// site can frame has a high finding, and only such a page has
		// no-protection or framable-by-foreign.
		foreign := first.Verdicts[0].Framable
		high := false
		for _, fd := range first.Findings {
			if (fd.ID == "no-protection" || fd.ID == "framable-by-foreign") && !foreign {
				t.Fatalf("%s reported for a page the foreign origin cannot frame", fd.ID)
			}
			high = high || fd.Severity == SeverityHigh
		}
		if foreign && !high {
			t.Fatalf("a page the foreign origin can frame has no high finding: %+v", first.Findings)
		}
		attacker := first.Verdicts[0].Ancestors[0]
		for _, fd := range first.Findings {
			if fd.Fix == "" {
				continue
			}
			framable, why, err := fixFramable(final.String(), fd.Fix, attacker, redirected)
			if err != nil || framable {
				t.Fatalf("%s: fix %q, sent alone, does not keep %s out: %s %v", fd.ID, fd.Fix, attacker, why, err)
			}
		}
	})
}

// fixFramable judges a finding's fix as the page's only framing headers:
// it reports whether a response to pageURL (redirected to it, or not) that
// sends just the header lines of fix lets ancestor frame the page, with
// framing.Evaluate's reason. A line in parentheses is a note, not a
// header.
func fixFramable(pageURL, fix, ancestor string, redirected bool) (bool, string, error) {
	resp := framing.Response{URL: pageURL, Status: 200, Redirected: redirected}
	for l := range strings.SplitSeq(fix, "\n") {
		if strings.HasPrefix(l, "(") {
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return false, "", fmt.Errorf("fix line %q is not a header", l)
		}
		resp.Headers = append(resp.Headers, framing.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	v, err := framing.Evaluate(resp, []string{ancestor})
	return v.Framable, v.Reason, err
}
