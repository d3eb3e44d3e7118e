package app_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/crypto/argon2"

	"github.com/clickguard/clickguard/internal/app"
	"github.com/clickguard/clickguard/internal/store"
)

// TestLogin_rehash: a login whose password matched a hash made with other
// argon2id parameters than the server's, or made of the password as typed
// before passwords were normalised, hashes it again as new hashes are made,
// once; the account's other sessions go on, and the password still logs
// in, now typed in any form.
func TestLogin_rehash(t *testing.T) {
	t.Parallel()
	var profileUpdates atomic.Int64 // UpdateItem calls on the data table: rehashes
	env := newEnv(t)
	data := env.Tables.Data
	env = env.InterceptedInput(func(op string, in any) error {
		if u, ok := in.(*dynamodb.UpdateItemInput); ok && op == "UpdateItem" && *u.TableName == data {
			profileUpdates.Add(1)
		}
		return nil
	})
	newer := app.PasswordParams{Memory: 128, Time: 1, Threads: 1}
	old, now := newServer(t, env, app.Config{}), newServer(t, env, app.Config{Password: newer})
	hashOf := func(name string) store.User {
		t.Helper()
		u, err := env.Store.GetUser(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	// login logs name in on srv in a fresh tab, with password.
	login := func(srv *testServer, name, password string) *browser {
		t.Helper()
		b := newTab(t, srv)
		if r := b.login(name, password); r.status != http.StatusSeeOther {
			t.Fatalf("login of %s with %+q: status %d", name, password, r.status)
		}
		return b
	}

	t.Run("parameters", func(t *testing.T) {
		user(t, old, "alice")
		other := login(old, "alice", testPassword)
		before := hashOf("alice")
		if !strings.Contains(before.PasswordHash, "$m=64,t=1,p=1$") {
			t.Fatalf("hash %q, want the old server's parameters", before.PasswordHash)
		}
		login(now, "alice", testPassword)
		after := hashOf("alice")
		if !strings.Contains(after.PasswordHash, "$m=128,t=1,p=1$") || after.Version != before.Version {
			t.Fatalf("after a login on the newer server: hash %q at version %d; want m=128 at version %d", after.PasswordHash, after.Version, before.Version)
		}
		if !other.loggedIn() {
			t.Error("the account's other session ended: a rehash changes no password")
		}
		n := profileUpdates.Load()
		login(now, "alice", testPassword)
		if got := profileUpdates.Load() - n; got != 0 || hashOf("alice").PasswordHash != after.PasswordHash {
			t.Errorf("a second login rehashed again (%d profile updates)", got)
		}
	})

	t.Run("as typed", func(t *testing.T) {
		const (
			decomposed = "Passwort fu\u0308r Cafe\u0301 2026" // u and e, then combining marks
			composed   = "Passwort f\u00fcr Caf\u00e9 2026"   // the same, normalised
		)
		user(t, now, "bob")
		// A hash of the bytes as typed, as they were made before passwords
		// were normalised.
		salt := make([]byte, 16)
		rand.Read(salt)
		key := argon2.IDKey([]byte(decomposed), salt, newer.Time, newer.Memory, newer.Threads, 32)
		legacy := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", newer.Memory, newer.Time, newer.Threads,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
		if err := env.Store.RehashPassword(t.Context(), "bob", hashOf("bob").PasswordHash, legacy); err != nil {
			t.Fatal(err)
		}
		if r := newTab(t, now).login("bob", composed); r.status != http.StatusUnauthorized {
			t.Fatalf("the normalised form against the hash of the bytes as typed: status %d, want 401", r.status)
		}
		login(now, "bob", decomposed)
		if hashOf("bob").PasswordHash == legacy {
			t.Fatal("the hash of the bytes as typed is still there after a login")
		}
		login(now, "bob", composed)
		login(now, "bob", decomposed)
	})
}
