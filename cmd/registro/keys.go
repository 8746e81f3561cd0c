package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"registro/keyring"
)

// keysCommand rotates the key-encryption key: a new key heads the key file, and every
// case's data key and every organization's pseudonym key is rewrapped under it. The
// sealed data itself is not touched. With the embedded store the server must be
// stopped (its lock says so); with MongoDB, stop every replica first.
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "rotate" && args[0] != "rewrap") {
		return errors.New("usage: registro keys rotate | registro keys rewrap")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if args[0] == "rotate" {
		if cfg.KEK != "" {
			return errors.New("the keys come from REGISTRO_KEK: put a new key first in it yourself, then run `registro keys rewrap`")
		}
		// The store must be free before the file changes: open it once to check.
		a, err := open(ctx, getenv, io.Discard)
		if err != nil {
			return err
		}
		a.close()
		id, err := keyring.RotateFile(cfg.KeyFile, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Added key %s to %s as the active key.\n", id, cfg.KeyFile)
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
	fmt.Fprintf(stdout, "Rewrapped %d case keys and %d organization keys. Older keys stay in the key file until you remove them; keep them while backups made before today may be restored.\n", nc, no)
	return nil
}
