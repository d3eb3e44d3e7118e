package guard

// Internals opened to the external tests.
var (
	MergeCSP    = mergeCSP
	MaskToken   = maskToken
	VerifyToken = verifyToken
)
