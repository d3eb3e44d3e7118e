package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// ErrBadCursor means a page cursor is malformed or belongs to another listing.
var ErrBadCursor = errors.New("bad cursor")

// ErrNoTransactions means the DynamoDB server does not implement
// TransactWriteItems (dynalite, for one). Every change clickguard makes is
// written together with its audit record in one transaction, so the
// application cannot run on such a server.
var ErrNoTransactions = errors.New("this DynamoDB server does not implement TransactWriteItems, which every change needs")

// SchemaError reports a table whose key schema is not the one clickguard
// needs; the application refuses to start on it.
type SchemaError struct {
	Table    string // table name
	Expected string // such as "pk S HASH, sk S RANGE"
	Found    string // the table's key schema, same format
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("store: table %q has key schema %q, want %q", e.Table, e.Found, e.Expected)
}

// dbError is an SDK error translated to one of the package's sentinels. It
// keeps the SDK error, so its message still says what failed and where.
type dbError struct {
	kind error // ErrConflict, ErrNotFound, ErrExists, ErrUnavailable, ErrAccountGone or ErrSessionEnded
	err  error
}

func (e *dbError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *dbError) Unwrap() []error { return []error{e.kind, e.err} }

// throttleCodes are the API error codes meaning "try again later".
var throttleCodes = map[string]bool{
	"ThrottlingException":                    true,
	"Throttling":                             true,
	"RequestLimitExceeded":                   true,
	"ProvisionedThroughputExceededException": true,
	"InternalServerError":                    true,
	"InternalFailure":                        true,
	"ServiceUnavailable":                     true,
	"ServiceUnavailableException":            true,
	// The SDK's retry of a TransactWriteItems whose answer it did not get
	// (same client token) found the first try still running: like a
	// timeout, its outcome is not known yet.
	"TransactionInProgressException": true,
}

// translate maps an SDK error to the package's sentinel errors, wrapping
// (not replacing) it; a failed condition becomes ErrConflict. Errors already
// translated are returned unchanged, as are errors it does not recognise (a
// validation error is a bug, not a user's mistake) and context cancellation.
func translate(err error) error { return translateCond(err, ErrConflict) }

// translateCond is translate with onCondition as the sentinel for a failed
// condition (ErrExists on a create, ErrNotFound where the condition checks
// existence).
func translateCond(err error, onCondition error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*dbError](err); ok {
		return err
	}
	if onCondition == nil {
		onCondition = ErrConflict
	}
	if kind := classify(err, onCondition); kind != nil {
		return &dbError{kind: kind, err: err}
	}
	return err
}

func classify(err error, onCondition error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return onCondition
	}
	if tce, ok := errors.AsType[*types.TransactionCanceledException](err); ok {
		return classifyCancel(tce, onCondition)
	}
	if _, ok := errors.AsType[*types.TransactionConflictException](err); ok {
		// Another transaction held the item for a moment: nothing was
		// decided, so this is "try again", not a lost race.
		return ErrUnavailable
	}
	if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok {
		return ErrNotFound
	}
	if ae, ok := errors.AsType[smithy.APIError](err); ok && throttleCodes[ae.ErrorCode()] {
		return ErrUnavailable
	}
	if re, ok := errors.AsType[*awshttp.ResponseError](err); ok && re.HTTPStatusCode() >= 500 {
		return ErrUnavailable
	}
	if _, ok := errors.AsType[ratelimit.QuotaExceededError](err); ok {
		return ErrUnavailable
	}
	// Connection refused or reset, DNS failures, timeouts, a server that
	// hung up mid-response: DynamoDB did not answer.
	if _, ok := errors.AsType[net.Error](err); ok {
		return ErrUnavailable
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return ErrUnavailable
	}
	return nil
}

// classifyCancel reads a TransactionCanceledException's reasons, one per
// operation in request order. A failed condition decides; a conflict with
// another transaction in flight, like throttling, only means that this one
// was not tried: ErrUnavailable, so that nobody is told a change lost a race
// (or that a share is gone, or an edit was overtaken) when nothing was
// compared.
func classifyCancel(tce *types.TransactionCanceledException, onCondition error) error {
	var kind error
	for _, r := range tce.CancellationReasons {
		switch code := deref(r.Code); code {
		case "", "None":
		case "ConditionalCheckFailed":
			return onCondition
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded", "InternalServerError":
			kind = ErrUnavailable
		}
	}
	return kind
}

// inFlightConflict reports whether err is a transaction cancelled because
// another transaction was writing one of its records, with no condition of
// its own failed: nothing was decided, and the same request may succeed.
func inFlightConflict(err error) bool {
	tce, ok := errors.AsType[*types.TransactionCanceledException](err)
	if !ok {
		return false
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch deref(r.Code) {
		case "ConditionalCheckFailed":
			return false
		case "TransactionConflict":
			conflict = true
		}
	}
	return conflict
}

// failedConditions returns the indexes, in request order, of the operations
// of a canceled transaction whose condition failed. It returns nil for any
// other error.
func failedConditions(err error) []int {
	tce, ok := errors.AsType[*types.TransactionCanceledException](err)
	if !ok {
		return nil
	}
	var idx []int
	for i, r := range tce.CancellationReasons {
		if deref(r.Code) == "ConditionalCheckFailed" {
			idx = append(idx, i)
		}
	}
	return idx
}

// conditionFailedAt reports whether err is a canceled transaction whose
// operation i failed its condition.
func conditionFailedAt(err error, i int) bool {
	for _, j := range failedConditions(err) {
		if j == i {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
