package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// IDs returns the ids of the ring's keys, the active one first, the others in order.
func (r *Ring) IDs() []string {
	ids := []string{r.active}
	var rest []string
	for id := range r.keys {
		if id != r.active {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	return append(ids, rest...)
}

// Has reports whether the ring holds the key-encryption key id.
func (r *Ring) Has(id string) bool {
	_, ok := r.keys[id]
	return ok
}

// epochID names a new epoch by its day, "e2026-12-02", with "-2", "-3", … when the
// day's name is taken (two rotations on one day).
func epochID(r *Ring, now time.Time) string {
	base := "e" + now.UTC().Format("2006-01-02")
	id := base
	for n := 2; r != nil && (r.Has(id) || id == AuditID); n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	return id
}

// RotateFile starts a new epoch: it puts a new random key at the head of the key file
// at path, making it the active one, and keeps the older keys so that data wrapped
// under them still opens until it is rewrapped. The file is replaced atomically and
// stays mode 0600. It returns the new key's id.
func RotateFile(path string, now time.Time) (string, error) {
	b, r, err := readRing(path)
	if err != nil {
		return "", err
	}
	id := epochID(r, now)
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("keyring: random: %w", err)
	}
	// New key first (the active one), then the file as it was, comments included.
	var out strings.Builder
	inserted := false
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if t := strings.TrimSpace(l); !inserted && t != "" && !strings.HasPrefix(t, "#") {
			out.WriteString(id + ":" + base64.StdEncoding.EncodeToString(k) + "\n")
			inserted = true
		}
		out.WriteString(l)
	}
	return id, replaceFile(path, out.String())
}

// retiredMark opens the comment that replaces a retired key's line.
const retiredMark = "# retired"

// ErrActiveKey reports an attempt to retire the key that wraps new data keys.
var ErrActiveKey = errors.New("the active key cannot be retired: rotate first")

// RetireFile removes the key-encryption key id from the key file at path, destroying
// the epoch: whatever is still wrapped under it, in the store or in any backup, can no
// longer be opened. The caller must first have checked that no live data key uses it.
// The active key and the access log's key are refused. A comment "# retired ID on
// DATE" takes the key's place, so that a backup sealed under it can be explained.
func RetireFile(path, id string, now time.Time) error {
	b, r, err := readRing(path)
	if err != nil {
		return err
	}
	switch {
	case id == AuditID:
		return fmt.Errorf("%q is the access log's key, not an epoch: it is never retired", id)
	case !r.Has(id):
		return fmt.Errorf("key file %s holds no key %q (it holds %s)", path, id, strings.Join(r.IDs(), ", "))
	case id == r.ActiveID():
		return fmt.Errorf("%w (%q is active)", ErrActiveKey, id)
	}
	var out strings.Builder
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && k == id {
			out.WriteString(retiredMark + " " + id + " on " + now.UTC().Format(time.DateOnly) + "\n")
			continue
		}
		out.WriteString(l)
	}
	if _, err := ParseRing(out.String()); err != nil {
		return fmt.Errorf("key file %s: retiring %q would leave it unreadable: %w", path, id, err)
	}
	return replaceFile(path, out.String())
}

// AddAuditKey appends a new access-log key to the key file at path, which must have
// none, and returns the ring as it now reads. A key file written before the access
// log was keyed gets its key this way, once.
func AddAuditKey(path string) (*Ring, error) {
	b, r, err := readRing(path)
	if err != nil {
		return nil, err
	}
	if r.AuditKey() != nil {
		return nil, fmt.Errorf("key file %s already holds an access-log key", path)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("keyring: random: %w", err)
	}
	s := string(b)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	s += "# The access log's chain key: never remove it.\n" + AuditID + ":" + base64.StdEncoding.EncodeToString(k) + "\n"
	if err := replaceFile(path, s); err != nil {
		return nil, err
	}
	return ParseRing(s)
}

func readRing(path string) ([]byte, *Ring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("key file %s: %w", path, err)
	}
	r, err := ParseRing(string(b))
	if err != nil {
		return nil, nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return b, r, nil
}

// replaceFile writes content to path atomically (a synced temporary file renamed over
// it, then the directory synced), mode 0600.
func replaceFile(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kek-*")
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if _, err := tmp.WriteString(content); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
