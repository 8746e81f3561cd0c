package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/audit"
	"registro/cases"
	"registro/database"
	"registro/keyring"
)

// A backup is a directory in mongodump's layout: DIR/<database>/<collection>.bson (the
// documents, one BSON document after another) and <collection>.metadata.json (its
// indexes), so `mongorestore` loads it into MongoDB as it is, and `registro restore`
// into either store. It never holds the key file: without that file a backup opens no
// narrative, contact or note.

// backupCommand writes a point-in-time copy of the embedded store while the server
// runs: SQLite's VACUUM INTO copies one consistent snapshot of the store's file next to
// the live one (readers never block the server's writers in WAL mode), and a private
// embedded store opened on that copy writes the dump.
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: registro backup DIR (a new or empty directory, away from the key file)")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if cfg.MongoURI != "" {
		return errors.New("on MongoDB use its own tools: mongodump --uri \"$MONGODB_URI\" --oplog writes the same layout, point-in-time")
	}
	out := args[0]
	if err := emptyDir(out); err != nil {
		return err
	}
	if keyring.Inside(cfg.KeyFile, out) {
		return fmt.Errorf("the backup directory %s holds the key file: keep backups and the key file apart", out)
	}
	snap, err := os.MkdirTemp(cfg.DataDir, "backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(snap)
	if err := database.Snapshot(ctx, cfg.DataDir, cfg.DBName, snap); err != nil {
		return err
	}
	db, err := database.Open(ctx, database.Options{DataDir: snap, Name: cfg.DBName})
	if err != nil {
		return fmt.Errorf("open the snapshot: %w", err)
	}
	defer db.Close(context.Background())
	n, docs, err := dump(ctx, db.Database, filepath.Join(out, cfg.DBName))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %d collections (%d documents) of %s to %s. The key file is not in it: keep both, apart.\n", n, docs, cfg.DBName, out)
	return nil
}

// emptyDir makes sure dir exists, is private and holds nothing.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: give a new directory", dir)
	}
	return nil
}

// ephemeral names the collections a backup leaves out: sign-in sessions and recent
// sign-in failures, which a restored installation must not inherit.
var ephemeral = map[string]bool{"sessions": true, "login_failures": true}

type collectionMeta struct {
	Indexes        []bson.M `json:"indexes"`
	CollectionName string   `json:"collectionName"`
	Type           string   `json:"type"`
}

// dump writes every collection of db in mongodump's layout into dir.
func dump(ctx context.Context, db *mongo.Database, dir string) (collections, docs int, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, 0, err
	}
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return 0, 0, err
	}
	slices.Sort(names)
	for _, name := range names {
		if ephemeral[name] {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, name+".bson"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return collections, docs, err
		}
		w := bufio.NewWriter(f)
		cur, err := db.Collection(name).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			f.Close()
			return collections, docs, err
		}
		for cur.Next(ctx) {
			if _, err := w.Write(cur.Current); err != nil {
				f.Close()
				return collections, docs, err
			}
			docs++
		}
		if err := errors.Join(cur.Err(), w.Flush(), f.Close()); err != nil {
			return collections, docs, err
		}
		meta := collectionMeta{CollectionName: name, Type: "collection"}
		icur, err := db.Collection(name).Indexes().List(ctx)
		if err != nil {
			return collections, docs, err
		}
		if err := icur.All(ctx, &meta.Indexes); err != nil {
			return collections, docs, err
		}
		b, err := json.MarshalIndent(meta, "", "  ")
		if err != nil {
			return collections, docs, err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".metadata.json"), b, 0o600); err != nil {
			return collections, docs, err
		}
		collections++
	}
	return collections, docs, nil
}

