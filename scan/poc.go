package scan

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

// PoC configures [WritePoC].
type PoC struct {
	// Decoy is the text of the button the page shows under the framed
	// page; the default is "Click here to continue".
	Decoy string
	// X and Y place the decoy's top left corner, in CSS pixels from the
	// frame's top left corner: over the control of the framed page that the
	// click should land on. The page lets a person move it.
	X, Y int
	// Width and Height size the frame, in CSS pixels; the defaults, for
	// 0, are 1000 by 700. A negative size is an error.
	Width, Height int
	// Opacity is the framed page's opacity when the page opens, from 0
	// (invisible, as in a real attack) to 1; the page has a slider for it.
	Opacity float64
}

// pocData is what poc.html renders.
type pocData struct {
	Target        string
	Decoy         string
	X, Y          int
	Width, Height int
	Opacity       float64
}

//go:embed poc.html
var pocHTML string

var pocTemplate = template.Must(template.New("poc.html").Parse(pocHTML))

// WritePoC writes a self-contained HTML page that shows a person how target
// could be clickjacked: target in a frame laid over a decoy button, with a
// slider for the frame's opacity, so that one can watch the click on the
// decoy land on the page underneath. The page reports a click that goes
// into the frame, and does not claim that it hit the site: a frame the
// browser refused holds the browser's error page, which takes the click as
// well, and the page cannot tell the two apart (both are another origin's
// document), so it asks the person to look. Open it from another origin (a local
// web server, or a file, whose origin is opaque): if target refuses to be
// framed, the browser shows its error page in place of it, and the page says
// how to read that.
//
// target must be an absolute http or https URL without a user name or
// password (Chromium loads no such URL in a frame of another origin, so the
// frame would stay blank); it is only ever placed, in escaped form, in the
// frame's src attribute and the page's text.
func WritePoC(w io.Writer, target string, p PoC) error {
	u, err := parseTarget(target)
	if err != nil {
		return err
	}
	if u.User != nil {
		// The frame would stay blank, neither the site nor an error page,
		// and the page would show the password to whoever opens it.
		return fmt.Errorf("URL %q has a user name or password: Chromium loads no such URL in a frame of another origin; remove them (the page could not show what a visitor sees)", u.Redacted())
	}
	d := pocData{
		Target: u.String(), Decoy: p.Decoy, X: p.X, Y: p.Y,
		Width: p.Width, Height: p.Height, Opacity: p.Opacity,
	}
	if d.Decoy == "" {
		d.Decoy = "Click here to continue"
	}
	if d.Width < 0 || d.Height < 0 {
		return fmt.Errorf("frame size %d×%d: want a positive width and height, or 0 for the default", d.Width, d.Height)
	}
	if d.Width == 0 {
		d.Width = 1000
	}
	if d.Height == 0 {
		d.Height = 700
	}
	if !(d.Opacity >= 0 && d.Opacity <= 1) { // NaN too
		return fmt.Errorf("opacity %g: want a value from 0 to 1", d.Opacity)
	}
	if d.X < 0 || d.Y < 0 || d.X >= d.Width || d.Y >= d.Height {
		return fmt.Errorf("decoy at %d,%d: want a point inside the %d×%d frame", d.X, d.Y, d.Width, d.Height)
	}
	if err := pocTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("write proof of concept: %w", err)
	}
	return nil
}
