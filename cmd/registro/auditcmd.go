package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"registro/audit"
)

const auditUsage = `usage: registro audit verify [ORG] | registro audit verify --anchor "LINE" | registro audit anchor [ORG] | registro audit rekey [ORG]`

// auditCommand checks the access log's chains, prints their anchors, or rekeys chains
// written before the access log had a key.
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "anchor" && args[0] != "rekey") {
		return errors.New(auditUsage)
	}
	var anchor *audit.Anchor
	rest := args[1:]
	if args[0] == "verify" && len(rest) >= 1 && rest[0] == "--anchor" {
		if len(rest) != 2 {
			return errors.New(auditUsage)
		}
		a, err := audit.ParseAnchor(rest[1])
		if err != nil {
			return err
		}
		anchor, rest = &a, []string{a.Org}
	}
	if len(rest) > 1 {
		return errors.New(auditUsage)
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	orgs := rest
	if len(orgs) == 0 {
		if orgs, err = a.audit.Orgs(ctx); err != nil {
			return err
		}
	}
	switch args[0] {
	case "anchor":
		// One line per organization, for the auditor to keep outside the installation.
		for _, org := range orgs {
			an, err := a.audit.Anchor(ctx, org)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, an.String())
		}
		return nil
	case "rekey":
		return rekeyChains(ctx, a.audit, orgs, stdout)
	}
	broken := 0
	for _, org := range orgs {
		res, err := a.audit.Verify(ctx, org)
		if err != nil {
			return err
		}
		if !res.OK {
			broken++
			fmt.Fprintf(stdout, "%s: BROKEN at entry %d: %s (%d entries)\n", org, res.BrokenAt, res.Reason, res.Entries)
			if res.Reason == audit.ReasonUnkeyed {
				fmt.Fprintf(stdout, "  an entry without the access log's key: right after the upgrade that added the key, run `registro audit rekey %s` once; otherwise someone wrote it in the database\n", org)
			}
			continue
		}
		if anchor != nil {
			if err := a.audit.Extends(ctx, *anchor); err != nil {
				broken++
				fmt.Fprintf(stdout, "%s: the chain is whole but does not extend the anchor: %v\n", org, err)
				continue
			}
			fmt.Fprintf(stdout, "%s: ok, %d entries, extends the anchor at entry %d\n", org, res.Entries, anchor.Seq)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok, %d entries\n", org, res.Entries)
	}
	if broken > 0 {
		return fmt.Errorf("the access log of %d organization(s) fails verification", broken)
	}
	return nil
}

// rekeyChains rewrites the chains of orgs under the access log's key, one organization
// after another; a broken chain is reported and left as it is, and the others go on.
func rekeyChains(ctx context.Context, log *audit.Log, orgs []string, stdout io.Writer) error {
	broken := 0
	for _, org := range orgs {
		res, err := log.Rekey(ctx, org)
		if err != nil {
			return fmt.Errorf("%w (run `registro audit rekey %s` again to complete it)", err, org)
		}
		if !res.OK {
			broken++
			fmt.Fprintf(stdout, "%s: BROKEN at entry %d: %s (%d entries); nothing rewritten\n", org, res.BrokenAt, res.Reason, res.Entries)
			continue
		}
		fmt.Fprintf(stdout, "%s: rekeyed %d entries\n", org, res.Rekeyed)
	}
	if broken > 0 {
		return fmt.Errorf("the access log of %d organization(s) is broken and was not rekeyed", broken)
	}
	return nil
}
