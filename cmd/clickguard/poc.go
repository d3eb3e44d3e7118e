package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/clickguard/clickguard/scan"
)

// pocLong is the description "clickguard help poc" prints before the flags.
const pocLong = `Poc writes an HTML page that shows a person how URL could be clickjacked:
the page at URL in a frame, laid over a decoy button, with a slider for the
frame's opacity (0 is invisible, as in a real attack) and controls to move
the decoy over the control to be clicked. A click that goes into the frame
instead of to the decoy is reported on the page; whether it hit the site or
the browser's error page, the page cannot see: raise the opacity to look.

Open the page from an origin other than URL's: with -serve it is served at
http://ADDR/ (use a loopback address such as 127.0.0.1:8099 unless others
must see it); written to a file and opened from disk, its origin is opaque.
If URL refuses to be framed, the browser shows its error page in place of
the site: the page is protected in that browser. "clickguard scan URL" says
why, for every framing chain. A URL with a user name or password is refused:
Chromium loads no such URL in a frame of another origin, so the frame would
stay blank.`

// pocFlags are the parsed flags of "clickguard poc".
type pocFlags struct {
	page  []byte // the page, built from the URL and the flags
	out   string // file to write, "" for standard output
	serve string // address to serve on, "" to write instead
	poc   scan.PoC
}

func parsePocFlags(args []string, stdout io.Writer) (*pocFlags, error) {
	fs := flag.NewFlagSet("poc", flag.ContinueOnError)
	var pf pocFlags
	fs.StringVar(&pf.out, "o", "", "write the page to this `file` instead of standard output")
	fs.StringVar(&pf.serve, "serve", "", "serve the page at http://`addr`/ until interrupted, instead of writing it")
	fs.StringVar(&pf.poc.Decoy, "decoy", "Click here to continue", "the decoy button's `text`")
	fs.IntVar(&pf.poc.X, "x", 40, "the decoy's distance from the frame's left edge, in CSS `pixels`")
	fs.IntVar(&pf.poc.Y, "y", 40, "the decoy's distance from the frame's top edge, in CSS `pixels`")
	fs.IntVar(&pf.poc.Width, "width", 1000, "the frame's width, in CSS `pixels`")
	fs.IntVar(&pf.poc.Height, "height", 700, "the frame's height, in CSS `pixels`")
	fs.Float64Var(&pf.poc.Opacity, "opacity", 0.5, "the frame's opacity when the page opens, from 0 (invisible) to 1")
	if err := parseFlags(fs, "poc", args, stdout); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() == 0:
		return nil, usagef("poc", fs, "no URL given")
	case fs.NArg() > 1:
		return nil, usagef("poc", fs, "poc takes one URL, got %d", fs.NArg())
	case pf.out != "" && pf.serve != "":
		return nil, usagef("poc", fs, "-o and -serve exclude each other")
	// WritePoC takes 0 for its default size; a flag of 0 is a mistake.
	case pf.poc.Width < 1:
		return nil, usagef("poc", fs, "-width %d: want a width of at least 1 pixel", pf.poc.Width)
	case pf.poc.Height < 1:
		return nil, usagef("poc", fs, "-height %d: want a height of at least 1 pixel", pf.poc.Height)
	}
	// Build the page now, so that a bad URL or value is a usage error
	// before any file is created or port opened.
	var page bytes.Buffer
	if err := scan.WritePoC(&page, fs.Arg(0), pf.poc); err != nil {
		return nil, usagef("poc", fs, "%v", err)
	}
	pf.page = page.Bytes()
	return &pf, nil
}

func runPoc(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pf, err := parsePocFlags(args, stdout)
	if err != nil {
		return err
	}
	switch {
	case pf.serve != "":
		return servePoc(ctx, pf.serve, pf.page, stderr)
	case pf.out != "":
		if err := os.WriteFile(pf.out, pf.page, 0o644); err != nil {
			return fmt.Errorf("poc: %w", err)
		}
		return nil
	default:
		_, err := stdout.Write(pf.page)
		return err
	}
}

// pocURL is the address to open the page served on got, asked for as
// asked, and whether it is served on every interface (0.0.0.0, :: or no
// host); the page is then opened at localhost, since browsers refuse the
// unspecified address ("[::]" is no host to visit, and Chromium blocks
// 0.0.0.0).
func pocURL(asked string, got net.Addr) (string, bool) {
	host, port, _ := net.SplitHostPort(displayAddr(asked, got))
	ip := net.ParseIP(host)
	every := ip != nil && ip.IsUnspecified()
	if every {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/", every
}

// servePoc serves page at / on addr until ctx ends.
func servePoc(ctx context.Context, addr string, page []byte, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("poc: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page) //nolint:errcheck // the visitor went away
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	u, every := pocURL(addr, ln.Addr())
	note := "interrupt to stop"
	if every {
		note = "served on every interface; " + note
	}
	fmt.Fprintf(stderr, "clickguard: proof of concept at %s (%s)\n", u, note)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("poc: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("poc: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("poc: %w", err)
	}
	return nil
}
