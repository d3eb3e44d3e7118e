package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/clickguard/clickguard/internal/store"
)

// Password rules, shown on the sign-up page and enforced on every form that
// sets a password.
const (
	minPasswordLen = 12
	maxPasswordLen = 256 // characters (at most 1 KiB); argon2 hashes anything, the limit bounds the work per request
)

// PasswordParams are the argon2id parameters of new password hashes. Stored
// hashes carry their own parameters (PHC string format), so changing these
// does not invalidate existing passwords.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// defaultPasswordParams follows the OWASP password storage recommendation
// for argon2id: 19 MiB of memory, 2 passes, 1 thread.
func defaultPasswordParams() PasswordParams {
	return PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1}
}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// normalizePassword returns password in Unicode normalisation form NFKC,
// the form it is hashed and compared in, as NIST SP 800-63B asks of
// passwords with characters outside ASCII: "é" typed as one code point or
// as "e" and a combining accent, or a letter typed full-width by an input
// method ("ｐ"), is then the same password on every keyboard. An ASCII
// password is its own form.
func normalizePassword(password string) string { return norm.NFKC.String(password) }

// hashPassword returns the argon2id hash of password, normalised (see
// normalizePassword), in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func hashPassword(password string, p PasswordParams) (string, error) {
	return hashBytes([]byte(normalizePassword(password)), p)
}

// hashBytes is hashPassword of the bytes of a password as they are.
func hashBytes(password []byte, p PasswordParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// verifyPassword reports whether password matches the PHC-format hash,
// comparing in constant time. It fails only on a malformed hash. The
// password is compared normalised (see normalizePassword) and, when that
// does not match and normalising changed it, as it was typed: a hash made
// before passwords were normalised is of the bytes typed, and those still
// log in. A wrong password that normalising changes costs two hashes,
// whether its account exists or not (the login checks an unknown user's
// password against a dummy hash with this same function). asTyped reports
// a match of the bytes as typed, which normalising changed: the hash is
// then one to make again (see rehashPassword).
func verifyPassword(password, hash string) (match, asTyped bool, err error) {
	normal := normalizePassword(password)
	match, err = verifyBytes([]byte(normal), hash)
	if err != nil || match || normal == password {
		return match, false, err
	}
	match, err = verifyBytes([]byte(password), hash)
	return match, match, err
}

// verifyBytes is verifyPassword of the bytes of a password as they are.
func verifyBytes(password []byte, hash string) (bool, error) {
	h, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	p := h.params
	got := argon2.IDKey(password, h.salt, p.Time, p.Memory, p.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

// phcHash is a parsed argon2id hash in PHC string format.
type phcHash struct {
	params    PasswordParams
	salt, key []byte
}

// parseHash parses a hash as hashPassword writes it; it fails with
// errBadHash on anything else.
func parseHash(hash string) (phcHash, error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phcHash{}, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phcHash{}, errBadHash
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return phcHash{}, errBadHash
	}
	// Refuse absurd parameters rather than let a corrupt record pin a CPU
	// or exhaust memory.
	if p.Memory == 0 || p.Memory > 1<<20 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return phcHash{}, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return phcHash{}, errBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return phcHash{}, errBadHash
	}
	return phcHash{params: p, salt: salt, key: key}, nil
}

// hashOutdated reports whether hash, which parses, was made otherwise than
// hashPassword makes one with p now: other argon2id parameters, or another
// salt or key length.
func hashOutdated(hash string, p PasswordParams) bool {
	h, err := parseHash(hash)
	return err == nil && (h.params != p || len(h.salt) != saltLen || len(h.key) != keyLen)
}

// passwordTooLong reports whether p is longer than any password accepted:
// such a password is never hashed.
func passwordTooLong(p string) bool { return utf8.RuneCountInString(p) > maxPasswordLen }

// errBusy is the answer when as many password hashes are waiting for a
// slot as passwordWork lets wait: the request is refused at once with a
// 503 rather than queued without bound.
var errBusy = errors.New("too many passwords being hashed")

// passwordWork bounds the argon2id work in flight. Every hash costs
// Config.Password's memory (19 MiB by default) and a core for its time, and
// sign-up is open to anyone: unbounded, a burst of forms would take the
// memory of the process. So at most cap(slots) hashes run at once, at most
// maxWaiting more wait for a slot, and the rest are refused with errBusy.
type passwordWork struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newPasswordWork(slots, maxWaiting int) *passwordWork {
	return &passwordWork{slots: make(chan struct{}, slots), maxWaiting: int64(maxWaiting)}
}

// do runs f once a slot is free. It returns errBusy, or ctx's error when
// ctx ends first, without running f.
func (p *passwordWork) do(ctx context.Context, f func()) error {
	select {
	case p.slots <- struct{}{}:
	default:
		if p.waiting.Add(1) > p.maxWaiting {
			p.waiting.Add(-1)
			return errBusy
		}
		select {
		case p.slots <- struct{}{}:
			p.waiting.Add(-1)
		case <-ctx.Done():
			p.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-p.slots }()
	f()
	return nil
}

// hashPassword is hashPassword with the App's parameters, in a slot of its
// passwordWork.
func (a *App) hashPassword(ctx context.Context, password string) (hash string, err error) {
	if werr := a.passwordWork.do(ctx, func() { hash, err = hashPassword(password, a.cfg.Password) }); werr != nil {
		return "", werr
	}
	return hash, err
}

// verifyPassword is verifyPassword in a slot of the App's passwordWork.
// rehash reports a match whose hash is one to make again: of the password
// as typed, or outdated (see hashOutdated).
func (a *App) verifyPassword(ctx context.Context, password, hash string) (match, rehash bool, err error) {
	var asTyped bool
	if werr := a.passwordWork.do(ctx, func() { match, asTyped, err = verifyPassword(password, hash) }); werr != nil {
		return false, false, werr
	}
	return match, match && (asTyped || hashOutdated(hash, a.cfg.Password)), err
}

// rehashPassword replaces username's hash old, which password matched but
// which is one to make again (see verifyPassword), with a hash of password
// made as new ones are: argon2id with the App's parameters, of the
// password normalised. A login calls it once its session has started:
// raising Config.Password, or normalising, reaches an account at its next
// login, and its other sessions go on (store.RehashPassword changes no
// password). A failure is logged and changes nothing; the next login tries
// again. Another login of the account whose password was checked against
// the old hash and whose session starts after the new one is written fails
// as one that raced a password change does (see startSession): once, for
// two logins within a hash's time of each other.
func (a *App) rehashPassword(r *http.Request, username, old, password string) {
	ctx := r.Context()
	hash, err := a.hashPassword(ctx, password)
	if err == nil {
		err = a.store.RehashPassword(ctx, username, old, hash)
	}
	switch {
	case err == nil:
		a.logger.InfoContext(ctx, "password hashed again", slog.String("username", username), slog.String("request_id", requestID(r)))
	case errors.Is(err, store.ErrConflict):
		// Changed, or hashed again, meanwhile: nothing to do.
	default:
		a.logger.WarnContext(ctx, "password not hashed again", slog.String("username", username),
			slog.Any("error", err), slog.String("request_id", requestID(r)))
	}
}
