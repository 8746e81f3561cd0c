package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/cases"
	"registro/keyring"
)

func caseInput(n int) cases.Input {
	yes := true
	return cases.Input{
		Incident:     cases.Incident{Date: "2026-05-14", DatePrecision: "day", District: "150115", Place: "street"},
		Perpetrators: []string{"serenazgo"},
		Violations:   []string{"physical"},
		Consent:      cases.ConsentInput{Record: &yes, Statistics: n%2 == 0, LegalSharing: true},
		Narrative:    "Relato de respaldo.",
		Response:     cases.Response{ReportedTo: []string{"none"}, Referrals: []string{"legal"}, Status: "open"},
	}
}

// TestBackupRestore: a backup taken while cases are being recorded restores into a
// fresh store where every case it holds opens with the key file and the lists, facts and
// access log check; it holds no key file; and another installation's key file cannot
// restore it.
func TestBackupRestore(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("backs up the embedded store")
	}
	ctx := context.Background()
	dir := t.TempDir()
	env := testEnv(dir)
	getenv := func(k string) string { return env[k] }
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	worker := cases.Actor{UserID: "u-w", Username: "w", Org: "LIM", Role: "outreach", Client: "127.0.0.1"}
	for i := range 20 {
		if _, _, err := a.cases.Create(ctx, worker, caseInput(i), ""); err != nil {
			t.Fatal(err)
		}
	}
	// Writes go on while the backup is taken.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			if _, _, err := a.cases.Create(ctx, worker, caseInput(i), ""); err != nil {
				t.Error(err)
				return
			}
		}
	})
	out := filepath.Join(t.TempDir(), "backup")
	var msg strings.Builder
	err = backupCommand(ctx, []string{out}, getenv, &msg)
	stop.Store(true)
	wg.Wait()
	a.close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.String(), "Backed up") {
		t.Errorf("backup said %q", msg.String())
	}
	keys := keyFileKeys(t, env["REGISTRO_KEY_FILE"])
	err = filepath.WalkDir(out, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for id, k := range keys {
			if bytes.Contains(b, k) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(k))) {
				t.Errorf("%s holds key %s of the key file", path, id)
			}
		}
		if fi, _ := e.Info(); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is mode %v", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cases.bson", "cases.metadata.json", "org_keys.bson", "audit.bson", "users.bson"} {
		if _, err := os.Stat(filepath.Join(out, "registro", f)); err != nil {
			t.Errorf("backup lacks %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "registro", "sessions.bson")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the backup holds the sign-in sessions: %v", err)
	}

	// Another installation's key file: refused before anything is written.
	wrongDir := t.TempDir()
	wrongEnv := testEnv(wrongDir)
	if _, _, err := keyring.LoadRingFile(wrongEnv["REGISTRO_KEY_FILE"], ""); err != nil {
		t.Fatal(err)
	}
	if err := restoreCommand(ctx, []string{out}, func(k string) string { return wrongEnv[k] }, io.Discard); !errors.Is(err, keyring.ErrWrongKeys) {
		t.Errorf("restore with another key file = %v, want ErrWrongKeys", err)
	}
	if _, err := os.Stat(wrongEnv["REGISTRO_DATA_DIR"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore created a data directory: %v", err)
	}

	// The right key file, a fresh data directory.
	restoredEnv := testEnv(t.TempDir())
	restoredEnv["REGISTRO_KEY_FILE"] = env["REGISTRO_KEY_FILE"]
	regetenv := func(k string) string { return restoredEnv[k] }
	msg.Reset()
	if err := restoreCommand(ctx, []string{out}, regetenv, &msg); err != nil {
		t.Fatalf("restore: %v\n%s", err, msg.String())
	}
	b, err := open(ctx, regetenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := b.db.Collection("cases").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) < 20 {
		t.Fatalf("%d cases restored, want at least the 20 recorded before the backup", len(ids))
	}
	for _, id := range ids {
		c, err := b.cases.Case(ctx, id.ID, func(*cases.Case) bool { return true })
		if err != nil || c.Narrative != "Relato de respaldo." {
			t.Errorf("restored case %s: %v", id.ID, err)
		}
	}
	b.close()
	if err := restoreCommand(ctx, []string{out}, regetenv, io.Discard); err == nil || !strings.Contains(err.Error(), "empty store") {
		t.Errorf("a second restore into the same store = %v, want a refusal", err)
	}
	t.Logf("%d cases in the backup; restore said: %s", len(ids), strings.TrimSpace(msg.String()))
}
