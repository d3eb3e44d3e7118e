package store

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"time"
)

// Table design.
//
// Two tables, both keyed by pk (S, HASH) + sk (S, RANGE), no secondary index.
// Every partition key of user data starts with the owner's username, so no
// query on a request path can reach another user's records; sort keys are
// strings of fixed width, so their byte order is the wanted order on every
// backend (minidyn sorts number keys as strings).
//
// <prefix>data, user data:
//
//	record               pk                sk                          access pattern
//	user profile         USER#<username>   PROFILE                     get/create/update one account
//	own item             USER#<owner>      ITEM#<id>                   get, update, delete by owner+id
//	shared-with-me entry USER#<grantee>    ITEM#<id>#SHARED            with own items: one Query
//	                                                                   begins_with(sk, "ITEM#"), newest
//	                                                                   first, lists my items and those
//	                                                                   shared with me
//	own items' count     USER#<owner>      COUNT#ITEMS                 count (N): updated by item create and
//	                                                                   delete, in their transaction; the
//	                                                                   create's condition keeps it ≤ the
//	                                                                   store's MaxItems
//	item ref             REF#<id>          REF                         find the owner of an item id
//	                                                                   (/items/{id}, /p/{id}, /embed/{id})
//	share                USER#<owner>      SHARE#<id>#<grantee>        Query begins_with SHARE#<id>#: the
//	                                                                   grantees of one item
//	audit event          USER#<username>   AUDIT#<time>#<8 hex>        Query begins_with AUDIT#, newest
//	                                                                   first: a user's audit log
//	pending deletion     DELETIONS         <username>                  consistent Query of the partition:
//	                                                                   account deletions not yet ended
//	                                                                   (marked, mark), for the finisher
//
// Item ids are 26 characters of Crockford base32 (48-bit milliseconds, 20
// bits of nanoseconds within the millisecond, then 60 random bits), so sk
// order is creation order. Audit times are UTC RFC 3339
// with exactly nine fractional digits ([auditTimeLayout]).
//
// <prefix>sessions, bookkeeping; every record carries the TTL attribute
// expires_at (N, Unix seconds), which is also checked on every read because
// DynamoDB deletes expired items lazily, up to days later:
//
//	record               pk                          sk
//	scs session          SESSION#<sha256 hex token>  SESSION        data (B): load/commit/delete one session
//	user's sessions      USERSESSIONS#<username>     <sha256 hex>   Query: end or list the sessions of a user
//	login throttle       THROTTLE#user#<username>    <window start> count (N): attempts per account
//	                     THROTTLE#addr#<ip>          <window start> count (N): attempts per client address
//	                     THROTTLE#sess#<sha256 hex token>
//	                                                 <window start> count (N): attempts per logged-in session
//	                     THROTTLE#signup#<ip>        <window start> count (N): sign-ups per client address
//	                     THROTTLE#lookup#<username>  <window start> count (N): names an account looked up by sharing
//	                     THROTTLE#lookupaddr#<ip>    <window start> count (N): the same per client address
//
// Rules: every write is conditional (attribute_not_exists(pk) on create,
// version = :read on update and delete); a mutation and its audit record go
// in one TransactWriteItems; Query always follows LastEvaluatedKey; no Scan on
// a request path; no top-level REMOVE in an update (minidyn ignores it).
//
// Account deletion: DeleteAccount first sets deleting on the profile, and
// every transaction that writes into a user's partition requires that
// user's profile to exist without deleting ([Store.transact] adds the
// check for the owner; AddShare and LeaveShare check the other user;
// updates of the profile carry it in their own condition). So once the mark
// is set nothing new reaches the partition: the sweep that follows sees
// every record there will ever be, and the profile, deleted last, keeps the
// username taken (CreateUser's attribute_not_exists) until the sweep is
// done. Writes outside transactions only update or delete records that
// exist, so they cannot bring a record back.
//
// The mark ("<RFC 3339 time>#<8 hex>", unique to one deletion) is set in
// one transaction with the pending-deletion record DELETIONS/<username>,
// which carries it; the record is deleted after the profile, only while it
// still carries that mark. So every marked profile has its record, and a
// deletion that was interrupted and never run again is found without a
// Scan ([Store.PendingDeletions]) and finished ([Store.FinishDeletion]),
// which goes on only while the profile carries the record's mark: a stale
// record never touches a later account of the same name.

// Attribute names shared by every record.
const (
	attrPK        = "pk"
	attrSK        = "sk"
	attrType      = "type"
	attrVersion   = "version"
	attrExpiresAt = "expires_at" // TTL attribute of the sessions table
	attrDeleting  = "deleting"   // on a profile whose deletion has started: its mark, "<RFC 3339 time>#<8 hex>"
)

// Key parts.
const (
	userPrefix         = "USER#"
	profileSK          = "PROFILE"
	itemCountSK        = "COUNT#ITEMS"
	itemPrefix         = "ITEM#"
	sharedSuffix       = "#SHARED"
	refPrefix          = "REF#"
	refSK              = "REF"
	sharePrefix        = "SHARE#"
	auditPrefix        = "AUDIT#"
	sessionPrefix      = "SESSION#"
	sessionSK          = "SESSION"
	userSessionsPrefix = "USERSESSIONS#"
	throttlePrefix     = "THROTTLE#"
	userThrottle       = "user#"       // throttle key of an account
	addrThrottle       = "addr#"       // throttle key of a client address
	sessionThrottle    = "sess#"       // throttle key of a logged-in session
	signupThrottle     = "signup#"     // throttle key of sign-ups from a client address
	lookupThrottle     = "lookup#"     // throttle key of an account's lookups of other users' names
	lookupAddrThrottle = "lookupaddr#" // throttle key of lookups of users' names from a client address
	probePK            = "PROBE"       // never written: CheckTransactions' condition check
	deletionsPK        = "DELETIONS"
)

// Record types (the type attribute).
const (
	typeUser     = "user"
	typeAudit    = "audit"
	typeSession  = "session"
	typeThrottle = "throttle"
)

// The types item, inbox, share and ref are declared with their records.

// auditTimeLayout is RFC 3339 with a fixed nine-digit fraction, so that audit
// sort keys of one partition sort by time. Times are formatted in UTC.
const auditTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// throttleWindowLayout formats a throttle window start: fixed width, UTC.
const throttleWindowLayout = "20060102T150405Z"

func userPK(username string) string         { return userPrefix + username }
func itemSK(id string) string               { return itemPrefix + id }
func inboxSK(id string) string              { return itemPrefix + id + sharedSuffix }
func refPK(id string) string                { return refPrefix + id }
func shareSK(id, grantee string) string     { return sharePrefix + id + "#" + grantee }
func shareItemPrefix(id string) string      { return sharePrefix + id + "#" }
func sessionPK(tokenHash string) string     { return sessionPrefix + tokenHash }
func userSessionsPK(username string) string { return userSessionsPrefix + username }

// auditSK returns the sort key of an audit event at t; suffix (8 random hex
// digits) keeps two events of the same nanosecond apart.
func auditSK(t time.Time, suffix string) string {
	return auditPrefix + t.UTC().Format(auditTimeLayout) + "#" + suffix
}

// key returns the primary key of a record.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}
