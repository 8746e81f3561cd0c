package database

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
)

// quiesceGate lets the WAL watcher pause Registro's own commands to the embedded store
// while a forced checkpoint runs (35–150 ms measured, waiting for the commands in
// flight included). The driver calls the command monitor's Started synchronously
// before it sends a command, and Succeeded or Failed once the reply (or the error) is
// in: Started waits while the gate is closed, and the gate counts the commands between
// the two.
//
// Why: a checkpoint that truncates the WAL must hold SQLite's write lock and wait for
// every reader of an older snapshot to finish. FerretDB's updates keep their read open
// while they write, so under a steady stream of updates the checkpoint and an update
// wait for each other until the checkpoint gives up, and the WAL is never truncated.
// With the gate closed and the commands in flight drained, no FerretDB transaction is
// open (bar a cursor left half-read) and the checkpoint goes through at once.
type quiesceGate struct {
	mu       sync.Mutex
	cond     *sync.Cond
	closed   bool
	inFlight int
	changed  chan struct{} // closed and replaced whenever inFlight drops to zero
}

func newQuiesceGate() *quiesceGate {
	g := &quiesceGate{changed: make(chan struct{})}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// monitor is the driver's command monitor that feeds the gate.
func (g *quiesceGate) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started:   func(ctx context.Context, _ *event.CommandStartedEvent) { g.enter(ctx) },
		Succeeded: func(context.Context, *event.CommandSucceededEvent) { g.leave() },
		Failed:    func(context.Context, *event.CommandFailedEvent) { g.leave() },
	}
}

// enter waits while the gate is closed (or until ctx ends: the driver then fails the
// command itself) and counts one more command in flight. Every enter is matched by
// one leave: the driver reports every started command as succeeded or failed.
func (g *quiesceGate) enter(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			g.mu.Lock()
			g.cond.Broadcast()
			g.mu.Unlock()
		})
		defer stop()
	}
	for g.closed && ctx.Err() == nil {
		g.cond.Wait()
	}
	g.inFlight++
}

func (g *quiesceGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight > 0 {
		g.inFlight--
	}
	if g.inFlight == 0 {
		close(g.changed)
		g.changed = make(chan struct{})
	}
}

// quiesce closes the gate and waits up to wait for the commands in flight to finish.
// It returns reopen, which must be called in every case, and whether none is left in
// flight. Commands that start meanwhile wait for reopen.
func (g *quiesceGate) quiesce(wait time.Duration) (reopen func(), drained bool) {
	reopen = func() {
		g.mu.Lock()
		g.closed = false
		g.cond.Broadcast()
		g.mu.Unlock()
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	g.mu.Lock()
	g.closed = true
	for g.inFlight > 0 {
		changed := g.changed
		g.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return reopen, false
		}
		g.mu.Lock()
	}
	g.mu.Unlock()
	return reopen, true
}
