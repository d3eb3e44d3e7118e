package app

import (
	"context"
	"log/slog"
	"time"
)

// FinishDeletions finishes interrupted account deletions until ctx ends:
// once at once, then every Config.DeletionFinishInterval, it lists the
// deletions started at least Config.DeletionGrace ago
// (store.PendingDeletions, one Query) and finishes each
// (store.FinishDeletion). A deletion is interrupted when the process
// running it stopped or DynamoDB failed half-way; its owner cannot log in,
// its name stays taken and the people it shared with still see its items
// until it ends, and its owner may never come back to finish it.
//
// Each finished deletion is logged at Info, each failure at Warn; a
// failure never stops the loop, and the next round tries again. It returns
// when ctx is done, abandoning a deletion in progress, which the next
// round (of this instance or another) finishes. Any number of instances
// may run it at once: finishing is idempotent and safe to race (see
// store.FinishDeletion). serve runs it in a goroutine and waits for it at
// shutdown.
func (a *App) FinishDeletions(ctx context.Context) {
	t := time.NewTicker(a.cfg.DeletionFinishInterval)
	defer t.Stop()
	a.finishDeletionsOn(ctx, t.C)
}

// finishDeletionsOn is FinishDeletions with its rounds paced by tick: one
// round at once, then one per tick received, until ctx is done. A tick is
// received only between rounds, so a test that has sent one knows that the
// round before it is over.
func (a *App) finishDeletionsOn(ctx context.Context, tick <-chan time.Time) {
	for {
		a.finishDeletionRound(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// finishDeletionRound finishes the deletions pending longer than the
// grace period, logging each.
func (a *App) finishDeletionRound(ctx context.Context) {
	pending, err := a.store.PendingDeletions(ctx, a.cfg.DeletionGrace)
	if err != nil {
		if ctx.Err() == nil {
			a.logger.Warn("deletion finisher: listing pending deletions failed", slog.Any("error", err))
		}
		return
	}
	for _, p := range pending {
		if ctx.Err() != nil {
			return
		}
		finished, err := a.store.FinishDeletion(ctx, p)
		switch {
		case err != nil && ctx.Err() != nil:
			return // shutting down: the next round finishes it
		case err != nil:
			a.logger.Warn("deletion finisher: finishing an account deletion failed",
				slog.String("username", p.Username), slog.Time("marked", p.Marked), slog.Any("error", err))
		case finished:
			a.logger.Info("deletion finisher: finished an interrupted account deletion",
				slog.String("username", p.Username), slog.Time("marked", p.Marked))
		}
	}
}
