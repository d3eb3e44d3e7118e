package app_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/crypto/argon2"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
	"github.com/clickguard/clickguard/internal/store/storetest"
)

// BenchmarkExport streams the JSON export of 1,000 and 10,000 items through
// the whole stack (TLS, guard, session, handler, store, SDK) and reports the
// peak growth of the live heap while the export runs: it stays flat,
// whatever the number of items, because the export is read and written page
// by page. It runs on dynalite when installed, which runs in its own
// process, so the figure is this process's memory alone; on the embedded
// DynamoDB (minidyn, in this process) the figure includes minidyn's own
// per-query work, which grows with the table. Run:
//
//	go test -run '^$' -bench BenchmarkExport -benchtime 3x -benchmem ./internal/app/
func BenchmarkExport(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/items=%d", be.Name, n), func(b *testing.B) {
				if be.Unavailable != "" {
					if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
						b.Fatalf("%s is required (CLICKGUARD_REQUIRE_ALL=1) but unavailable: %s", be.Name, be.Unavailable)
					}
					b.Skipf("%s unavailable: %s", be.Name, be.Unavailable)
				}
				env := be.Env(b)
				srv, c := benchLogin(b, env, "alice", app.Config{})
				seedItems(b, env, "alice", n)
				resp, err := c.Get(srv.URL + "/export")
				if err != nil {
					b.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				tok := tokenIn(string(page))

				var peak uint64
				b.ResetTimer()
				for range b.N {
					var got int64
					peak = max(peak, peakLiveHeap(func() {
						req, _ := http.NewRequestWithContext(b.Context(), "POST", srv.URL+"/export", strings.NewReader(url.Values{"format": {"json"}, "csrf_token": {tok}}.Encode()))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						req.Header.Set("Origin", srv.URL)
						req.Header.Set("Sec-Fetch-Site", "same-origin")
						resp, err := c.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						got, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != http.StatusOK {
							b.Fatalf("export: status %d, %v", resp.StatusCode, err)
						}
					}))
					b.SetBytes(got)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MiB")
			})
		}
	}
}

// benchLogin starts the app for cfg (cheap password hashing) on env, writes the account username
// straight into the data table (sign-up is transactional, and dynalite has
// no transactions) and returns a client logged in through the form.
func benchLogin(b *testing.B, env storetest.Env, username string, cfg app.Config) (*httptest.Server, *http.Client) {
	b.Helper()
	cfg.Password = cheapPassword
	a, err := app.New(cfg, env.Store, store.NewSessions(env.Client, env.Tables.Sessions), nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewTLSServer(a.Handler())
	b.Cleanup(srv.Close)
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(testPassword), salt, cheapPassword.Time, cheapPassword.Memory, cheapPassword.Threads, 32)
	hash := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, cheapPassword.Memory, cheapPassword.Time,
		cheapPassword.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	sv := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err = env.Client.PutItem(b.Context(), &dynamodb.PutItemInput{TableName: &env.Tables.Data, Item: map[string]types.AttributeValue{
		"pk": sv("USER#" + username), "sk": sv("PROFILE"), "type": sv("user"), "username": sv(username),
		"password_hash": sv(hash), "created_at": sv(time.Now().UTC().Format(time.RFC3339Nano)),
		"version": &types.AttributeValueMemberN{Value: "1"},
	}})
	if err != nil {
		b.Fatalf("seed user: %v", err)
	}
	c := *srv.Client()
	if c.Jar, err = cookiejar.New(nil); err != nil {
		b.Fatal(err)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + "/login")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = post(&c, srv.URL, "/login", url.Values{"username": {username}, "password": {testPassword}, "csrf_token": {tokenIn(string(page))}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v, %v", resp, err)
	}
	return srv, &c
}

// post sends a same-origin form.
func post(c *http.Client, base, path string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// seedItems writes n items of owner straight into the data table with
// BatchWriteItem, in the documented record format (pk USER#<owner>, sk
// ITEM#<id>, type item). Creating them through the store would cost one
// transaction each, and minidyn's transactions slow down as the table
// grows, which would measure minidyn instead of the export.
func seedItems(b *testing.B, env storetest.Env, owner string, n int) {
	b.Helper()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	body := strings.Repeat("x", 200)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for start := 0; start < n; start += 25 {
		var reqs []types.WriteRequest
		for i := start; i < min(n, start+25); i++ {
			id := fmt.Sprintf("01JZZZZZZZZZZZZZZZZZ%06d", i) // 26 characters, ordered
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"pk": s("USER#" + owner), "sk": s("ITEM#" + id), "type": s("item"), "id": s(id), "owner": s(owner),
				"title": s(fmt.Sprintf("item %06d", i)), "body": s(body), "public": &types.AttributeValueMemberBOOL{},
				"share_count": &types.AttributeValueMemberN{Value: "0"}, "created_at": s(now), "updated_at": s(now),
				"version": &types.AttributeValueMemberN{Value: "1"},
			}}})
		}
		pending := map[string][]types.WriteRequest{env.Tables.Data: reqs}
		for len(pending) > 0 {
			out, err := env.Client.BatchWriteItem(b.Context(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				b.Fatalf("seed: %v", err)
			}
			pending = out.UnprocessedItems
		}
	}
}

// BenchmarkExportStore is the DynamoDB side of BenchmarkExport alone: the
// same Query pages, read by store.ExportItems with a callback that does
// nothing. The embedded DynamoDB runs in the test process, so its own
// memory use shows in BenchmarkExport's peak too; this separates it.
func BenchmarkExportStore(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("minidyn/items=%d", n), func(b *testing.B) {
			env := storetest.EmbeddedBackend(b).Env(b)
			seedItems(b, env, "alice", n)
			var peak uint64
			b.ResetTimer()
			for range b.N {
				peak = max(peak, peakLiveHeap(func() {
					k := 0
					if err := env.Store.ExportItems(b.Context(), "alice", func(store.Item) error { k++; return nil }); err != nil || k != n {
						b.Fatalf("ExportItems: %d items, %v", k, err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MiB")
		})
	}
}

// peakLiveHeap runs fn and returns the largest growth of the live heap
// seen while it ran. It collects before each sample (every 5 ms), so that
// what is measured is memory kept alive, not garbage waiting for the
// collector, whose pacing follows the size of the whole heap.
func peakLiveHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var (
		done atomic.Bool
		wg   sync.WaitGroup
		top  uint64
	)
	wg.Go(func() {
		var m runtime.MemStats
		for !done.Load() {
			runtime.GC()
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > top {
				top = m.HeapAlloc - base
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	fn()
	done.Store(true)
	wg.Wait()
	return top
}
