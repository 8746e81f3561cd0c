package keyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"registro/database/dbtest"
)

func mustKey(tb testing.TB) []byte {
	tb.Helper()
	k, err := NewDataKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	key := mustKey(t)
	sealed, err := Seal(key, []byte("me golpearon en la comisaría"), []byte("case-1|narrative"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("golpearon")) {
		t.Fatal("sealed value contains the plaintext")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		key    []byte
		sealed []byte
		aad    string
		want   error
	}{
		{"OK", key, sealed, "case-1|narrative", nil},
		{"ErrOtherCase", key, sealed, "case-2|narrative", ErrDecrypt},
		{"ErrOtherField", key, sealed, "case-1|contact", ErrDecrypt},
		{"ErrTampered", key, tampered, "case-1|narrative", ErrDecrypt},
		{"ErrOtherKey", mustKey(t), sealed, "case-1|narrative", ErrDecrypt},
		{"ErrTruncated", key, sealed[:10], "case-1|narrative", ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := Open(tt.key, tt.sealed, []byte(tt.aad))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && string(pt) != "me golpearon en la comisaría" {
				t.Fatalf("plaintext = %q", pt)
			}
		})
	}
	again, _ := Seal(key, []byte("me golpearon en la comisaría"), []byte("case-1|narrative"))
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of one plaintext are equal: nonce reuse")
	}
}

func TestParseRing(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	tests := []struct {
		name, text, active, err string
	}{
		{"OK", "# comment\nk2:" + k2 + "\nk1:" + k1 + "\n", "k2", ""},
		{"OKSemicolons", "k1:" + k1 + ";k2:" + k2, "k1", ""},
		{"ErrEmpty", "# nothing\n", "", "no key"},
		{"ErrShortKey", "k1:AAAA", "", "32 bytes"},
		{"ErrNoID", k1, "", "id:base64"},
		{"ErrDuplicate", "k1:" + k1 + "\nk1:" + k2, "", "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRing(tt.text)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.ActiveID() != tt.active {
				t.Fatalf("active = %s, want %s", r.ActiveID(), tt.active)
			}
		})
	}
}

func TestRingRotation(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	old, _ := ParseRing("k1:" + k1)
	dk := mustKey(t)
	w, err := old.Wrap(dk, []byte("case-1"))
	if err != nil {
		t.Fatal(err)
	}
	rotated, _ := ParseRing("k2:" + k2 + "\nk1:" + k1)
	got, err := rotated.Unwrap(w, []byte("case-1"))
	if err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("unwrap after rotation: %v", err)
	}
	if w2, _ := rotated.Wrap(dk, []byte("case-1")); w2.KEK != "k2" {
		t.Fatalf("new wraps use %s, want k2", w2.KEK)
	}
	gone, _ := ParseRing("k2:" + k2)
	if _, err := gone.Unwrap(w, []byte("case-1")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
	if _, err := rotated.Unwrap(w, []byte("case-2")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want ErrDecrypt", err)
	}
}

func TestLoadRingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "kek")
	r, created, err := LoadRingFile(path, filepath.Join(dir, "data"))
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	r2, created, err := LoadRingFile(path, filepath.Join(dir, "data"))
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v", created, err)
	}
	w, _ := r.Wrap([]byte("0123456789abcdef0123456789abcdef"), nil)
	if _, err := r2.Unwrap(w, nil); err != nil {
		t.Fatalf("reloaded ring cannot unwrap: %v", err)
	}
	if _, _, err := LoadRingFile(filepath.Join(dir, "data", "kek"), filepath.Join(dir, "data")); err == nil || !strings.Contains(err.Error(), "inside the data directory") {
		t.Fatalf("key inside data dir: err = %v", err)
	}
	_ = os.Chmod(path, 0o644)
	if _, _, err := LoadRingFile(path, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: err = %v", err)
	}
}

func TestOrgKeysPseudonym(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	ring, _ := ParseRing("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	a, err := NewOrgKeys(db.Database, ring).Pseudonym(ctx, "LIM")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewOrgKeys(db.Database, ring).Pseudonym(ctx, "LIM")
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("second instance got another key (err %v)", err)
	}
	c, _ := NewOrgKeys(db.Database, ring).Pseudonym(ctx, "CAL")
	if bytes.Equal(a, c) {
		t.Fatal("two organizations share a pseudonym key")
	}
}

func TestRotateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "kek")
	before, _, err := LoadRingFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	first := before.ActiveID()
	w, _ := before.Wrap(bytes.Repeat([]byte{9}, 32), []byte("case-1"))
	day := time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC)
	id, err := RotateFile(path, day)
	if err != nil || id != "e2027-01-05" {
		t.Fatalf("rotate: id %q, err %v", id, err)
	}
	if id2, err := RotateFile(path, day); err != nil || id2 != "e2027-01-05-2" {
		t.Fatalf("second rotation on one day: id %q, err %v", id2, err)
	}
	after, _, err := LoadRingFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"e2027-01-05-2", first, "e2027-01-05"}; after.ActiveID() != want[0] || len(after.IDs()) != 3 {
		t.Fatalf("after rotations: active %s, ids %v; want %v", after.ActiveID(), after.IDs(), want)
	}
	if _, err := after.Unwrap(w, []byte("case-1")); err != nil {
		t.Fatalf("a key wrapped before the rotation no longer opens: %v", err)
	}
	if !bytes.Equal(after.AuditKey(), before.AuditKey()) || before.AuditKey() == nil {
		t.Fatal("rotation changed or lost the access log's key")
	}
	b, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 || !strings.HasPrefix(string(b), "# Registro") {
		t.Fatalf("key file after rotation: mode %v, content starts %q", fi.Mode().Perm(), b[:20])
	}
}

func TestRetireFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	r, _, err := LoadRingFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	old := r.ActiveID()
	w, _ := r.Wrap(bytes.Repeat([]byte{7}, 32), []byte("case-1"))
	if err := RetireFile(path, old, time.Date(2027, 2, 3, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrActiveKey) {
		t.Fatalf("retiring the active key: err = %v", err)
	}
	for _, id := range []string{AuditID, "e1999-01-01"} {
		if err := RetireFile(path, id, time.Now()); err == nil {
			t.Fatalf("retiring %q: no error", id)
		}
	}
	if _, err := RotateFile(path, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := RetireFile(path, old, time.Date(2027, 2, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	r2, _, err := LoadRingFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Has(old) || strings.Contains(string(b), old+":") || len(r2.IDs()) != 1 {
		t.Fatalf("after retiring %s the file still names it, or lost another key: ids %v", old, r2.IDs())
	}
	if _, err := r2.Unwrap(w, []byte("case-1")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("a key wrapped under the retired epoch: err = %v, want ErrUnknownKey", err)
	}
	if !bytes.Equal(r2.AuditKey(), r.AuditKey()) {
		t.Fatal("retiring an epoch changed the access log's key")
	}
	if day, ok := r2.RetiredOn(old); !ok || day != "2027-02-03" {
		t.Fatalf("the key file does not say when %s was retired: %q %v", old, day, ok)
	}
}

func TestAuditKeyLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	if err := os.WriteFile(path, []byte("k1:"+k1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _, err := LoadRingFile(path, "")
	if err != nil || r.AuditKey() != nil {
		t.Fatalf("an old key file: audit key %v, err %v", r.AuditKey(), err)
	}
	r, err = AddAuditKey(path)
	if err != nil || len(r.AuditKey()) != KeySize || r.ActiveID() != "k1" || len(r.IDs()) != 1 {
		t.Fatalf("after AddAuditKey: active %s ids %v audit %d bytes, err %v", r.ActiveID(), r.IDs(), len(r.AuditKey()), err)
	}
	if _, err := AddAuditKey(path); err == nil {
		t.Fatal("a second access-log key was added")
	}
	if _, err := ParseRing("audit:" + k1 + "\naudit:" + k1 + "\nk1:" + k1); err == nil {
		t.Fatal("two access-log keys parsed")
	}
	if _, err := ParseRing("audit:" + k1); err == nil {
		t.Fatal("a file with only the access-log key parsed")
	}
}

// TestAccountsKey: derived from the access log's key, distinct from it, stable across
// rotations, and absent without it.
func TestAccountsKey(t *testing.T) {
	k := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	a := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{4}, 32))
	r1, _ := ParseRing("k1:" + k + "\naudit:" + a)
	r2, _ := ParseRing("k2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32)) + "\nk1:" + k + "\naudit:" + a)
	if len(r1.AccountsKey()) != KeySize || !bytes.Equal(r1.AccountsKey(), r2.AccountsKey()) || bytes.Equal(r1.AccountsKey(), r1.AuditKey()) {
		t.Fatal("the accounts key is not a stable key of its own")
	}
	r3, _ := ParseRing("k1:" + k)
	if r3.AccountsKey() != nil {
		t.Fatal("an accounts key without the access log's key")
	}
}
