package audit

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkAppendParallel appends from about 20 goroutines at once, as concurrent
// requests do, to one organization or spread over four, and reports appends per
// second and entries per InsertMany.
func BenchmarkAppendParallel(b *testing.B) {
	for _, orgs := range []int{1, 4} {
		b.Run(fmt.Sprintf("orgs=%d", orgs), func(b *testing.B) {
			l, _ := newTestLog(b)
			var workers atomic.Int64
			b.SetParallelism(max(1, 20/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := workers.Add(1)
				org := fmt.Sprintf("ORG%d", w%int64(orgs))
				i := 0
				for pb.Next() {
					i++
					_, err := l.Append(context.Background(), Entry{Org: org, Actor: fmt.Sprintf("u%d", w),
						Action: "case.read", Object: fmt.Sprintf("case-%d", i), Outcome: "ok", Client: "192.0.2.10"})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			if n := l.inserts.Load(); n > 0 {
				b.ReportMetric(float64(b.N)/float64(n), "entries/insert")
			}
		})
	}
}
