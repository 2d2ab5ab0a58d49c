package iam

import (
	"unicode/utf8"

	"github.com/castellan-sts/castellan/internal/awserr"
)

// Bounds on the work of one simulation request. The input limits of the
// model (MaxItems ≤ 1000, ARNs ≤ 2048 characters, documents ≤ 131072, at
// most 1000 list members) are enforced at the edge; these bound what the
// model leaves open, so that no request keeps a core busy for more than
// about a second whatever its documents hold. IAM documents no such quota:
// the numbers are Castellan's, chosen to leave every realistic simulation
// (dozens of policies × the largest page) far below them.
const (
	// maxSimulationStatementEvals bounds statements × evaluated action and
	// resource pairs: each pair is decided against every statement of every
	// document (identity, boundary, resource policy, SCP levels). About
	// 0.3 µs each here.
	maxSimulationStatementEvals = 2_000_000
	// maxSimulationMatchWork bounds the wildcard matching of a page: the
	// documents' policy.MatchCost (about a byte comparison per unit) × the
	// evaluated pairs; a unit is about a nanosecond here, so at most about
	// 0.5 s.
	maxSimulationMatchWork = 400_000_000
	// maxSimulationContextValue bounds one ContextKeyValues member. A
	// pattern whose piece has a '?' between literals costs the value's
	// length × the piece's /64 (policy.Match), so the value length is part
	// of the work bound; ARNs are limited to 2048 characters by the model,
	// and the same bound is used for context values.
	maxSimulationContextValue = 2048
	// maxSimulationContextValues bounds the values of all ContextEntries.
	maxSimulationContextValues = 1000
)

// checkWork refuses a page of pairs whose evaluation would exceed the
// bounds above, before any of it is evaluated.
func (sim *simulation) checkWork(pairs int) error {
	stmts, cost := 0, 0
	add := func(sp *simPolicy) {
		stmts += sp.p.NumStatements()
		cost += sp.p.MatchCost(maxSimulationContextValue)
	}
	for i := range sim.identity {
		add(&sim.identity[i])
	}
	if sim.boundary != nil {
		add(sim.boundary)
	}
	if sim.resource != nil {
		add(sim.resource)
	}
	for _, level := range sim.scps {
		for i := range level {
			add(&level[i])
		}
	}
	if n := stmts * pairs; n > maxSimulationStatementEvals {
		return awserr.Errorf(awserr.InvalidInput, "The simulation would evaluate %d statements for each of %d action and resource combinations; at most %d statement evaluations are allowed per request. Pass fewer policies, or fewer actions and resources or a smaller MaxItems per page.", stmts, pairs, maxSimulationStatementEvals)
	}
	if n := cost * pairs; n > maxSimulationMatchWork {
		return awserr.Errorf(awserr.InvalidInput, "The simulation would cost %d units of wildcard matching for each of %d action and resource combinations; at most %d are allowed per request. Pass fewer or simpler policies, or fewer actions and resources or a smaller MaxItems per page.", cost, pairs, maxSimulationMatchWork)
	}
	return nil
}

// checkContextEntries applies the bounds on ContextEntries values.
func checkContextEntries(entries []ContextEntry) error {
	total := 0
	for _, e := range entries {
		total += len(e.ContextKeyValues)
		for _, v := range e.ContextKeyValues {
			if utf8.RuneCountInString(v) > maxSimulationContextValue {
				return awserr.Errorf(awserr.InvalidInput, "A value of context key %s is longer than %d characters.", e.ContextKeyName, maxSimulationContextValue)
			}
		}
	}
	if total > maxSimulationContextValues {
		return awserr.Errorf(awserr.InvalidInput, "ContextEntries must have at most %d values in all.", maxSimulationContextValues)
	}
	return nil
}
