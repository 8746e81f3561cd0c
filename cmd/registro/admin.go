package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"registro/accounts"
	"registro/accounts/changes"
	"registro/audit"
	"registro/keyring"
)

// shellChange records an account change made from the server's shell, the recovery
// path that bypasses the organization: in the access log, and as a notice its
// coordinators see at their next sign-in.
func (a *app) shellChange(ctx context.Context, u accounts.User, action, what string) error {
	if _, err := a.audit.AppendMany(ctx, []audit.Entry{{Org: u.Org, ActorName: changes.Shell, Action: action,
		Object: u.ID, Outcome: "ok", Client: "local", Detail: what}}); err != nil {
		return err
	}
	return changes.NewStore(a.db.Database, nil).Record(ctx, changes.Change{Org: u.Org, By: changes.Shell,
		Account: u.Username, Role: string(u.Role), What: what, Notice: true})
}

func userCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(userUsage)
	}
	switch {
	case args[0] == "create" && len(args) == 4:
		a, err := open(ctx, getenv, io.Discard)
		if err != nil {
			return err
		}
		defer a.close()
		password := accounts.GeneratePassword()
		u, err := a.accounts.CreateUser(ctx, accounts.NewUser{Username: args[1], Role: accounts.Role(args[2]), Org: args[3], Password: password})
		if err != nil {
			return err
		}
		if err := a.shellChange(ctx, u, "user.create", "created"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created %s (%s, %s). Password: %s\n", u.Username, u.Role, u.Org, password)
		return nil
	case args[0] == "reset-password" && len(args) == 2:
		a, u, err := openForUser(ctx, getenv, args[1])
		if err != nil {
			return err
		}
		defer a.close()
		password := accounts.GeneratePassword()
		if _, err := a.accounts.UpdateUser(ctx, u.ID, accounts.UserPatch{Password: &password}); err != nil {
			return err
		}
		if err := a.shellChange(ctx, u, "user.update", "password"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New password for %s: %s\n(It must be changed at the next sign-in. The organization's coordinators are told of this reset at their next sign-in.)\n", u.Username, password)
		return nil
	case args[0] == "remove-second-factor" && len(args) == 2:
		a, u, err := openForUser(ctx, getenv, args[1])
		if err != nil {
			return err
		}
		defer a.close()
		if err := a.accounts.RemoveSecondFactor(ctx, u.ID); err != nil {
			return err
		}
		if err := a.shellChange(ctx, u, "user.update", "second_factor"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Removed the second factor of %s: she sets up a new one at her next sign-in. The organization's coordinators are told at their next sign-in.\n", u.Username)
		return nil
	}
	return errors.New(userUsage)
}

// openForUser opens the installation for a shell command on the account username.
func openForUser(ctx context.Context, getenv func(string) string, username string) (*app, accounts.User, error) {
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return nil, accounts.User{}, err
	}
	u, err := a.accounts.User(ctx, username)
	if err != nil {
		a.close()
		return nil, accounts.User{}, fmt.Errorf("user %s: %w", username, err)
	}
	return a, u, nil
}

const userUsage = "usage: registro user create USERNAME ROLE ORG | registro user reset-password USERNAME | registro user remove-second-factor USERNAME"

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
	opened, err := a.cases.OpenAll(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Every case opens with the key file (%d).\n", opened)
	// A retired epoch still in the key file keeps every backup of that epoch readable.
	retired, err := keyring.NewEpochs(a.db.Database).Retired(ctx)
	if err != nil {
		return err
	}
	for _, r := range retired {
		if a.ring.Has(r.ID) {
			return fmt.Errorf("the key file still holds key %s, retired on %s: remove its line (and from every copy of the key file), or backups of that epoch stay readable", r.ID, r.At.Format(time.DateOnly))
		}
	}
	fmt.Fprintln(stdout, "The key file holds no retired key.")
	return nil
}

// orgCommand sets an organization's rules from the server's shell.
func orgCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	const usageText = "usage: registro org share-days CODE DAYS (the longest a case may be shared with a legal partner in one grant, 1-730)"
	if len(args) != 3 || args[0] != "share-days" {
		return errors.New(usageText)
	}
	days, err := strconv.Atoi(args[2])
	if err != nil {
		return errors.New(usageText)
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	o, err := a.accounts.SetShareDays(ctx, args[1], days)
	if err != nil {
		return err
	}
	if _, err := a.audit.AppendMany(ctx, []audit.Entry{{Org: o.Code, ActorName: changes.Shell, Action: "org.update",
		Object: o.Code, Outcome: "ok", Client: "local", Detail: "share_days=" + args[2]}}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: a case is now shared for at most %d days at a time.\n", o.Code, days)
	return nil
}
