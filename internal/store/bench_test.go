package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// BenchmarkSessions measures the session store's per-request cost (one
// consistent read, and one conditional write when the session changed) on
// every available backend.
func BenchmarkSessions(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		if be.Unavailable != "" {
			b.Logf("%s unavailable: %s", be.Name, be.Unavailable)
			continue
		}
		e := be.Env(b)
		ss := store.NewSessions(e.Client, e.Tables.Sessions)
		data := make([]byte, 512)
		exp := time.Now().Add(time.Hour)
		if err := ss.CommitCtx(b.Context(), "bench", data, exp); err != nil {
			b.Fatalf("CommitCtx: %v", err)
		}
		b.Run(be.Name+"/Find", func(b *testing.B) {
			for b.Loop() {
				if _, found, err := ss.FindCtx(b.Context(), "bench"); err != nil || !found {
					b.Fatalf("FindCtx = %v, %v", found, err)
				}
			}
		})
		b.Run(be.Name+"/Commit", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if err := ss.CommitCtx(b.Context(), fmt.Sprint("bench-", i%64), data, exp); err != nil {
					b.Fatalf("CommitCtx: %v", err)
				}
			}
		})
	}
}
