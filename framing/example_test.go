package framing_test

import (
	"fmt"

	"github.com/clickguard/clickguard/framing"
)

func ExampleEvaluate() {
	resp := framing.Response{
		URL:    "https://bank.example/transfer",
		Status: 200,
		Headers: []framing.Header{
			{Name: "X-Frame-Options", Value: "SAMEORIGIN"},
		},
	}
	// The bank's own page frames it, inside a foreign top-level page.
	v, err := framing.Evaluate(resp, []string{"https://bank.example", "https://evil.example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Framable, v.DecidedBy)
	fmt.Println(v.Reason)

	// ALLOW-FROM is not a value browsers understand: the header is ignored.
	resp.Headers = []framing.Header{{Name: "X-Frame-Options", Value: "ALLOW-FROM https://partner.example"}}
	v, _ = framing.Evaluate(resp, []string{"https://evil.example"})
	fmt.Println(v.Framable, v.DecidedBy)
	// Output:
	// false xfo
	// X-Frame-Options: SAMEORIGIN and top-level ancestor https://evil.example is not same-origin with the page (https://bank.example)
	// true none
}

func ExampleParseCSP() {
	for _, p := range framing.ParseCSP("default-src 'self', frame-ancestors 'none' https://partner.example") {
		d, ok := p.FrameAncestors()
		fmt.Printf("%q frame-ancestors=%v\n", p.Text, ok)
		for _, s := range d.Sources {
			fmt.Printf("  %s %s\n", s.Kind, s.Text)
		}
	}
	// Output:
	// "default-src 'self'" frame-ancestors=false
	// "frame-ancestors 'none' https://partner.example" frame-ancestors=true
	//   none 'none'
	//   host https://partner.example
}

func ExampleParseXFO() {
	x := framing.ParseXFO([]string{"SAMEORIGIN", "DENY"})
	fmt.Println(x.Mode, x.Tokens)
	// Output:
	// conflict [sameorigin deny]
}

func ExampleEvaluate_mixedContent() {
	// http://shop.example/ redirects to https://shop.example/, which sends
	// no framing header at all.
	resp := framing.Response{
		URL:       "https://shop.example/",
		Status:    200,
		Redirects: []string{"http://shop.example/"},
	}
	// An https page cannot frame the http URL: Chromium blocks it as
	// mixed content, before any response.
	v, _ := framing.Evaluate(resp, []string{"https://evil.example"})
	fmt.Println(v.Framable, v.DecidedBy)

	// An http page can, and the redirect leads to the unprotected page.
	v, _ = framing.Evaluate(resp, []string{"http://evil.example"})
	fmt.Println(v.Framable, v.DecidedBy)

	// So can an https page that frames the final URL itself.
	resp.Redirects = nil
	v, _ = framing.Evaluate(resp, []string{"https://evil.example"})
	fmt.Println(v.Framable, v.DecidedBy)
	// Output:
	// false mixed-content
	// true none
	// true none
}
