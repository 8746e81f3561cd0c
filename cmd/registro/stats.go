package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"registro/stats"
)

// statsCommand prints an organization's suppressed statistics table, the same one the
// API serves, for admins at the server's shell.
func statsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
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
		return fmt.Errorf("usage: registro stats -org ORG [-quarter 2026-Q2 | -from 2026-01 -to 2026-06] [-by perpetrator,district] [-lang es|en] [-format csv|json]")
	}
	p, err := stats.ParsePeriod(*quarter, *from, *to, time.Now().UTC())
	if err != nil {
		return err
	}
	dims, err := stats.ParseDims(*by)
	if err != nil {
		return err
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	o, err := a.accounts.Org(ctx, strings.ToUpper(*org))
	if err != nil {
		return fmt.Errorf("organization %s: %w", *org, err)
	}
	k := o.Threshold
	if k < stats.MinK {
		k = stats.DefaultK
	}
	facts, err := a.cases.Facts(ctx, o.Code, p.FactsPeriods())
	if err != nil {
		return err
	}
	r, err := stats.Build(o.Code, p, facts, dims, a.cases.Vocabulary(), k, *lang)
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
