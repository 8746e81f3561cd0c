package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/cases"
	"registro/database/dbtest"
	"registro/keyring"
)

// TestErasureReachesBackups follows an organization through a survivor's erasure: a
// backup taken before it, the erasure, a backup after it, a restore of the older one
// with the newer one's ledger, a rotation and the retirement of the old epoch.
//
// The attacker holds both backups, the data directory and the key file as it is at the
// end (every key that still exists, the access log's included). Before the retirement
// that is enough to read the erased narrative from the older backup (the test's attack
// is shown to work); after it, no key opens it.
func TestErasureReachesBackups(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("backs up the embedded store")
	}
	ctx := context.Background()
	dir := t.TempDir()
	env := testEnv(dir)
	getenv := func(k string) string { return env[k] }
	keyFile := env["REGISTRO_KEY_FILE"]
	all := func(*cases.Case) bool { return true }
	worker := cases.Actor{UserID: "u-w", Username: "w", Org: "LIM", Role: "outreach", Client: "127.0.0.1"}
	const secret = "Relato que ella pidió borrar."

	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	in := caseInput(0)
	in.Narrative = secret
	erased, _, err := a.cases.Create(ctx, worker, in, "")
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := a.cases.Create(ctx, worker, caseInput(1), "")
	if err != nil {
		t.Fatal(err)
	}
	firstEpoch := a.ring.ActiveID()
	a.close()

	backup := func(name string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), name)
		if err := backupCommand(ctx, []string{out}, getenv, io.Discard); err != nil {
			t.Fatalf("backup %s: %v", name, err)
		}
		return out
	}
	before := backup("before")

	a, err = open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.cases.Erase(ctx, worker, erased.ID, all); err != nil {
		t.Fatal(err)
	}
	a.close()
	after := backup("after")

	// The attack works while the epoch lives: the older backup and the key file give
	// back the erased narrative.
	if got, err := decryptNarrative(before, erased.ID, keyFile); err != nil || got != secret {
		t.Fatalf("before retirement the attack on the older backup gave %q, %v: the test's attack does not work", got, err)
	}

	// Restoring the older backup with the newer one's ledger keeps the erased case
	// erased; without the ledger it would come back.
	restored := testEnv(t.TempDir())
	restored["REGISTRO_KEY_FILE"] = keyFile
	var msg strings.Builder
	if err := restoreCommand(ctx, []string{before, "--erasures", after}, func(k string) string { return restored[k] }, &msg); err != nil {
		t.Fatalf("restore with the ledger: %v\n%s", err, msg.String())
	}
	if !strings.Contains(msg.String(), "Replayed 1 erasures") {
		t.Errorf("restore said %q, want one replayed erasure", msg.String())
	}
	r, err := open(ctx, func(k string) string { return restored[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.cases.Case(ctx, erased.ID, all); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("the erased case came back with the older backup: %v", err)
	}
	if c, err := r.cases.Case(ctx, kept.ID, all); err != nil || c.Narrative != "Relato de respaldo." {
		t.Errorf("the kept case after the restore: %v", err)
	}
	r.close()

	// Retiring the active epoch, or one that still wraps live keys, is refused.
	if err := keysCommand(ctx, []string{"retire", firstEpoch}, getenv, io.Discard); !errors.Is(err, keyring.ErrActiveKey) {
		t.Errorf("retiring the active epoch = %v", err)
	}
	staleCopy, _ := os.ReadFile(keyFile)
	if _, err := keyring.RotateFile(keyFile, testDay); err != nil { // a rotation interrupted before its rewrap
		t.Fatal(err)
	}
	if err := keysCommand(ctx, []string{"retire", firstEpoch}, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "still wraps 1 case keys and 1 organization keys") {
		t.Errorf("retiring an epoch that wraps live keys = %v", err)
	}
	msg.Reset()
	if err := keysCommand(ctx, []string{"rewrap"}, getenv, &msg); err != nil || !strings.Contains(msg.String(), "Rewrapped 1 case keys and 1 organization keys") {
		t.Fatalf("rewrap: %v %q", err, msg.String())
	}
	if err := keysCommand(ctx, []string{"rotate"}, getenv, io.Discard); err != nil {
		t.Fatal(err)
	}
	retiringCopy, _ := os.ReadFile(keyFile)
	msg.Reset()
	if err := keysCommand(ctx, []string{"list"}, getenv, &msg); err != nil || !strings.Contains(msg.String(), firstEpoch) || !strings.Contains(msg.String(), "active") {
		t.Errorf("keys list: %v\n%s", err, msg.String())
	}
	for _, id := range []string{firstEpoch, "e2027-03-01"} {
		msg.Reset()
		if err := keysCommand(ctx, []string{"retire", id}, getenv, &msg); err != nil {
			t.Fatalf("retire %s: %v", id, err)
		}
	}
	if !strings.Contains(msg.String(), "Replace every other copy of the key file") {
		t.Errorf("retire said %q", msg.String())
	}
	final := backup("final")

	// The attacker: both older backups, the data directory, and every key that exists.
	keys := keyFileKeys(t, keyFile)
	if len(keys) != 2 {
		t.Fatalf("the key file holds %d keys, want the active epoch and the access log's", len(keys))
	}
	for _, b := range []string{before, after, final} {
		if got, err := decryptNarrative(b, erased.ID, keyFile); err == nil {
			t.Errorf("backup %s still gives the erased narrative %q", filepath.Base(b), got)
		}
	}
	wrapped := wrappedKey(t, before, erased.ID)
	for id, k := range keys {
		if _, err := keyring.Open(k, wrapped.Key, []byte("case|"+erased.ID)); err == nil {
			t.Errorf("key %s opens the erased case's data key from the older backup", id)
		}
	}
	// The scan finds the wrapped key where it is (the older backup), or it proves nothing.
	if len(dbtest.FilesHolding(t, before, wrapped.Key)) == 0 {
		t.Fatal("the scan does not find the wrapped key in the older backup that holds it")
	}
	for _, f := range dbtest.FilesHolding(t, env["REGISTRO_DATA_DIR"], wrapped.Key, []byte(secret)) {
		t.Errorf("the data directory after the erasure: %s", f)
	}

	// The older backup is refused with the reason; the newest restores whole.
	fresh := testEnv(t.TempDir())
	fresh["REGISTRO_KEY_FILE"] = keyFile
	err = restoreCommand(ctx, []string{before}, func(k string) string { return fresh[k] }, io.Discard)
	if !errors.Is(err, keyring.ErrWrongKeys) || !strings.Contains(err.Error(), "retired on") {
		t.Errorf("restoring a backup of a retired epoch = %v", err)
	}
	fresh = testEnv(t.TempDir())
	fresh["REGISTRO_KEY_FILE"] = keyFile
	if err := restoreCommand(ctx, []string{final}, func(k string) string { return fresh[k] }, io.Discard); err != nil {
		t.Fatalf("restore of the newest backup: %v", err)
	}
	r, err = open(ctx, func(k string) string { return fresh[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := r.cases.Case(ctx, kept.ID, all); err != nil || c.Narrative != "Relato de respaldo." {
		t.Errorf("the kept case from the newest backup: %v", err)
	}
	r.close()

	msg.Reset()
	if err := checkCommand(ctx, getenv, &msg); err != nil || !strings.Contains(msg.String(), "holds no retired key") {
		t.Errorf("registro check with the current key file: %v\n%s", err, msg.String())
	}

	// Copies of the key file: one from before the rotations stops the server; one
	// that still holds the retired epochs is named at start.
	for name, content := range map[string][]byte{"stale": staleCopy, "retiring": retiringCopy} {
		copyEnv := testEnv(dir)
		copyEnv["REGISTRO_KEY_FILE"] = filepath.Join(t.TempDir(), "kek")
		if err := os.WriteFile(copyEnv["REGISTRO_KEY_FILE"], content, 0o600); err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		c, err := open(ctx, func(k string) string { return copyEnv[k] }, &log)
		switch name {
		case "stale":
			if !errors.Is(err, keyring.ErrStaleKeyFile) {
				t.Errorf("a key file from before the rotation: open = %v, want ErrStaleKeyFile", err)
			}
		case "retiring":
			if err != nil {
				t.Fatalf("a key file that still holds retired keys: %v", err)
			}
			c.close()
			if !strings.Contains(log.String(), "still holds a retired key") || !strings.Contains(log.String(), firstEpoch) {
				t.Errorf("no warning about the retired key still held:\n%s", log.String())
			}
			if err := checkCommand(ctx, func(k string) string { return copyEnv[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "still holds key") {
				t.Errorf("registro check with a key file that holds retired keys = %v", err)
			}
		}
	}
}

// testDay is the day the tests' interrupted rotation happens on, giving epoch
// "e2027-03-01".
var testDay = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

// keyFileKeys reads every key of a key file, epochs and the access log's alike.
func keyFileKeys(t *testing.T, path string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{}
	for _, line := range strings.Split(string(b), "\n") {
		id, enc, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.HasPrefix(id, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatalf("key %s: %v", id, err)
		}
		keys[id] = k
	}
	return keys
}

// backupCase reads one case document of a backup, as an attacker holding the files
// would.
func backupCase(dir, id string) (bson.Raw, error) {
	var found bson.Raw
	err := eachDocument(filepath.Join(dir, "registro", "cases.bson"), func(doc bson.Raw) error {
		if v, _ := doc.LookupErr("_id"); v.StringValue() == id {
			found = doc
		}
		return nil
	})
	if err == nil && found == nil {
		err = errors.New("no such case in the backup")
	}
	return found, err
}

func wrappedKey(t *testing.T, dir, id string) keyring.Wrapped {
	t.Helper()
	doc, err := backupCase(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Key *keyring.Wrapped `bson:"key"`
	}
	if err := bson.Unmarshal(doc, &d); err != nil || d.Key == nil {
		t.Fatalf("case %s in %s has no wrapped key: %v", id, dir, err)
	}
	return *d.Key
}

// decryptNarrative is the attack: find the case in a backup, unwrap its data key with
// the key file's keys, open its narrative (formats as cases/doc.go seals them).
func decryptNarrative(dir, id, keyFile string) (string, error) {
	doc, err := backupCase(dir, id)
	if err != nil {
		return "", err
	}
	var d struct {
		Key       *keyring.Wrapped `bson:"key"`
		Narrative []byte           `bson:"narrative"`
	}
	if err := bson.Unmarshal(doc, &d); err != nil {
		return "", err
	}
	if d.Key == nil {
		return "", errors.New("a tombstone: no data key")
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return "", err
	}
	ring, err := keyring.ParseRing(string(b))
	if err != nil {
		return "", err
	}
	dk, err := ring.Unwrap(*d.Key, []byte("case|"+id))
	if err != nil {
		return "", err
	}
	pt, err := keyring.Open(dk, d.Narrative, []byte(id+"|narrative"))
	return string(pt), err
}
