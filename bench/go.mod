module github.com/clickguard/clickguard/bench

go 1.26.8

replace github.com/clickguard/clickguard => ../

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/clickguard/clickguard v0.0.0-00010101000000-000000000000
	github.com/justinas/nosurf v1.2.0
	github.com/unrolled/secure v1.18.0
)
