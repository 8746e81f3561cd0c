package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id cost parameters written into every hash.
type argonParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// defaultParams are OWASP's recommended argon2id settings (m=19 MiB, t=2, p=1). They
// are read back from each stored hash, so raising them later keeps old hashes valid.
// (Sign-in does not rehash: it would write the account document, and on the embedded
// store that write could undo a concurrent change to the account.)
var defaultParams = argonParams{Memory: 19456, Time: 2, Threads: 1}

const (
	saltLen        = 16
	keyLen         = 32
	minPassword    = 10
	maxPassword    = 256
	maxParamMemory = 1 << 21 // 2 GiB: a damaged hash must not exhaust memory
	maxParamTime   = 64
)

var errMalformedHash = errors.New("malformed password hash")

// hashPassword returns a PHC string: $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>.
func hashPassword(password string, p argonParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword reports whether password matches the PHC string, comparing in
// constant time, and the parameters the hash was made with.
func verifyPassword(password, phc string) (bool, argonParams, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, argonParams{}, errMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, argonParams{}, errMalformedHash
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory < 8 || p.Memory > maxParamMemory || p.Time < 1 || p.Time > maxParamTime || p.Threads < 1 {
		return false, argonParams{}, errMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 128 {
		return false, argonParams{}, errMalformedHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, p, nil
}

// dummyHash is verified against when a username is unknown, so that a sign-in takes
// as long for an unknown user as for a wrong password and does not reveal which
// usernames exist. It is the hash of a random password nobody kept, made with
// defaultParams (a test checks they still match).
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$LJCwzynCfVuBeYt+D2Q9qA$eAsHkdG5qvudZVKAz0SnFmxfAZI1prEB7LcB/K49TLA"

// verify is verifyPassword counted: a sign-in must do exactly one, whatever the
// username, and the tests check that it does.
func (s *Store) verify(password, phc string) (bool, error) {
	s.hashes.Add(1)
	ok, _, err := verifyPassword(password, phc)
	return ok, err
}
