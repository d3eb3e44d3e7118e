package store

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// DefaultCommitGrace is the CommitGrace of a Sessions whose field is zero.
const DefaultCommitGrace = time.Minute

// sessionMemo is what one request's FindCtx read of its session record: the
// token hash, the data and the stored expiry. CommitCtx compares its commit
// with it to skip a write that would only move the expiry a little later,
// and every transaction of the request checks that the session with that
// hash has not ended (see Store.sessionCheck).
type sessionMemo struct {
	mu     sync.Mutex
	hash   string // "" when nothing is remembered
	data   []byte
	expiry time.Time // as stored: whole seconds
}

type sessionMemoKey struct{}

// WithSessionMemo returns a copy of ctx that remembers, for the rest of one
// request, the session record that [Sessions.FindCtx] reads. It does two
// things with it:
//
//   - it binds the request's writes to that session: every transaction a
//     [Store] method makes with the context (a change and its audit record,
//     the mark of an account deletion) also checks that the session has not
//     ended, and fails with [ErrSessionEnded], writing nothing, if it has. So
//     a request still in flight when its session is logged out, signed out
//     from another session or ended by a password change or the account's
//     deletion changes nothing, and cannot write into a new account that took
//     the name of a deleted one;
//   - [Sessions.CommitCtx] can skip rewriting the session unchanged (see
//     [Sessions.CommitGrace]).
//
// Call it once per request, outside the session middleware (scs
// LoadAndSave). Without it, writes are bound to no session and every commit
// writes. A session this request ends itself with [Sessions.DeleteCtx] (a
// logout, scs RenewToken at login) is forgotten, so the writes that follow
// are bound to none; one it ends otherwise ([Sessions.EndAll]) is not, so
// that they fail. The memo belongs to that one request: never share the
// returned context between requests.
func WithSessionMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, sessionMemoKey{}, &sessionMemo{})
}

func memoFrom(ctx context.Context) *sessionMemo {
	m, _ := ctx.Value(sessionMemoKey{}).(*sessionMemo)
	return m
}

// remember records the session record read or written last; a nil m (no
// memo in the context) remembers nothing.
func (m *sessionMemo) remember(hash string, data []byte, expiry time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hash, m.data, m.expiry = hash, bytes.Clone(data), expiry
}

// forget drops what m remembers.
func (m *sessionMemo) forget() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hash, m.data, m.expiry = "", nil, time.Time{}
}

// sessionHash returns the token hash of the session record remembered, or
// "" when there is none (or no memo: m is nil).
func (m *sessionMemo) sessionHash() string {
	if m == nil {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hash
}

// unchanged reports whether committing data with expiry for hash at now
// may be skipped: the record read in this request has the same token hash
// and the same bytes, and the new expiry is not earlier than the stored one
// and later by less than grace and by less than a tenth of the time from now
// to the new expiry (so a short idle timeout keeps a proportionally short
// grace).
func (m *sessionMemo) unchanged(hash string, data []byte, expiry, now time.Time, grace time.Duration) bool {
	if m == nil || grace <= 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hash == "" || m.hash != hash || !bytes.Equal(m.data, data) {
		return false
	}
	later := expiry.Sub(m.expiry)
	return later >= 0 && later < grace && later < expiry.Sub(now)/10
}

// SessionCodec is an scs.Codec that encodes equal session data to equal
// bytes, which lets [Sessions.CommitCtx] recognise an unchanged session.
// scs.GobCodec does not: gob writes a map in Go's random iteration order.
// SessionCodec writes the values as a list sorted by key, with gob, so the
// same types must be registered with gob as for scs.GobCodec. It decodes
// both its own encoding and scs.GobCodec's, and scs.GobCodec decodes its
// encoding to the deadline without values (a logged-out session), so
// instances can switch codecs one at a time.
type SessionCodec struct{}

var _ scs.Codec = SessionCodec{}

// sessionEncoding is the gob form of SessionCodec. Deadline and Values
// match scs.GobCodec's; Values is only ever read.
type sessionEncoding struct {
	Deadline time.Time
	Values   map[string]any
	Pairs    []sessionPair
}

type sessionPair struct {
	Key   string
	Value any
}

// Encode encodes deadline and values, values sorted by key.
func (SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	enc := sessionEncoding{Deadline: deadline, Pairs: make([]sessionPair, 0, len(values))}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		enc.Pairs = append(enc.Pairs, sessionPair{Key: k, Value: values[k]})
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&enc); err != nil {
		return nil, fmt.Errorf("store: encode session: %w", err)
	}
	return b.Bytes(), nil
}

// Decode decodes an encoding of SessionCodec or of scs.GobCodec.
func (SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	var enc sessionEncoding
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&enc); err != nil {
		return time.Time{}, nil, fmt.Errorf("store: decode session: %w", err)
	}
	values := enc.Values
	if values == nil {
		values = make(map[string]any, len(enc.Pairs))
	}
	for _, p := range enc.Pairs {
		values[p.Key] = p.Value
	}
	return enc.Deadline, values, nil
}
