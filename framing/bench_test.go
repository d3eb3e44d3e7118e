package framing_test

import (
	"testing"

	"github.com/clickguard/clickguard/framing"
	"github.com/clickguard/clickguard/internal/corpustest"
)

// BenchmarkEvaluate measures one verdict for a typical protected page: an
// enforced CSP with several directives and frame-ancestors, plus the legacy
// X-Frame-Options, against a double-framed chain.
func BenchmarkEvaluate(b *testing.B) {
	resp := framing.Response{
		URL:    "https://app.example/items/42",
		Status: 200,
		Headers: []framing.Header{
			{Name: "Content-Type", Value: "text/html; charset=utf-8"},
			{Name: "Content-Security-Policy", Value: "default-src 'self'; script-src 'self' 'nonce-abc123'; img-src 'self' data:; frame-ancestors 'self' https://partner.example https://*.cdn.example:443"},
			{Name: "X-Frame-Options", Value: "SAMEORIGIN"},
		},
	}
	ancestors := []string{"https://app.example", "https://evil.example"}
	b.ReportAllocs()
	for b.Loop() {
		v, err := framing.Evaluate(resp, ancestors)
		if err != nil || v.Framable {
			b.Fatalf("Evaluate = %+v, %v; want a blocked verdict", v, err)
		}
	}
}

// BenchmarkCorpus evaluates every line of the Chromium corpus once per
// iteration.
func BenchmarkCorpus(b *testing.B) {
	cases := corpustest.Read(b)
	resps := make([]framing.Response, len(cases))
	for i, c := range cases {
		resps[i] = c.Response()
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, c := range cases {
			if _, err := framing.Evaluate(resps[i], c.Ancestors); err != nil {
				b.Fatal(err)
			}
		}
	}
}
