package app

// HashPasswordForTest hashes password with the default parameters, for
// external tests that create users directly in the store.
func HashPasswordForTest(password string) (string, error) {
	return hashPassword(password, defaultPasswordParams())
}
