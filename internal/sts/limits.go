package sts

import "time"

// Session lifetimes, as the STS API Reference gives them.
const (
	// DefaultMinSessionDuration is AWS's minimum for every temporary credential.
	DefaultMinSessionDuration = 15 * time.Minute
	// defaultUserSession is their default.
	defaultUserSession = 12 * time.Hour
	// rootSession caps (and defaults) root's sessions: longer requests are
	// silently clamped, as AWS does.
	rootSession = time.Hour
	// defaultRoleSession is AssumeRole*'s default.
	defaultRoleSession = time.Hour
	// chainedRoleSession caps role chaining.
	chainedRoleSession = time.Hour
)
