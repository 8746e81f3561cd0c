package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"registro/accounts"
	"registro/alerts"
	"registro/audit"
	"registro/authz"
	"registro/cases"
	"registro/database"
	"registro/keyring"
	"registro/stats/releases"
	"registro/vocabulary"
)

// app is every dependency, wired visibly in one place.
type app struct {
	cfg      config
	log      *slog.Logger
	db       *database.DB
	cases    *cases.Store
	accounts *accounts.Store
	authz    *authz.Authorizer
	audit    *audit.Log
	releases *releases.Store
	alerts   *alerts.Store
	orgKeys  *keyring.OrgKeys
	ring     *keyring.Ring
}

// open reads the configuration and opens the keys, the database and the stores.
func open(ctx context.Context, getenv func(string) string, stderr io.Writer) (*app, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	log.Info("starting", slog.String("version", version), slog.Any("config", cfg))

	vocab, err := loadVocabulary(cfg)
	if err != nil {
		return nil, err
	}
	az, err := authz.New()
	if err != nil {
		return nil, err
	}
	const damaged = "%w: stop here and restore the data directory from the last backup (keep this copy for inspection)"
	db, err := database.Open(ctx, database.Options{URI: cfg.MongoURI, DataDir: cfg.DataDir, Name: cfg.DBName, Logger: log,
		MinFree: cfg.MinFreeMB << 20})
	if errors.Is(err, database.ErrCorrupt) {
		return nil, fmt.Errorf(damaged, err)
	}
	if err != nil {
		return nil, err
	}
	if err := db.CheckIntegrity(ctx, false); err != nil {
		_ = db.Close(context.Background())
		return nil, fmt.Errorf(damaged, err)
	}
	// The keys are checked against the data before anything is served or written: a
	// missing key file is created only for a store that holds nothing sealed yet, and
	// keys that do not open the stored organization keys stop the start.
	sealed, err := holdsSealedData(ctx, db)
	if err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	ring, err := loadRing(cfg, log, !sealed)
	if err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	epochs := keyring.NewEpochs(db.Database)
	if err := epochs.Stale(ctx, ring); err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	orgKeys := keyring.NewOrgKeys(db.Database, ring)
	if err := orgKeys.Check(ctx); err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	// An older copy of the key file (from before a rotation) stops here, before it
	// wraps anything under an epoch that is about to be retired; a copy that still
	// holds a retired epoch is named, since it still opens the backups of that epoch.
	retiredHeld, err := epochs.Admit(ctx, ring, time.Now())
	if err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	for _, id := range retiredHeld {
		log.Warn("this key file still holds a retired key: remove its line, here and in every copy, or backups of that epoch stay readable",
			slog.String("key", id), slog.String("key_file", cfg.KeyFile))
	}
	// A key file from before the access log was keyed gets its key now, once the keys
	// are known to open the data; the log's chains are then sealed with it below.
	upgraded := false
	if ring.AuditKey() == nil {
		if cfg.KEK != "" {
			_ = db.Close(context.Background())
			return nil, errors.New("REGISTRO_KEK has no access-log key: add \"audit:\" and 32 random bytes in standard base64 to it, then run `registro audit rekey`")
		}
		upgraded = true
		if ring, err = keyring.AddAuditKey(cfg.KeyFile); err != nil {
			_ = db.Close(context.Background())
			return nil, err
		}
		log.Warn("added the access log's key to the key file: back the key file up again", slog.String("key_file", cfg.KeyFile))
		orgKeys = keyring.NewOrgKeys(db.Database, ring)
	}
	cs := cases.NewStore(db, vocab, ring, orgKeys)
	a := &app{
		cfg: cfg, log: log, db: db, authz: az, orgKeys: orgKeys, ring: ring,
		cases: cs,
		accounts: accounts.NewStore(db.Database, accounts.Options{
			IdleTimeout: cfg.SessionIdle, MaxLifetime: cfg.SessionLifetime,
			SecretKey: ring.AccountsKey(), SecondFactor: cfg.SecondFactor,
		}),
		audit:    audit.NewLog(db.Database, ring.AuditKey(), nil),
		releases: releases.NewStore(db, cs),
		alerts:   alerts.NewStore(db.Database, vocab, nil),
	}
	a.alerts.Validity = cfg.AlertValidity
	for _, ensure := range []func(context.Context) error{a.cases.EnsureIndexes, a.accounts.EnsureIndexes,
		a.audit.EnsureIndexes, a.releases.EnsureIndexes, a.alerts.EnsureIndexes} {
		if err := ensure(ctx); err != nil {
			_ = db.Close(context.Background())
			return nil, err
		}
	}
	if err := db.IndexIDs(ctx); err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	// The start that gave the key file its access-log key seals the existing chains with
	// it, once each is verified as it stands; no later start does, since only then can
	// unkeyed entries be the old installation's rather than someone's rewrite.
	if upgraded {
		if err := a.sealChains(ctx); err != nil {
			_ = db.Close(context.Background())
			return nil, err
		}
	} else if unkeyed, err := a.audit.Unkeyed(ctx); err != nil {
		_ = db.Close(context.Background())
		return nil, err
	} else if unkeyed {
		log.Error("the access log holds entries without its key: `registro audit verify` names them; a backup restored from before the access log was keyed needs `registro audit rekey` once")
	}
	// Case writes append their access-log entries themselves, in their batch; what a
	// crash left owing is settled before anything else is served.
	cs.SetAccessLog(a.audit)
	cs.SetPurger(db.Purge)
	a.alerts.SetPurger(db.Purge)
	cs.SetErrorLog(func(msg string) { log.Warn(msg, slog.String("component", "cases")) })
	if err := cs.Start(ctx); err != nil {
		_ = db.Close(context.Background())
		return nil, err
	}
	return a, nil
}

