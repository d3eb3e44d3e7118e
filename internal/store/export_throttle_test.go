package store

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// ThrottleItemKey is the primary key of throttle key k's record in the
// current window, for tests that write past the store.
func ThrottleItemKey(s *Store, k string) map[string]types.AttributeValue {
	sk, _, _ := s.window()
	return key(throttlePK(k), sk)
}
