package app_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// runFinisher runs a's deletion finisher, a round at once and one for each
// value sent on tick, until stop, which waits for it to return.
func runFinisher(ctx context.Context, a *app.App) (tick chan<- time.Time, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ticks, done := make(chan time.Time), make(chan struct{})
	go func() {
		defer close(done)
		a.FinishDeletionsOn(ctx, ticks)
	}()
	return ticks, func() {
		cancel()
		<-done
	}
}

// interruptDeletion creates username with an item shared with grantee and
// starts its deletion, cut off after the mark.
func interruptDeletion(t *testing.T, env storetest.Env, username, grantee string) {
	t.Helper()
	ctx := t.Context()
	for _, u := range []string{username, grantee} {
		if _, err := env.Store.CreateUser(ctx, store.User{Username: u, PasswordHash: "x"}, store.Actor{}); err != nil && !errors.Is(err, store.ErrExists) {
			t.Fatal(err)
		}
	}
	it, err := env.Store.CreateItem(ctx, username, "shared", "x", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddShare(ctx, username, it.ID, grantee, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := env.CutOff("Query").Store.DeleteAccount(ctx, username, store.Actor{}); err == nil {
		t.Fatalf("DeleteAccount(%s) with Query cut off succeeded", username)
	}
}

// checkGone checks that username's deletion has ended and that grantee no
// longer sees its item.
func checkGone(t *testing.T, env storetest.Env, username, grantee string) {
	t.Helper()
	if _, err := env.Store.GetUser(t.Context(), username); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAccountGone) {
		t.Errorf("GetUser(%s): %v, want plain ErrNotFound", username, err)
	}
	if p, err := env.Store.ListItems(t.Context(), grantee, "", 10); err != nil || len(p.Items) != 0 {
		t.Errorf("%s lists %+v, %v; want nothing", grantee, p.Items, err)
	}
}

// TestFinishDeletions: the finisher finishes an interrupted deletion at
// once and those interrupted later at the next tick, logs each at Info,
// and returns when its context ends.
func TestFinishDeletions(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	interruptDeletion(t, env, "alice", "bob")
	a, logs := newApp(t, env, app.Config{DeletionGrace: time.Nanosecond})
	tick, stop := runFinisher(t.Context(), a)
	tick <- time.Time{} // received after the first round
	checkGone(t, env, "alice", "bob")

	interruptDeletion(t, env, "carol", "bob")
	tick <- time.Time{} // a round starts
	tick <- time.Time{} // and is over
	checkGone(t, env, "carol", "bob")

	stop()
	for _, u := range []string{"alice", "carol"} {
		if !strings.Contains(logs.String(), "level=INFO msg=\"deletion finisher: finished an interrupted account deletion\" username="+u) {
			t.Errorf("no Info line for %s's deletion in the logs:\n%s", u, logs)
		}
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warnings logged:\n%s", logs)
	}
}

// TestFinishDeletions_Grace: a deletion started less than the grace period
// ago (perhaps still running) is left to its own call.
func TestFinishDeletions_Grace(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	interruptDeletion(t, env, "alice", "bob")
	a, _ := newApp(t, env, app.Config{}) // 10 minutes
	tick, stop := runFinisher(t.Context(), a)
	tick <- time.Time{}
	stop()
	if _, err := env.Store.GetUser(t.Context(), "alice"); !errors.Is(err, store.ErrAccountGone) {
		t.Errorf("GetUser(alice) after a round within the grace period: %v, want ErrAccountGone (still pending)", err)
	}
}

// TestFinishDeletions_Failures: when DynamoDB fails, the finisher logs a
// warning, keeps running, and finishes the deletion once DynamoDB is back.
func TestFinishDeletions_Failures(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	interruptDeletion(t, env, "alice", "bob")
	var down atomic.Bool
	down.Store(true)
	flaky := env.Intercepted(func(op string) error {
		if down.Load() && op == "BatchWriteItem" {
			return errors.New("DynamoDB is down")
		}
		return nil
	})
	a, logs := newApp(t, flaky, app.Config{DeletionGrace: time.Nanosecond})
	tick, stop := runFinisher(t.Context(), a)
	tick <- time.Time{} // the first round failed
	if !strings.Contains(logs.String(), "level=WARN msg=\"deletion finisher: finishing an account deletion failed\" username=alice") {
		t.Errorf("no Warn line for the failed round:\n%s", logs)
	}
	if _, err := env.Store.GetUser(t.Context(), "alice"); !errors.Is(err, store.ErrAccountGone) {
		t.Errorf("GetUser(alice) after a failed round: %v, want ErrAccountGone", err)
	}
	down.Store(false)
	tick <- time.Time{}
	tick <- time.Time{}
	stop()
	checkGone(t, env, "alice", "bob")
}

// TestFinishDeletions_TwoInstances: two finishers (two instances) run their
// rounds at once on the same interrupted deletions; each ends once.
func TestFinishDeletions_TwoInstances(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	for _, u := range []string{"alice", "carol", "dave"} {
		interruptDeletion(t, env, u, "bob")
	}
	var stops []func()
	var ticks []chan<- time.Time
	for range 2 {
		a, logs := newApp(t, env, app.Config{DeletionGrace: time.Nanosecond})
		t.Cleanup(func() {
			if strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("warnings logged:\n%s", logs)
			}
		})
		tick, stop := runFinisher(t.Context(), a)
		ticks, stops = append(ticks, tick), append(stops, stop)
	}
	for _, tick := range ticks {
		tick <- time.Time{}
	}
	for _, stop := range stops {
		stop()
	}
	for _, u := range []string{"alice", "carol", "dave"} {
		checkGone(t, env, u, "bob")
	}
	if ps, err := env.Store.PendingDeletions(t.Context(), 0); err != nil || len(ps) != 0 {
		t.Errorf("PendingDeletions = %+v, %v; want none", ps, err)
	}
}
