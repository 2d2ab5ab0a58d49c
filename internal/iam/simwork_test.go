package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
)

// worstSimulations are the most expensive SimulateCustomPolicy requests we
// know that fit the 1 MiB body (documents counted raw, which is generous:
// on the wire they are percent-encoded). Each is built for pairs action ×
// resource combinations.
func worstSimulations() map[string]func(pairs int) *SimulateCustomPolicyInput {
	const docBudget = 900 << 10
	docs := func(stmt string, perDoc int) []string {
		var out []string
		for total := 0; total+perDoc <= docBudget && len(out) < maxSimulationPolicies; total += perDoc {
			var b strings.Builder
			b.WriteString(`{"Version":"2012-10-17","Statement":[`)
			for n := 0; b.Len()+len(stmt)+4 < perDoc; n++ {
				if n > 0 {
					b.WriteByte(',')
				}
				b.WriteString(stmt)
			}
			b.WriteString(`]}`)
			out = append(out, b.String())
		}
		return out
	}
	actions := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("s3:Get%d", i)
		}
		return out
	}
	long := strings.Repeat("a", 2048)
	arn := "arn:aws:s3:::" + long[13:]
	gapped := `"*` + strings.Repeat("a?", 990) + `b*"`
	gappedARN := `"arn:aws:s3:::*` + strings.Repeat("a?", 990) + `b*"`
	return map[string]func(int) *SimulateCustomPolicyInput{
		"many-statements": func(pairs int) *SimulateCustomPolicyInput {
			return &SimulateCustomPolicyInput{PolicyInputList: docs(`{"Effect":"Allow","Action":"s3:x","Resource":"*"}`, 9000), ActionNames: actions(pairs)}
		},
		"gapped-resources": func(pairs int) *SimulateCustomPolicyInput {
			return &SimulateCustomPolicyInput{PolicyInputList: docs(`{"Effect":"Allow","Action":"s3:*","Resource":`+gappedARN+`}`, 9000),
				ActionNames: actions(pairs), ResourceArns: []string{arn}}
		},
		"gapped-conditions": func(pairs int) *SimulateCustomPolicyInput {
			return &SimulateCustomPolicyInput{PolicyInputList: docs(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:UserAgent":[`+gapped+`,`+gapped+`]}}}`, 9000),
				ActionNames: actions(pairs), ContextEntries: []ContextEntry{{ContextKeyName: "aws:UserAgent", ContextKeyValues: []string{long}, ContextKeyType: "string"}}}
		},
		"literal-runs": func(pairs int) *SimulateCustomPolicyInput {
			return &SimulateCustomPolicyInput{PolicyInputList: docs(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*`+strings.Repeat("a", 1500)+`b*"}`, 9000),
				ActionNames: actions(pairs), ResourceArns: []string{arn}}
		},
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// largestAllowed finds the largest number of pairs (≤ 1000, the MaxItems
// bound) that the work bound lets through.
func largestAllowed(t *testing.T, build func(int) *SimulateCustomPolicyInput) int {
	sim := &simulation{}
	var err error
	if sim.identity, err = inputPolicies("PolicyInputList", build(1).PolicyInputList, 0); err != nil {
		t.Fatal(err)
	}
	lo, hi := 0, 1000
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sim.checkWork(mid) == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// TestSimulationWorkBound runs the worst simulations at the largest size
// the bound allows and checks that each stays well within a core-second
// (the bound is generous: a loaded machine must not fail it), and that one
// more page of pairs is refused before any evaluation.
func TestSimulationWorkBound(t *testing.T) {
	if testing.Short() {
		t.Skip("measures seconds of CPU")
	}
	s := &Service{account: "123456789012"}
	for name, build := range worstSimulations() {
		t.Run(name, func(t *testing.T) {
			pairs := largestAllowed(t, build)
			if pairs < 1000 {
				in := build(pairs + 1)
				in.MaxItems = new(int32(1000))
				_, err := s.SimulateCustomPolicy(context.Background(), nil, in)
				if !errors.Is(err, awserr.InvalidInput) {
					t.Errorf("%d pairs: err = %v, want InvalidInput", pairs+1, err)
				}
			}
			in := build(max(pairs, 1))
			max1000 := int32(1000)
			in.MaxItems = &max1000
			start := cpuTime()
			if _, err := s.SimulateCustomPolicy(context.Background(), nil, in); err != nil {
				t.Fatalf("%d pairs: %v", pairs, err)
			}
			used := cpuTime() - start
			t.Logf("%s: %d pairs allowed, CPU %v", name, pairs, used)
			if used > 5*time.Second {
				t.Errorf("%s: %d pairs took %v of CPU", name, pairs, used)
			}
		})
	}
}
