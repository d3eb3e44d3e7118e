package app

import (
	"context"
	"time"
)

// HashPasswordForTest hashes password with the default parameters, for
// external tests that create users directly in the store.
func HashPasswordForTest(password string) (string, error) {
	return hashPassword(password, defaultPasswordParams())
}

// FinishDeletionsOn exposes finishDeletionsOn: rounds paced by tick.
func (a *App) FinishDeletionsOn(ctx context.Context, tick <-chan time.Time) {
	a.finishDeletionsOn(ctx, tick)
}

// OccupyPasswordWork takes every slot for password hashing and lets as
// many hashes wait as may, until release is called: the state of a server
// that a burst of sign-ups keeps busy.
func (a *App) OccupyPasswordWork() (release func()) {
	p := a.passwordWork
	for range cap(p.slots) {
		p.slots <- struct{}{}
	}
	p.waiting.Add(p.maxWaiting)
	return func() {
		p.waiting.Add(-p.maxWaiting)
		for range cap(p.slots) {
			<-p.slots
		}
	}
}

// SetClock replaces the clock of the app's readiness check; call it before
// the app serves.
func (a *App) SetClock(now func() time.Time) { a.now = now }
