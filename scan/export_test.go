package scan

// FixFramable opens fixFramable to the package's external tests.
var FixFramable = fixFramable
