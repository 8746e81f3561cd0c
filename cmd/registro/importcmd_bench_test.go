package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"registro/cases"
	"registro/imports"
)

// BenchmarkImport imports a made-up registry of 10,000 and of 100,000 rows into a
// fresh embedded store, as `registro import -commit` does, and reports rows per
// second, the largest Go heap in use seen after each batch, and the heap still live
// when the run ends (the embedded store runs in the same process and counts too). Run it alone, once:
//
//	go test ./cmd/registro -run '^$' -bench Import -benchtime 1x -timeout 30m
func BenchmarkImport(b *testing.B) {
	for _, rows := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				getenv := withOrg(b)
				file := filepath.Join(b.TempDir(), "registro.csv")
				writeRegistry(b, file, rows, 42)
				a, err := open(context.Background(), getenv, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				syn, err := loadSynonyms(a.cases.Vocabulary(), "")
				if err != nil {
					b.Fatal(err)
				}
				src, err := imports.Open(file, "")
				if err != nil {
					b.Fatal(err)
				}
				var peak atomic.Uint64
				sample := func(imports.Counts) {
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
				runtime.GC()
				b.StartTimer()
				start := time.Now()
				n, err := imports.Run(context.Background(), a.cases, src, imports.NewConverter(a.cases.Vocabulary(), syn, time.Now),
					imports.Options{Actor: cases.Actor{UserID: "cli", Username: "registro import", Org: "LIM", Role: "admin"},
						File: "registro.csv", Mapping: imports.Guess(src.Header()), Consent: imports.Consent{Statement: "Solo registro."},
						Commit: true, Batch: "bench", Progress: sample})
				took := time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				var end runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&end)
				if n.Imported == 0 || n.Rows != rows {
					b.Fatalf("imported %+v", n)
				}
				b.ReportMetric(float64(n.Imported)/took.Seconds(), "cases/s")
				b.ReportMetric(float64(n.Imported), "cases")
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(end.HeapAlloc)/(1<<20), "live-heap-MB")
				b.Logf("%d rows: %+v in %s", rows, n, took.Round(time.Millisecond))
				src.Close()
				a.close()
			}
		})
	}
}
