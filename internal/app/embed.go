package app

import "embed"

// files holds the templates and static assets; both are read once at startup.
//
//go:embed templates static
var files embed.FS
