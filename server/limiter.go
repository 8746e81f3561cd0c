package server

import (
	"sync"
	"time"
)

// limiter counts attempts per key (a client address) in fixed windows. It is per
// process: behind a load balancer each replica limits on its own, which still bounds
// guessing to a small multiple of the limit; accounts lock themselves after repeated
// failures on top of this.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	counts map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(limit int, w time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: w, now: now, counts: make(map[string]*window)}
}

// allow records an attempt by key and reports whether it is within the limit.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.counts) > 10000 {
		for k, w := range l.counts {
			if now.Sub(w.start) >= l.window {
				delete(l.counts, k)
			}
		}
	}
	w, ok := l.counts[key]
	if !ok || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.counts[key] = w
	}
	w.n++
	return w.n <= l.limit
}
