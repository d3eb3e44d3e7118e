package guard

// Internals opened to the external tests.
var (
	MergeCSP    = mergeCSP
	MaskToken   = maskToken
	VerifyToken = verifyToken
)

// DecodeToken decodes a masked token as verification does.
func DecodeToken(s string) ([]byte, bool) {
	var b [2 * tokenLen]byte
	ok := decodeToken(&b, s)
	return b[:], ok
}
