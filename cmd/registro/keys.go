package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"registro/keyring"
)

const keysUsage = "usage: registro keys list | registro keys rotate | registro keys rewrap | registro keys retire EPOCH"

// keysCommand manages the key-encryption keys, one per epoch:
//
//   - list shows each epoch and how many data keys it still wraps;
//   - rotate starts a new epoch: a new key heads the key file, and every case's data
//     key and every organization's pseudonym key is rewrapped under it (the sealed
//     data itself is not touched);
//   - rewrap finishes an interrupted rotation, or follows an edit of REGISTRO_KEK;
//   - retire EPOCH destroys an old epoch's key once no live data key uses it, so that
//     whatever a backup holds sealed under it, an erased case included, can no longer
//     be opened by anyone.
//
// With the embedded store the server must be stopped (its lock says so); with
// MongoDB, stop every server first and start them again with the new key file.
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "list" && len(args) == 1:
		return keysList(ctx, getenv, stdout)
	case args[0] == "retire" && len(args) == 2:
		return keysRetire(ctx, cfg, args[1], getenv, stdout)
	case (args[0] == "rotate" || args[0] == "rewrap") && len(args) == 1:
	default:
		return errors.New(keysUsage)
	}
	if args[0] == "rotate" {
		if cfg.KEK != "" {
			return errors.New("the keys come from REGISTRO_KEK: put a new key first in it yourself, then run `registro keys rewrap`")
		}
		// The store must be free, and the key file must open it, before the file changes.
		a, err := open(ctx, getenv, io.Discard)
		if err != nil {
			return err
		}
		a.close()
		id, err := keyring.RotateFile(cfg.KeyFile, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Added key %s to %s as the active key: a new epoch starts.\n", id, cfg.KeyFile)
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	nc, err := a.cases.RewrapKeys(ctx)
	if err != nil {
		return err
	}
	no, err := a.orgKeys.Rewrap(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rewrapped %d case keys and %d organization keys under %s. The older keys stay in the key file, so backups made before today still open; `registro keys retire` destroys one once a backup of today exists.\n",
		nc, no, a.ring.ActiveID())
	return nil
}

// keysList prints every epoch of the key file with the data keys it still wraps, and
// the epochs retired.
func keysList(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	for i, id := range a.ring.IDs() {
		nc, no, err := a.keysUnder(ctx, id)
		if err != nil {
			return err
		}
		state := "older"
		if i == 0 {
			state = "active"
		}
		fmt.Fprintf(stdout, "%-16s %-7s wraps %d case keys and %d organization keys\n", id, state, nc, no)
	}
	retired, err := keyring.NewEpochs(a.db.Database).Retired(ctx)
	if err != nil {
		return err
	}
	for _, r := range retired {
		fmt.Fprintf(stdout, "%-16s retired on %s\n", r.ID, r.At.Format(time.DateOnly))
	}
	return nil
}

func (a *app) keysUnder(ctx context.Context, id string) (cases, orgs int, err error) {
	if cases, err = a.cases.KeysUnder(ctx, id); err != nil {
		return 0, 0, err
	}
	orgs, err = a.orgKeys.KeysUnder(ctx, id)
	return cases, orgs, err
}

// keysRetire destroys epoch id: it refuses while any live data key is wrapped under
// it, records the retirement in the store, then removes the key from the key file.
func keysRetire(ctx context.Context, cfg config, id string, getenv func(string) string, stdout io.Writer) error {
	if cfg.KEK != "" {
		return errors.New("the keys come from REGISTRO_KEK: check with `registro keys list` that the epoch wraps nothing, then remove it from REGISTRO_KEK yourself")
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	switch {
	case id == keyring.AuditID:
		return fmt.Errorf("%q is the access log's key, not an epoch: it is never retired", id)
	case !a.ring.Has(id):
		return fmt.Errorf("the key file holds no key %q: `registro keys list` shows the epochs", id)
	case id == a.ring.ActiveID():
		return fmt.Errorf("%w: %q wraps every new case; run `registro keys rotate` first", keyring.ErrActiveKey, id)
	}
	nc, no, err := a.keysUnder(ctx, id)
	if err != nil {
		return err
	}
	if nc > 0 || no > 0 {
		return fmt.Errorf("key %s still wraps %d case keys and %d organization keys: run `registro keys rewrap` (after restarting every server with the current key file), then retire it", id, nc, no)
	}
	// Recorded first: a crash before the file changes leaves a record that start-up
	// warns about, and retiring again finishes the work.
	now := time.Now()
	if err := keyring.NewEpochs(a.db.Database).MarkRetired(ctx, id, now); err != nil {
		return err
	}
	if err := keyring.RetireFile(cfg.KeyFile, id, now); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Retired key %s: it is gone from %s. Whatever a backup holds sealed under it (narratives, contacts and notes, erased cases included) can no longer be opened.\n"+
		"Replace every other copy of the key file (the one kept apart, other servers) with this one, or the key survives there.\n", id, cfg.KeyFile)
	return nil
}
