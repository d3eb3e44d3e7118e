// Clickguard runs the clickguard web application — notes on DynamoDB whose
// pages cannot be clickjacked — and scans other sites for the same risk.
//
// Usage:
//
//	clickguard <command> [flags] [args]
//
// The commands are:
//
//	serve     run the web application
//	tables    create or check the DynamoDB tables (create|check)
//	scan      tell whether a site can be clickjacked
//	poc       write a page that shows a person how a URL could be clickjacked
//	version   print the version
//	help      show help for clickguard or a command
//
// "clickguard help <command>" (or "clickguard <command> -h") prints every
// flag of a command.
//
// # Serve
//
//	clickguard serve [-addr host:port] [-table-prefix p] [-no-create-tables]
//	                 [-embedded] [-tls-cert file -tls-key file]
//	                 [-behind-proxy addrs] [-trusted-origin origin]...
//	                 [-same-site lax|strict] [-session-idle d] [-session-lifetime d]
//	                 [-shutdown-grace d] [-deletion-interval d] [-deletion-grace d]
//	                 [-log-level l] [-log-format text|json]
//
// Serve listens on localhost:8080 by default. Plain HTTP is served only on
// loopback addresses; elsewhere give -tls-cert and -tls-key, or -behind-proxy
// with the addresses of the reverse proxies where TLS ends. Missing tables are
// created at start unless -no-create-tables is given; a table with another key
// schema stops serve. SIGINT and SIGTERM shut it down gracefully.
//
// # Scan and poc
//
//	clickguard scan [-from chain]... [-format text|json|jsonl|sarif|html] [-fail-on severity]
//	                [-browser [-chromium path] [-screenshot dir]] [flags] URL...
//	clickguard poc [-serve addr | -o file] [-decoy text] [-x px -y px]
//	               [-width px -height px] [-opacity o] URL
//
// Scan predicts, from each page's real responses, whether other origins can
// frame it, and why; with -browser it loads the page in headless Chromium
// inside every framing chain it reports and says where Chromium disagrees.
// Poc writes (or serves) a page that frames URL over a decoy button, to show
// the risk to a person.
//
// # Environment
//
// Every flag of serve and tables may be set by CLICKGUARD_<NAME>, the flag
// name in upper case with "-" replaced by "_" (CLICKGUARD_TABLE_PREFIX); a
// flag on the command line wins. Repeatable flags take a comma-separated list.
//
// DynamoDB is configured only through the AWS SDK's own settings:
// AWS_REGION, AWS_PROFILE, the credential chain, AWS_ENDPOINT_URL_DYNAMODB
// (or AWS_ENDPOINT_URL) and AWS_MAX_ATTEMPTS. With neither an endpoint nor a
// region, serve starts an embedded DynamoDB-compatible server in memory on a
// loopback port and uses it with the same SDK client; its data is lost on
// exit.
//
// # Exit codes
//
//	0  success
//	1  failure (the message is printed on stderr as "clickguard: ...")
//	2  a mistake on the command line: the message and the command's usage
//
// scan documents its own codes (see "clickguard help scan").
package main
