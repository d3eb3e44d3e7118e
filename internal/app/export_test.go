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
