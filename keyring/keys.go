// Package keyring holds Registro's encryption keys: the key-encryption keys (KEKs) that
// never live in the database, the per-case data keys they wrap, the AEAD that seals
// narratives, contacts and notes, and the per-organization pseudonym keys.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the size of every key Registro uses: AES-256 and HMAC-SHA256 keys alike.
const KeySize = 32

// sealVersion starts every sealed value so the format can change later.
const sealVersion = 1

var (
	// ErrUnknownKey is returned when a wrapped key names a KEK the ring does not hold.
	ErrUnknownKey = errors.New("keyring: unknown key-encryption key")
	// ErrDecrypt is returned when a ciphertext fails authentication: wrong key, wrong
	// associated data, or tampering.
	ErrDecrypt = errors.New("keyring: decryption failed")
)

// NewDataKey returns a fresh random data key.
func NewDataKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("keyring: random: %w", err)
	}
	return k, nil
}

// Seal encrypts plaintext with AES-256-GCM under key, binding it to aad (the case id
// and field name, so a ciphertext moved to another case or field fails to open). The
// result is version byte, nonce, ciphertext and tag.
func Seal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("keyring: random: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts a value made by Seal; it returns ErrDecrypt when the value was altered
// or belongs to another key or aad.
func Open(key, sealed, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(sealed) < 1+n+aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrDecrypt
	}
	pt, err := aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("keyring: key of %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return cipher.NewGCM(block)
}
