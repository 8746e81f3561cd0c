package keyring

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Ring holds the key-encryption keys. The first key is the active one, used to wrap
// new data keys; the others still unwrap keys wrapped before a rotation. Each key is
// an epoch: `registro keys rotate` starts one, `registro keys retire` destroys one.
//
// A line "audit:base64" is not a key-encryption key but the access log's chain key
// (see AuditKey): it lives as long as the installation and is never rotated with the
// epochs, since retiring it would leave the log unverifiable.
type Ring struct {
	active string
	keys   map[string][]byte
	audit  []byte
	// retired maps the ids of epochs retired from this key file to the day they were
	// ("2026-12-02"), from its "# retired ID on DATE" comments.
	retired map[string]string
}

// AuditID is the id of the key file's line that holds the access log's chain key.
const AuditID = "audit"

// Wrapped is a data key encrypted under a KEK, named by the KEK's id so the KEK can
// rotate.
type Wrapped struct {
	KEK string `bson:"kek"`
	Key []byte `bson:"key"`
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ParseRing reads keys written one per line as "id:base64" (blank lines and lines
// starting with # are ignored); the first key is active. It returns an error naming the
// line when a key is malformed, not 32 bytes, or an id repeats.
func ParseRing(text string) (*Ring, error) {
	r := &Ring{keys: make(map[string][]byte), retired: make(map[string]string)}
	for i, line := range strings.FieldsFunc(text, func(c rune) bool { return c == '\n' || c == ';' }) {
		line = strings.TrimSpace(line)
		if f := strings.Fields(line); len(f) == 5 && f[0]+" "+f[1] == retiredMark && f[3] == "on" {
			r.retired[f[2]] = f[4]
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, enc, ok := strings.Cut(line, ":")
		if !ok || !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("key %d: want \"id:base64\" with an id of letters, digits, _ or -", i+1)
		}
		k, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(k) != KeySize {
			return nil, fmt.Errorf("key %q: want %d bytes in standard base64", id, KeySize)
		}
		if _, dup := r.keys[id]; dup || (id == AuditID && r.audit != nil) {
			return nil, fmt.Errorf("key %q appears twice", id)
		}
		if id == AuditID {
			r.audit = k
			continue
		}
		r.keys[id] = k
		if r.active == "" {
			r.active = id
		}
	}
	if r.active == "" {
		return nil, errors.New("no key-encryption key found")
	}
	return r, nil
}

// RetiredOn returns the day epoch id was retired from this key file, if it was.
func (r *Ring) RetiredOn(id string) (day string, ok bool) {
	day, ok = r.retired[id]
	return day, ok
}

// AuditKey returns the access log's chain key, or nil when the keys given have none
// (a key file written before the access log was keyed; see AddAuditKey).
func (r *Ring) AuditKey() []byte { return r.audit }

// LoadRingFile reads the key file at path, creating it with one new random key (mode
// 0600, in a directory of mode 0700) when it does not exist. It refuses a path inside
// dataDir, since a copy of the data alone must decrypt nothing. created reports whether
// a new file was written.
func LoadRingFile(path, dataDir string) (r *Ring, created bool, err error) {
	return OpenRingFile(path, dataDir, true)
}

// ErrKeyFileMissing reports that the key file does not exist while the data it opens
// does.
var ErrKeyFileMissing = errors.New("the key file is missing")

// OpenRingFile is LoadRingFile that creates a missing key file only when mayCreate: a
// store that already holds sealed data needs its own key file back, never a new one
// (which would open none of it, and would be written over the way back).
func OpenRingFile(path, dataDir string, mayCreate bool) (r *Ring, created bool, err error) {
	if Inside(path, dataDir) {
		return nil, false, fmt.Errorf("key file %s is inside the data directory %s: keep it elsewhere so a copy of the data alone decrypts nothing", path, dataDir)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !mayCreate {
		return nil, false, fmt.Errorf("%w: %s does not exist, but the database holds data sealed under its keys: restore it from its backup (a new key would open none of that data)", ErrKeyFileMissing, path)
	}
	if errors.Is(err, os.ErrNotExist) {
		if err := writeNewRing(path); err != nil {
			return nil, false, err
		}
		created = true
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("key file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("key file %s is readable by other accounts (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	r, err = ParseRing(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("key file %s: %w", path, err)
	}
	return r, created, nil
}

func writeNewRing(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return fmt.Errorf("keyring: random: %w", err)
	}
	a := make([]byte, KeySize)
	if _, err := rand.Read(a); err != nil {
		return fmt.Errorf("keyring: random: %w", err)
	}
	content := "# Registro keys: back this file up apart from the data.\n" +
		"# Without it no narrative, contact or note can be read, and the access log cannot be verified.\n" +
		"# The first key wraps new data keys, and each key is an epoch (registro keys rotate / retire).\n" +
		epochID(nil, time.Now()) + ":" + base64.StdEncoding.EncodeToString(k) + "\n" +
		"# The access log's chain key: never remove it.\n" +
		AuditID + ":" + base64.StdEncoding.EncodeToString(a) + "\n"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return f.Close()
}

// Inside reports whether path lies in the directory dir (a key file there would be
// copied with the data it protects).
func Inside(path, dir string) bool {
	if dir == "" {
		return false
	}
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// ActiveID names the key that wraps new data keys.
func (r *Ring) ActiveID() string { return r.active }

// Wrap encrypts a data key under the active KEK, bound to aad.
func (r *Ring) Wrap(dataKey, aad []byte) (Wrapped, error) {
	b, err := Seal(r.keys[r.active], dataKey, aad)
	if err != nil {
		return Wrapped{}, err
	}
	return Wrapped{KEK: r.active, Key: b}, nil
}

// Unwrap decrypts a wrapped data key; it returns ErrUnknownKey when the ring lacks the
// KEK named, and ErrDecrypt when the wrapped key or aad was altered.
func (r *Ring) Unwrap(w Wrapped, aad []byte) ([]byte, error) {
	kek, ok := r.keys[w.KEK]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, w.KEK)
	}
	return Open(kek, w.Key, aad)
}

// AccountsKey returns the key that seals the accounts' second-factor secrets, derived
// from the access log's key (HKDF-SHA256, its own label): like that key it lives as
// long as the installation and is never rotated with the epochs, since a rotation would
// otherwise have to reseal every account's secret. Nil when the ring has no audit key.
func (r *Ring) AccountsKey() []byte {
	if r.audit == nil {
		return nil
	}
	k, err := hkdf.Key(sha256.New, r.audit, nil, "registro accounts secrets v1", KeySize)
	if err != nil {
		panic("keyring: hkdf: " + err.Error()) // only for lengths HKDF cannot give
	}
	return k
}

// PhoneKey returns the root of the keys that seal what a phone keeps of unsent work
// (drafts and queued sends): derived from the access log's key (HKDF-SHA256, its own
// label), so it lives with the key file and never in the database. Nil when the ring
// has no audit key.
func (r *Ring) PhoneKey() []byte {
	if r.audit == nil {
		return nil
	}
	k, err := hkdf.Key(sha256.New, r.audit, nil, "registro phone keys v1", KeySize)
	if err != nil {
		panic("keyring: hkdf: " + err.Error())
	}
	return k
}