// sealChains rekeys every organization's access-log chain under the key just added
// to the key file. A chain that does not verify as it stands is left as it is and
// named: keying it would vouch for whatever was done to it.
func (a *app) sealChains(ctx context.Context) error {
	orgs, err := a.audit.Orgs(ctx)
	if err != nil {
		return err
	}
	for _, org := range orgs {
		res, err := a.audit.Rekey(ctx, org)
		if err != nil {
			return fmt.Errorf("sealing the access log of %s with its new key: %w (run `registro audit rekey` to finish)", org, err)
		}
		if !res.OK {
			a.log.Error("the access log is broken and was not sealed with its key: keep this installation's files for inspection",
				slog.String("org", org), slog.Int64("broken_at", res.BrokenAt), slog.String("reason", res.Reason))
			continue
		}
		a.log.Warn("sealed the access log with its key", slog.String("org", org), slog.Int64("entries", res.Rekeyed))
	}
	return nil
}

func (a *app) close() {
	if err := a.db.Close(context.Background()); err != nil {
		a.log.Warn("closing the database", slog.String("error", err.Error()))
	}
}

// holdsSealedData reports whether the database holds anything sealed under the keys:
// an organization key or a case.
func holdsSealedData(ctx context.Context, db *database.DB) (bool, error) {
	for _, coll := range []string{"org_keys", "cases"} {
		n, err := db.Collection(coll).EstimatedDocumentCount(ctx)
		if err != nil {
			return false, fmt.Errorf("database: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

func loadRing(cfg config, log *slog.Logger, mayCreate bool) (*keyring.Ring, error) {
	if cfg.KEK != "" {
		r, err := keyring.ParseRing(cfg.KEK)
		if err != nil {
			return nil, fmt.Errorf("REGISTRO_KEK: %w", err)
		}
		return r, nil
	}
	r, created, err := keyring.OpenRingFile(cfg.KeyFile, cfg.DataDir, mayCreate)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("created a new key-encryption key: back it up apart from the data; without it no narrative can be read",
			slog.String("key_file", cfg.KeyFile))
	}
	return r, nil
}

func loadVocabulary(cfg config) (*vocabulary.Vocabulary, error) {
	if cfg.VocabularyFile != "" {
		return vocabulary.Load(cfg.VocabularyFile)
	}
	return vocabulary.Baseline()
}
