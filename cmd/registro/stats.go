package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"registro/accounts"
	"registro/audit"
	"registro/stats"
)

const statsUsage = "usage: registro stats -org ORG [-quarter 2026-Q2 | -from 2026-01 -to 2026-06] [-by perpetrator,district] [-lang es|en] [-format csv|json]\n" +
	"       registro stats publish -org ORG -period 2026-Q2"

// statsCommand prints an organization's exact live statistics table, for admins at
// the server's shell, marked for internal use as the coordinator's view is; or, with
// "publish", publishes the release of a closed period.
func statsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "publish" {
		return publishCommand(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization code (required)")
	quarter := fs.String("quarter", "", "a quarter, e.g. 2026-Q2 (default: the current one)")
	from := fs.String("from", "", "first month or quarter of a range")
	to := fs.String("to", "", "last month or quarter of a range")
	by := fs.String("by", "", "up to three comma-separated dimensions, e.g. perpetrator,district")
	lang := fs.String("lang", "es", "es or en")
	format := fs.String("format", "csv", "csv or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || (*format != "csv" && *format != "json") || (*lang != "es" && *lang != "en") {
		return errors.New(statsUsage)
	}
	p, err := stats.ParsePeriod(*quarter, *from, *to, time.Now().UTC())
	if err != nil {
		return err
	}
	dims, err := stats.ParseDims(*by)
	if err != nil {
		return err
	}
	a, o, err := openOrg(ctx, getenv, *org)
	if err != nil {
		return err
	}
	defer a.close()
	facts, err := a.cases.Facts(ctx, o.Code, p.FactsPeriods())
	if err != nil {
		return err
	}
	r, err := stats.Live(o.Code, p, facts, dims, a.cases.Vocabulary(), *lang)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteCSV(stdout)
}

// publishCommand publishes the next version of an organization's release of a closed
// period, as the coordinator's "Publicar" does, and records it in the access log.
func publishCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stats publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization code (required)")
	period := fs.String("period", "", "a closed quarter (2026-Q2) or year (2026)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || *period == "" || fs.NArg() > 0 {
		return errors.New(statsUsage)
	}
	a, o, err := openOrg(ctx, getenv, *org)
	if err != nil {
		return err
	}
	defer a.close()
	rel, err := a.releases.Publish(ctx, o.Code, o.K(), *period, "cli")
	if err != nil {
		return fmt.Errorf("publish %s %s: %w", o.Code, *period, err)
	}
	detail := fmt.Sprintf("%s v%d published from the command line", rel.Period, rel.Version)
	if _, err := a.audit.Append(ctx, audit.Entry{Org: o.Code, ActorName: "cli", Action: "stats.publish",
		Object: rel.Period, Outcome: "ok", Detail: detail}); err != nil {
		return err
	}
	hidden := 0
	for _, p := range rel.Positions {
		if p.Hidden {
			hidden++
		}
	}
	fmt.Fprintf(stdout, "Published %s of %s, version %d (%d survivors changed, %d numbers hidden).\n",
		stats.PeriodLabel(rel.Period, "en"), o.Code, rel.Version, rel.Changed, hidden)
	return nil
}

// openOrg opens the application and finds the organization named by code.
func openOrg(ctx context.Context, getenv func(string) string, code string) (*app, accounts.Org, error) {
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return nil, accounts.Org{}, err
	}
	o, err := a.accounts.Org(ctx, strings.ToUpper(code))
	if err != nil {
		a.close()
		return nil, accounts.Org{}, fmt.Errorf("organization %s: %w", code, err)
	}
	return a, o, nil
}