// restoreCommand loads a backup into an empty store (embedded, or MONGODB_URI), after
// checking that the key file opens the organization keys in it; replays the erasures
// recorded in newer backups (--erasures, ids only: a case erased after this backup was
// taken does not come back); rewraps every data key under the active epoch; then checks
// the lists, facts and access log as `registro check` and `registro audit verify` do.
func restoreCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	const usageText = "usage: registro restore DIR [--erasures NEWER_BACKUP_DIR]... (DIR written by registro backup or mongodump)"
	var from string
	var ledgers []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--erasures" && i+1 < len(args):
			ledgers = append(ledgers, args[i+1])
			i++
		case from == "" && !strings.HasPrefix(args[i], "-"):
			from = args[i]
		default:
			return errors.New(usageText)
		}
	}
	if from == "" {
		return errors.New(usageText)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	in := filepath.Join(from, cfg.DBName)
	files, err := filepath.Glob(filepath.Join(in, "*.bson"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no backup of database %s in %s", cfg.DBName, from)
	}
	// The ledgers are read, and the key file must open the backup's keys, before
	// anything is written.
	var erasures []erasure
	for _, l := range ledgers {
		e, err := readErasures(filepath.Join(l, cfg.DBName, "cases.bson"))
		if err != nil {
			return fmt.Errorf("--erasures %s: %w", l, err)
		}
		erasures = append(erasures, e...)
	}
	ring, err := loadRingForRestore(cfg)
	if err != nil {
		return err
	}
	if err := checkBackupKeys(filepath.Join(in, "org_keys.bson"), ring); err != nil {
		return err
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer a.close()
	// Into an empty store only: no organization, account, case or log entry yet.
	for _, name := range []string{"orgs", "users", "cases", "org_keys", "audit"} {
		if n, err := a.db.Collection(name).EstimatedDocumentCount(ctx); err != nil || n > 0 {
			if err == nil {
				err = fmt.Errorf("the store already holds %s (%d documents): restore into an empty store", name, n)
			}
			return err
		}
	}
	// The fresh store's own markers give way to the backup's (a backup of an older
	// layout is rebuilt by the start below; the backup's epochs record is its own).
	if _, err := a.db.Collection("counters").DeleteOne(ctx, bson.D{{Key: "_id", Value: "layout"}}); err != nil {
		return err
	}
	if _, err := a.db.Collection("keyring").DeleteMany(ctx, bson.D{}); err != nil {
		return err
	}
	total := 0
	for _, f := range files {
		n, err := load(ctx, a.db.Collection(strings.TrimSuffix(filepath.Base(f), ".bson")), f)
		total += n
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Restored %d documents from %s.\n", total, from)
	if err := a.cases.Start(ctx); err != nil {
		return err
	}
	if err := a.orgKeys.Check(ctx); err != nil {
		return err
	}
	if _, err := keyring.NewEpochs(a.db.Database).Admit(ctx, a.ring, time.Now()); err != nil {
		return err
	}
	replayed, err := replayErasures(ctx, a, erasures)
	if err != nil {
		return err
	}
	if len(ledgers) > 0 {
		fmt.Fprintf(stdout, "Replayed %d erasures made after the backup (%d in the ledgers given).\n", replayed, len(erasures))
	}
	nc, err := a.cases.RewrapKeys(ctx)
	if err != nil {
		return err
	}
	no, err := a.orgKeys.Rewrap(ctx)
	if err != nil {
		return err
	}
	if nc > 0 || no > 0 {
		fmt.Fprintf(stdout, "Rewrapped %d case keys and %d organization keys under the active key %s.\n", nc, no, a.ring.ActiveID())
	}
	n, unsettled, err := a.cases.Check(ctx)
	if err != nil {
		return err
	}
	if n > 0 || unsettled > 0 {
		return fmt.Errorf("after the restore %d list or facts documents disagree with the cases and %d writes are unsettled: run `registro reindex`", n, unsettled)
	}
	opened, err := a.cases.OpenAll(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Every case opens with the key file (%d).\n", opened)
	orgs, err := a.audit.Orgs(ctx)
	if err != nil {
		return err
	}
	var unkeyed []string
	for _, org := range orgs {
		res, err := a.audit.Verify(ctx, org)
		if err != nil {
			return err
		}
		if !res.OK && res.Reason == audit.ReasonUnkeyed {
			unkeyed = append(unkeyed, org)
			continue
		}
		if !res.OK {
			return fmt.Errorf("the restored access log of %s fails verification at %d: %s", org, res.BrokenAt, res.Reason)
		}
	}
	if len(unkeyed) > 0 {
		fmt.Fprintf(stdout, "The lists and statistical facts agree with the cases. The access log of %s holds entries without the access log's key: if this backup was made before the log was keyed, run `registro audit rekey` once; if not, someone rewrote the log in this backup.\n", strings.Join(unkeyed, ", "))
	} else {
		fmt.Fprintf(stdout, "The lists and statistical facts agree with the cases, and the access log verifies (%d organization(s)).\n", len(orgs))
	}
	if len(ledgers) == 0 {
		fmt.Fprintln(stdout, "If newer backups exist, restore again with --erasures NEWER_BACKUP_DIR so that cases erased since this one stay erased.")
	}
	return nil
}

// erasure is one entry of the erasure ledger: a tombstone's id, organization and who
// erased it. Every backup holds the whole ledger up to its time, as the tombstones
// among its cases.
type erasure struct {
	ID     string `bson:"_id"`
	Org    string `bson:"org"`
	Erased *struct {
		By string `bson:"by"`
	} `bson:"erased"`
}

// readErasures reads the tombstones of a backup's cases.bson: ids and organizations
// only (a tombstone holds nothing else of the case).
func readErasures(path string) ([]erasure, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("not a backup with cases: %w", err)
	}
	var out []erasure
	err := eachDocument(path, func(doc bson.Raw) error {
		if _, err := doc.LookupErr("erased"); err != nil {
			return nil // a live case
		}
		var e erasure
		if err := bson.Unmarshal(doc, &e); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// replayErasures erases every case of the ledger still live in the restored store, as
// its erasure did (tombstone, lists, facts, shares, access-log entry, purge), and
// returns how many it erased.
func replayErasures(ctx context.Context, a *app, ledger []erasure) (int, error) {
	n := 0
	for _, e := range ledger {
		by := ""
		if e.Erased != nil {
			by = e.Erased.By
		}
		actor := cases.Actor{UserID: by, Username: "registro restore: erasure replayed", Org: e.Org, Role: "admin", Client: "local"}
		_, err := a.cases.Erase(ctx, actor, e.ID, func(c *cases.Case) bool { return c.Org == e.Org })
		if errors.Is(err, cases.ErrNotFound) {
			continue // erased in the backup already, or recorded after it
		}
		if err != nil {
			return n, fmt.Errorf("replay the erasure of case %s: %w", e.ID, err)
		}
		n++
	}
	return n, nil
}

func loadRingForRestore(cfg config) (*keyring.Ring, error) {
	if cfg.KEK != "" {
		return keyring.ParseRing(cfg.KEK)
	}
	r, _, err := keyring.OpenRingFile(cfg.KeyFile, cfg.DataDir, false)
	if errors.Is(err, keyring.ErrKeyFileMissing) {
		return nil, fmt.Errorf("%w: a backup opens only with the key file of the installation that made it", err)
	}
	return r, err
}

// checkBackupKeys unwraps every organization key in a backup's org_keys.bson with ring.
func checkBackupKeys(path string, ring *keyring.Ring) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil // nothing sealed in it
	}
	return eachDocument(path, func(doc bson.Raw) error {
		var k struct {
			Org       string          `bson:"_id"`
			Pseudonym keyring.Wrapped `bson:"pseudonym"`
		}
		if err := bson.Unmarshal(doc, &k); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if _, err := ring.Unwrap(k.Pseudonym, []byte("pseudonym:"+k.Org)); err != nil {
			if day, retired := ring.RetiredOn(k.Pseudonym.KEK); retired {
				return fmt.Errorf("%w: this backup is sealed under key %q, retired on %s: its narratives, contacts and notes can no longer be opened by anyone; restore a backup made after that key's last rotation", keyring.ErrWrongKeys, k.Pseudonym.KEK, day)
			}
			return fmt.Errorf("%w: organization %s's keys in the backup are sealed under key %q, which the key file does not open: restore with the key file of the installation that made the backup", keyring.ErrWrongKeys, k.Org, k.Pseudonym.KEK)
		}
		return nil
	})
}

// load inserts the documents of one .bson file into coll, 500 at a time.
func load(ctx context.Context, coll *mongo.Collection, path string) (n int, err error) {
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := coll.InsertMany(ctx, batch); err != nil {
			return fmt.Errorf("restore %s: %w", coll.Name(), err)
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	err = eachDocument(path, func(doc bson.Raw) error {
		if batch = append(batch, doc); len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, flush()
}

// eachDocument calls fn with each BSON document of a dump file, in order.
func eachDocument(path string, fn func(bson.Raw) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		if _, err := r.Peek(1); err == io.EOF {
			return nil
		}
		doc, err := bson.ReadDocument(r)
		if err != nil {
			return fmt.Errorf("%s is not a sequence of BSON documents: %w", path, err)
		}
		if err := fn(doc); err != nil {
			return err
		}
	}
}
