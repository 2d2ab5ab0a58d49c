package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// TestSimulateWorkBoundKeepsServerResponsive sends the most expensive
// SimulateCustomPolicy that fits the 1 MiB body (long wildcard conditions
// with '?' between literals, against a 2048-character context value):
// pages over the work bound are refused with InvalidInput before any
// evaluation, the largest allowed page runs, and GetCallerIdentity calls
// made meanwhile keep answering. The latency bound is generous (the
// machine running the tests may be loaded); the measured values are
// logged.
func TestSimulateWorkBoundKeepsServerResponsive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second of simulation")
	}
	e := newEnv(t)
	ctx := context.Background()
	gapped := `"*` + strings.Repeat("a?", 990) + `b*"`
	stmt := `{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:UserAgent":[` + gapped + `,` + gapped + `]}}}`
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(stmt+",", 9) + stmt + `]}`
	docs := slices.Repeat([]string{doc}, 10)
	build := func(pairs int) *iam.SimulateCustomPolicyInput {
		actions := make([]string, pairs)
		for i := range actions {
			actions[i] = fmt.Sprintf("s3:Get%d", i)
		}
		return &iam.SimulateCustomPolicyInput{
			PolicyInputList: docs, ActionNames: actions, MaxItems: aws.Int32(1000),
			ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:UserAgent"),
				ContextKeyValues: []string{strings.Repeat("a", 2048)}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}},
		}
	}
	client := e.iam(e.root)
	// The largest page the bound allows; refusals cost no evaluation.
	lo, hi := 0, 1000
	for lo < hi {
		mid := (lo + hi + 1) / 2
		_, err := client.SimulateCustomPolicy(ctx, build(mid))
		var ae smithy.APIError
		switch {
		case err == nil:
			lo = mid
		case errors.As(err, &ae) && ae.ErrorCode() == "InvalidInput" && strings.Contains(ae.ErrorMessage(), "at most"):
			hi = mid - 1
		default:
			t.Fatalf("SimulateCustomPolicy(%d pairs): %v", mid, err)
		}
	}
	if lo == 0 || lo == 1000 {
		t.Fatalf("largest allowed page = %d pairs, want the bound to fall inside 1..999", lo)
	}

	stsc := e.sts(e.root)
	var (
		wg        sync.WaitGroup
		done      = make(chan struct{})
		simTime   time.Duration
		latencies []time.Duration
	)
	wg.Go(func() {
		defer close(done)
		start := time.Now()
		if _, err := client.SimulateCustomPolicy(ctx, build(lo)); err != nil {
			t.Errorf("SimulateCustomPolicy(%d pairs): %v", lo, err)
		}
		simTime = time.Since(start)
	})
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(20 * time.Millisecond):
			start := time.Now()
			if _, err := stsc.GetCallerIdentity(ctx, nil); err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			latencies = append(latencies, time.Since(start))
		}
	}
	wg.Wait()
	slices.Sort(latencies)
	if len(latencies) == 0 {
		t.Skipf("simulation of %d pairs finished in %v before a GetCallerIdentity was sent", lo, simTime)
	}
	p50, worst := latencies[len(latencies)/2], latencies[len(latencies)-1]
	t.Logf("simulation of %d pairs: %v; %d GetCallerIdentity meanwhile: p50 %v, max %v", lo, simTime, len(latencies), p50, worst)
	if p50 > time.Second {
		t.Errorf("GetCallerIdentity p50 = %v during the simulation, want well under a second", p50)
	}
	if simTime > 10*time.Second {
		t.Errorf("the largest allowed simulation took %v", simTime)
	}
}
