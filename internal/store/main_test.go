package store_test

import (
	"testing"

	"github.com/clickguard/clickguard/internal/store/storetest"
)

// TestMain stops the shared dynalite process, if the tests started one.
func TestMain(m *testing.M) { storetest.Main(m) }
