package accounts

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkSignInUnknownVsExisting measures what the issue asks to be alike: 50
// sign-ins with a wrong password for an existing username and 50 for an unknown one,
// interleaved (which goes first alternates), on the embedded store, and reports both
// medians, their difference, and the median difference within pairs (existing minus
// unknown), in milliseconds. The clock moves 31 minutes before
// each pair, so no throttle is in play and both find the same failure records.
func BenchmarkSignInUnknownVsExisting(b *testing.B) {
	s, c, _ := newStore(b, Options{})
	ctx := context.Background()
	mustCreateOrg(b, s, "LIM")
	mustCreateUser(b, s, "ana", "LIM", RoleCoordinator)
	const tries = 50
	var existing, unknown []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range tries {
			c.Add(31 * time.Minute)
			order := []string{"ana", "nadie"}
			if i%2 == 1 {
				slices.Reverse(order)
			}
			for _, name := range order {
				a := Attempt{Username: name, Password: wrongPassword, Client: fmt.Sprintf("10.9.0.%d", i)}
				start := time.Now()
				_, _, err := s.SignIn(ctx, a)
				took := time.Since(start)
				if outcome(err) != "ErrBadCredentials" {
					b.Fatalf("SignIn(%s) = %v, want ErrBadCredentials", name, err)
				}
				if name == "ana" {
					existing = append(existing, took)
				} else {
					unknown = append(unknown, took)
				}
			}
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	e, u := median(existing), median(unknown)
	b.ReportMetric(ms(e), "existing-median-ms")
	b.ReportMetric(ms(u), "unknown-median-ms")
	b.ReportMetric(ms(max(e-u, u-e)), "diff-ms")
	// Each pair ran back to back, so the median of their differences is less moved by
	// the machine's other load than the difference of the medians.
	paired := make([]time.Duration, len(existing))
	for i := range existing {
		paired[i] = existing[i] - unknown[i]
	}
	b.ReportMetric(ms(median(paired)), "paired-diff-ms")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
