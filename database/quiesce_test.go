package database

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestQuiesceGate checks the gate's bookkeeping: quiesce waits for the commands in
// flight, holds new ones until reopen, gives up after its wait, and a command whose
// context ends stops waiting.
func TestQuiesceGate(t *testing.T) {
	g := newQuiesceGate()
	ctx := context.Background()

	// Nothing in flight: drained at once.
	reopen, drained := g.quiesce(time.Second)
	if !drained {
		t.Fatal("an idle gate did not drain")
	}
	reopen()

	// One command in flight: quiesce waits for it.
	g.enter(ctx)
	go func() { time.Sleep(50 * time.Millisecond); g.leave() }()
	start := time.Now()
	reopen, drained = g.quiesce(5 * time.Second)
	if !drained || time.Since(start) < 40*time.Millisecond {
		t.Fatalf("drained=%v after %s, want true after the command's 50 ms", drained, time.Since(start))
	}
	// Closed: a new command waits until reopen.
	var entered atomic.Bool
	done := make(chan struct{})
	go func() { g.enter(ctx); entered.Store(true); close(done) }()
	time.Sleep(50 * time.Millisecond)
	if entered.Load() {
		t.Fatal("a command started while the gate was closed")
	}
	reopen()
	<-done
	// It is in flight now: quiesce gives up after its wait.
	reopen, drained = g.quiesce(30 * time.Millisecond)
	if drained {
		t.Fatal("drained with a command in flight")
	}
	// A command whose context ends stops waiting (the driver then fails it).
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	start = time.Now()
	g.enter(cctx)
	if time.Since(start) > 2*time.Second {
		t.Fatal("a cancelled command kept waiting")
	}
	g.leave()
	reopen()
	g.leave()
	reopen, drained = g.quiesce(time.Second)
	if !drained {
		t.Fatal("not drained after every command left")
	}
	reopen()

	// Many commands, many quiesces: every one drains, nothing deadlocks.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				g.enter(ctx)
				time.Sleep(time.Millisecond)
				g.leave()
			}
		}()
	}
	for range 20 {
		reopen, drained := g.quiesce(time.Second)
		if !drained {
			t.Error("busy gate did not drain within a second")
		}
		time.Sleep(time.Millisecond)
		reopen()
	}
	close(stop)
	wg.Wait()
}
