package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"registro/audit"

	"registro/accounts"
)

func userCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: registro user create USERNAME ROLE ORG | registro user reset-password USERNAME")
	}
	switch {
	case args[0] == "create" && len(args) == 4:
		a, err := open(ctx, getenv, io.Discard)
		if err != nil {
			return err
		}
		defer a.close()
		password := rand.Text()
		u, err := a.accounts.CreateUser(ctx, accounts.NewUser{Username: args[1], Role: accounts.Role(args[2]), Org: args[3], Password: password})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created %s (%s, %s). Password: %s\n", u.Username, u.Role, u.Org, password)
		return nil
	case args[0] == "reset-password" && len(args) == 2:
		a, err := open(ctx, getenv, io.Discard)
		if err != nil {
			return err
		}
		defer a.close()
		u, err := a.accounts.User(ctx, args[1])
		if err != nil {
			return fmt.Errorf("user %s: %w", args[1], err)
		}
		password := rand.Text()
		if _, err := a.accounts.UpdateUser(ctx, u.ID, accounts.UserPatch{Password: &password}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New password for %s: %s\n", u.Username, password)
		return nil
	}
	return errors.New("usage: registro user create USERNAME ROLE ORG | registro user reset-password USERNAME")
}

func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usageText = "usage: registro audit verify [ORG] | registro audit verify --anchor \"LINE\" | registro audit anchor [ORG]"
	if len(args) == 0 || (args[0] != "verify" && args[0] != "anchor") {
		return errors.New(usageText)
	}
	var anchor *audit.Anchor
	rest := args[1:]
	if args[0] == "verify" && len(rest) >= 1 && rest[0] == "--anchor" {
		if len(rest) != 2 {
			return errors.New(usageText)
		}
		a, err := audit.ParseAnchor(rest[1])
		if err != nil {
			return err
		}
		anchor, rest = &a, []string{a.Org}
	}
	if len(rest) > 1 {
		return errors.New(usageText)
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
	if args[0] == "anchor" {
		// One line per organization, for the auditor to keep outside the installation.
		for _, org := range orgs {
			an, err := a.audit.Anchor(ctx, org)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, an.String())
		}
		return nil
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

func reindexCommand(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	n, err := a.cases.RebuildLists(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rebuilt the case lists: %d list documents fixed.\n", n)
	if n, err = a.cases.RebuildFacts(ctx, false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rebuilt the statistical facts: %d documents fixed.\n", n)
	return nil
}

// checkCommand reports whether the lists and statistical facts agree with the cases,
// after settling what a crash left unfinished (as every start does).
func checkCommand(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	// SQLite's full check of the embedded store's file first (a start runs the quick one).
	if err := a.db.CheckIntegrity(ctx, true); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "The store's file passes SQLite's integrity check.")
	n, unsettled, err := a.cases.Check(ctx)
	if err != nil {
		return err
	}
	if unsettled > 0 {
		return fmt.Errorf("%d case writes are still unsettled after recovery", unsettled)
	}
	if n > 0 {
		return fmt.Errorf("%d list or statistical facts documents disagree with the cases: run `registro reindex`", n)
	}
	fmt.Fprintln(stdout, "The lists and statistical facts agree with the cases.")
	return nil
}
