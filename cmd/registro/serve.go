package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"registro/server"
)

// serve runs the server until ctx ends, then drains in-flight requests and stops the
// store.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	a, err := open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	// A soft memory limit: near it the garbage collector works harder instead of the
	// heap growing, which keeps a small machine's server within its budget under load
	// (scripts/load, 20 clients, mixed: 186 MB resident without it, 137 MB with 96 MiB,
	// at the same rate). Large statistics builds then spend more time collecting.
	if a.cfg.MemoryLimitMB > 0 && getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(a.cfg.MemoryLimitMB) << 20)
	}

	boot, err := a.accounts.Bootstrap(ctx, a.cfg.BootstrapOrg, "Organización inicial", a.cfg.BootstrapPassword)
	if err != nil {
		return err
	}
	if boot.Created {
		a.log.Info("created the first organization and its admin account", slog.String("org", boot.Org), slog.String("username", boot.Username))
		if boot.Generated {
			// Printed once, on the terminal, never to the log.
			fmt.Fprintf(stdout, "First sign-in: username %q, password %q (organization %s). Change it after signing in.\n",
				boot.Username, boot.Password, boot.Org)
		}
	}

	if err := a.db.IndexIDs(ctx); err != nil {
		return err
	}
	handler, err := server.New(server.Deps{
		Logger: a.log, DB: a.db, Cases: a.cases, Accounts: a.accounts, Authz: a.authz, Audit: a.audit,
		Releases: a.releases, Alerts: a.alerts, PhoneKey: a.ring.PhoneKey(), SecureCookies: a.cfg.SecureCookies, LoginLimit: a.cfg.LoginLimit, TrustedProxies: a.cfg.TrustedProxies,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(stdout, "Registro is listening on http://%s\n", ln.Addr())
	a.log.Info("listening", slog.String("addr", ln.Addr().String()))

	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	go a.maintain(jobs, 10*time.Minute)
	go a.settle(jobs, time.Minute)
	// Automatic releases stop with the server's context, and the store is closed only
	// once the publisher has returned.
	pubCtx, stopPublishing := context.WithCancel(ctx)
	published := make(chan struct{})
	go func() {
		defer close(published)
		a.publishReleases(pubCtx, time.Hour, a.cfg.ReleaseDelay)
	}()
	defer func() { stopPublishing(); <-published }()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// maintain deletes expired sessions and old idempotency keys periodically (the
// embedded store has no TTL indexes) and gives collections created since the start
// their _id index.
func (a *app) maintain(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		if err := a.db.IndexIDs(ctx); err != nil {
			a.log.Warn("indexing the embedded store", slog.String("error", err.Error()))
		}
		if _, err := a.cases.ForgetIdempotencyKeys(ctx); err != nil {
			a.log.Warn("forgetting old idempotency keys", slog.String("error", err.Error()))
		}
		n, err := a.accounts.DeleteExpiredSessions(ctx)
		if err != nil {
			a.log.Warn("deleting expired sessions", slog.String("error", err.Error()))
			return
		}
		a.log.Debug("deleted expired sessions", slog.Int("count", n))
	})
}

// settle completes the case writes a failure left owing (a full disk, a lost store,
// another server's crash), every interval.
func (a *app) settle(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		n, err := a.cases.Recover(ctx, false)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("settling unfinished case writes", slog.String("error", err.Error()))
		case n > 0:
			a.log.Info("settled unfinished case writes", slog.Int("count", n))
		}
	})
}

// every runs job every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, job func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			job()
		}
	}
}
