package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"registro/audit"
)

// publishDue publishes, for every organization, the closed periods that have waited
// delay without a release (releases.Store.AutoPublish), and records each one in the
// organization's access log. It returns how many it published, and every
// organization's error joined.
func (a *app) publishDue(ctx context.Context, delay time.Duration) (int, error) {
	orgs, err := a.accounts.Orgs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, o := range orgs {
		done, err := a.releases.AutoPublish(ctx, o.Code, o.K(), delay)
		for _, p := range done {
			if _, aerr := a.audit.Append(ctx, audit.Entry{Org: o.Code, ActorName: "auto", Action: "stats.publish",
				Object: p, Outcome: "ok", Detail: p + " published automatically"}); aerr != nil {
				errs = append(errs, aerr)
			}
		}
		if len(done) > 0 {
			a.log.Info("published statistics releases", slog.String("org", o.Code), slog.Int("count", len(done)),
				slog.Any("periods", done))
		}
		n += len(done)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// publishReleases publishes due releases at start and then every period until ctx
// ends.
func (a *app) publishReleases(ctx context.Context, period, delay time.Duration) {
	publish := func() {
		if _, err := a.publishDue(ctx, delay); err != nil && ctx.Err() == nil {
			a.log.Warn("automatic statistics releases", slog.String("error", err.Error()))
		}
	}
	publish()
	every(ctx, period, publish)
}
