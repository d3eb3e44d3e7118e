// Package chromium ends a Chromium started through chromedp without leaving
// anything behind: the scanner's browser proof and the browser tests stop
// theirs with it.
package chromium

import (
	"context"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

// Close closes the browser of the chromedp context ctx cleanly, so that
// Chromium removes what it keeps outside its profile (its singleton socket,
// in a directory of TMPDIR, which a killed browser leaves behind for good),
// or kills it if it has not stopped within five seconds. ctx must be the
// context of the browser's first tab, and must not have ended: an ended
// one kills the browser instead.
func Close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	chromedp.Cancel(ctx)
}

// RemoveProfile removes the profile directory of a Chromium that has been
// stopped. Chromium's helper processes (the network service writing its disk
// cache) can outlive the browser process by a moment and add files while the
// directory is being removed, which then fails with "directory not empty":
// it tries again, for up to five seconds.
func RemoveProfile(dir string) error {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
