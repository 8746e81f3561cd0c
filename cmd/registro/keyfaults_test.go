package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"registro/audit"
	"registro/keyring"
)

// TestKeyFaults: the operator loses the key file, or puts another installation's in its
// place. Nothing starts over data it cannot open, and no command writes a key file
// before the key has been checked against the data.
func TestKeyFaults(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("uses the embedded store's data directory")
	}
	dir := t.TempDir()
	env := testEnv(dir)
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	keyFile := env["REGISTRO_KEY_FILE"]

	// First start on an empty store: the key file is created, and data sealed under it.
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.orgKeys.Pseudonym(ctx, "LIM"); err != nil {
		t.Fatal(err)
	}
	a.close()
	good, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	// The key file is lost: no start, and no new key written in its place.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := open(ctx, getenv, io.Discard); !errors.Is(err, keyring.ErrKeyFileMissing) || !strings.Contains(err.Error(), "restore it from its backup") {
		t.Errorf("start without the key file = %v, want ErrKeyFileMissing telling to restore it", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a start without the key file wrote one: %v", err)
	}

	// Another installation's key file: no start, and `keys rotate` leaves the file alone.
	other := filepath.Join(t.TempDir(), "other")
	if _, _, err := keyring.LoadRingFile(other, ""); err != nil {
		t.Fatal(err)
	}
	wrong, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, wrong, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := open(ctx, getenv, io.Discard); !errors.Is(err, keyring.ErrWrongKeys) || !strings.Contains(err.Error(), "LIM") {
		t.Errorf("start with another key file = %v, want ErrWrongKeys naming the organization", err)
	}
	if err := keysCommand(ctx, []string{"rotate"}, getenv, io.Discard); !errors.Is(err, keyring.ErrWrongKeys) {
		t.Errorf("keys rotate with another key file = %v, want ErrWrongKeys", err)
	}
	if after, _ := os.ReadFile(keyFile); string(after) != string(wrong) {
		t.Error("keys rotate changed a key file that does not open the data")
	}

	// The right key file back: the store opens again.
	if err := os.WriteFile(keyFile, good, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err = open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatalf("start with the right key file: %v", err)
	}
	a.close()
}

// TestStoreFaults: the files of the data directory are private to the account, and a
// damaged store file stops the start with a clear message instead of a raw error on
// the first read.
func TestStoreFaults(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("uses the embedded store's data directory")
	}
	dir := t.TempDir()
	env := testEnv(dir)
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.orgKeys.Pseudonym(ctx, "LIM"); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	a.close()
	if err := checkCommand(ctx, getenv, &out); err != nil || !strings.Contains(out.String(), "integrity check") {
		t.Fatalf("check on a sound store: %v\n%s", err, out.String())
	}
	var files int
	err = filepath.WalkDir(env["REGISTRO_DATA_DIR"], func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		files++
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is mode %v: readable by other accounts", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walked %d files: %v", files, err)
	}

	// Damage the middle of the store's file, as a failing disk would.
	store := filepath.Join(env["REGISTRO_DATA_DIR"], "sqlite", "registro.sqlite")
	b, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(b)-4096; i += 4096 {
		copy(b[i+100:], []byte(strings.Repeat("\xff", 200)))
	}
	if err := os.WriteFile(store, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := open(ctx, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "restore the data directory") {
		t.Errorf("start on a damaged store = %v, want a refusal telling to restore it", err)
	}
}

// TestAuditAnchorCommands: the auditor prints an anchor, and verify checks the log
// against it; a line that does not parse, or names an entry the log no longer has,
// fails.
func TestAuditAnchorCommands(t *testing.T) {
	ctx := context.Background()
	a, _, getenv := openEmbedded(t)
	for i := range 3 {
		if _, err := a.audit.Append(ctx, audit.Entry{Org: "LIM", Actor: "u", Action: "case.read", Object: strconv.Itoa(i), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	a.close()
	var out strings.Builder
	if err := auditCommand(ctx, []string{"anchor", "LIM"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(out.String())
	if !strings.HasPrefix(line, "registro-anchor/1 LIM 3 ") {
		t.Fatalf("anchor printed %q", line)
	}
	out.Reset()
	if err := auditCommand(ctx, []string{"verify", "--anchor", line}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "extends the anchor at entry 3") {
		t.Fatalf("verify --anchor: %v\n%s", err, out.String())
	}
	forged := strings.Replace(line, " 3 ", " 9 ", 1)
	out.Reset()
	if err := auditCommand(ctx, []string{"verify", "--anchor", forged}, getenv, &out, io.Discard); err == nil || !strings.Contains(out.String(), "does not extend the anchor") {
		t.Errorf("verify against an anchor past the log: %v\n%s", err, out.String())
	}
	if err := auditCommand(ctx, []string{"verify", "--anchor", "not an anchor"}, getenv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "not an anchor line") {
		t.Errorf("verify with a malformed anchor: %v", err)
	}
}
