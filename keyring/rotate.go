package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// IDs returns the ids of the ring's keys, the active one first.
func (r *Ring) IDs() []string {
	ids := []string{r.active}
	for id := range r.keys {
		if id != r.active {
			ids = append(ids, id)
		}
	}
	return ids
}

// RotateFile puts a new random key at the head of the key file at path, making it
// the active one, and keeps the older keys so that data wrapped under them still
// opens until it is rewrapped. The file is replaced atomically and stays mode 0600.
// It returns the new key's id.
func RotateFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("key file %s: %w", path, err)
	}
	r, err := ParseRing(string(b))
	if err != nil {
		return "", fmt.Errorf("key file %s: %w", path, err)
	}
	id := ""
	for n := len(r.keys) + 1; ; n++ {
		if _, taken := r.keys[fmt.Sprintf("k%d", n)]; !taken {
			id = fmt.Sprintf("k%d", n)
			break
		}
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("keyring: random: %w", err)
	}
	// New key first (the active one), then the file as it was, comments included.
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	inserted := false
	for _, l := range lines {
		if !inserted && strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out.WriteString(id + ":" + base64.StdEncoding.EncodeToString(k) + "\n")
			inserted = true
		}
		out.WriteString(l)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kek-*")
	if err != nil {
		return "", fmt.Errorf("key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if _, err := tmp.WriteString(out.String()); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("key file %s: %w", path, err)
	}
	return id, nil
}
