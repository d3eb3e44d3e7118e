package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func canceled(codes ...string) error {
	tce := &types.TransactionCanceledException{Message: aws.String("canceled")}
	for _, c := range codes {
		tce.CancellationReasons = append(tce.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "TransactWriteItems", Err: tce}
}

func httpStatus(code int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
		Err:      errors.New("boom"),
	}}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	validation := &smithy.GenericAPIError{Code: "ValidationException", Message: "bad"}
	tests := []struct {
		name        string
		err         error
		onCondition error
		want        error // nil: returned unchanged
	}{
		{"condition", &types.ConditionalCheckFailedException{}, ErrConflict, ErrConflict},
		{"condition on create", fmt.Errorf("put: %w", &types.ConditionalCheckFailedException{}), ErrExists, ErrExists},
		{"tx condition", canceled("None", "ConditionalCheckFailed"), ErrNotFound, ErrNotFound},
		{"tx conflict", canceled("TransactionConflict", "None"), ErrExists, ErrUnavailable},
		{"tx conflict and condition", canceled("TransactionConflict", "ConditionalCheckFailed"), ErrNotFound, ErrNotFound},
		{"tx throttled", canceled("None", "ThrottlingError"), ErrConflict, ErrUnavailable},
		{"tx validation", canceled("ValidationError"), ErrConflict, nil},
		{"transaction conflict", &types.TransactionConflictException{}, ErrExists, ErrUnavailable},
		{"transaction in progress", &types.TransactionInProgressException{}, ErrConflict, ErrUnavailable},
		{"table missing", &types.ResourceNotFoundException{}, ErrConflict, ErrNotFound},
		{"throughput", &types.ProvisionedThroughputExceededException{}, ErrConflict, ErrUnavailable},
		{"request limit", &types.RequestLimitExceeded{}, ErrConflict, ErrUnavailable},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, ErrConflict, ErrUnavailable},
		{"internal", &types.InternalServerError{}, ErrConflict, ErrUnavailable},
		{"http 503", httpStatus(503), ErrConflict, ErrUnavailable},
		{"http 400", httpStatus(400), ErrConflict, nil},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ErrConflict, ErrUnavailable},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), ErrConflict, ErrUnavailable},
		{"deadline", context.DeadlineExceeded, ErrConflict, ErrUnavailable},
		{"canceled", context.Canceled, ErrConflict, nil},
		{"validation", validation, ErrConflict, nil},
	}
	sentinels := []error{ErrConflict, ErrExists, ErrNotFound, ErrUnavailable}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := translateCond(tc.err, tc.onCondition)
			if !errors.Is(got, tc.err) {
				t.Errorf("translate(%v) = %v, lost the SDK error", tc.err, got)
			}
			if tc.want == nil {
				if got != tc.err {
					t.Errorf("translate(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			for _, s := range sentinels {
				if errors.Is(got, s) != (s == tc.want) {
					t.Errorf("translate(%v): errors.Is(%v) = %v, want %v", tc.err, s, errors.Is(got, s), s == tc.want)
				}
			}
			if again := translate(got); again != got {
				t.Errorf("translate(translated) = %v, want it unchanged", again)
			}
		})
	}
	if translate(nil) != nil {
		t.Errorf("translate(nil) != nil")
	}
}

func TestFailedConditions(t *testing.T) {
	t.Parallel()
	err := translate(canceled("None", "ConditionalCheckFailed", "None", "ConditionalCheckFailed"))
	if got := failedConditions(err); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("failedConditions = %v, want [1 3]", got)
	}
	if !conditionFailedAt(err, 3) || conditionFailedAt(err, 0) {
		t.Errorf("conditionFailedAt(3, 0) = %v, %v, want true, false", conditionFailedAt(err, 3), conditionFailedAt(err, 0))
	}
	if got := failedConditions(errors.New("other")); got != nil {
		t.Errorf("failedConditions(other) = %v, want nil", got)
	}
}

func TestCursor(t *testing.T) {
	t.Parallel()
	c, err := encodeCursor(key("USER#alice", "ITEM#01"))
	if err != nil {
		t.Fatalf("encodeCursor: %v", err)
	}
	got, err := decodeCursor(c, "USER#alice")
	if err != nil {
		t.Fatalf("decodeCursor: %v", err)
	}
	if attrString(got, attrPK) != "USER#alice" || attrString(got, attrSK) != "ITEM#01" {
		t.Errorf("decodeCursor(encodeCursor(k)) = %v, want k", got)
	}
	if start, err := decodeCursor("", "USER#alice"); start != nil || err != nil {
		t.Errorf("decodeCursor(\"\") = %v, %v, want nil, nil", start, err)
	}
	if _, err := decodeCursorPrefix(c, "USER#alice", auditPrefix); !errors.Is(err, ErrBadCursor) {
		t.Errorf("decodeCursorPrefix(item cursor, AUDIT#) = %v, want ErrBadCursor", err)
	}
	for _, bad := range []string{"!!", "e30", c + "x", string(make([]byte, maxCursorLen+1))} {
		if _, err := decodeCursor(bad, "USER#alice"); !errors.Is(err, ErrBadCursor) {
			t.Errorf("decodeCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
	if _, err := decodeCursor(c, "USER#bob"); !errors.Is(err, ErrBadCursor) {
		t.Errorf("decodeCursor(alice's cursor, bob) = %v, want ErrBadCursor", err)
	}
	if c, err := encodeCursor(nil); c != "" || err != nil {
		t.Errorf("encodeCursor(nil) = %q, %v, want \"\", nil", c, err)
	}
}

func TestAuditSK(t *testing.T) {
	t.Parallel()
	a := auditSK(mustTime(t, "2026-01-02T03:04:05.1Z"), "00000000")
	b := auditSK(mustTime(t, "2026-01-02T03:04:05.000000002Z"), "00000000")
	if want := "AUDIT#2026-01-02T03:04:05.100000000Z#00000000"; a != want {
		t.Errorf("auditSK = %q, want %q", a, want)
	}
	if len(a) != len(b) || !(b < a) {
		t.Errorf("auditSK(%q) and (%q): want equal width and time order", a, b)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
