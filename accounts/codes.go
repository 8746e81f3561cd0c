package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"registro/keyring"
)

// factorUse marks a TOTP step or a recovery code as used: inserting it by _id is what
// decides, atomically on both stores, that a code is accepted once.
type factorUse struct {
	ID    string     `bson:"_id"`
	At    time.Time  `bson:"at"`
	Until *time.Time `bson:"until,omitempty"` // steps only: when the mark may go
}

// checkCode reports whether code is a valid TOTP code or an unused recovery code of
// the second factor f, and uses it up.
func (s *Store) checkCode(ctx context.Context, f factorDoc, code string, now time.Time) (bool, error) {
	if f.Secret == nil {
		return false, nil
	}
	if err := s.needKey(); err != nil {
		return false, err
	}
	if c := strings.ReplaceAll(code, " ", ""); len(c) == int(otp.DigitsSix) && strings.Trim(c, "0123456789") == "" {
		return s.checkTOTP(ctx, f.UserID, f.Secret, c, now)
	}
	return s.checkRecovery(ctx, f, code, now)
}

// checkTOTP reports whether code is the code of sealed's secret within one step of
// now, and marks that step used. Once a step is used, it and the steps before it are
// refused: a code seen over a shoulder, or replayed, does not work again.
func (s *Store) checkTOTP(ctx context.Context, userID string, sealed []byte, code string, now time.Time) (bool, error) {
	secret, err := keyring.Open(s.opts.SecretKey, sealed, totpAAD(userID))
	if err != nil {
		return false, err
	}
	code = strings.ReplaceAll(code, " ", "")
	current := now.Unix() / totpPeriod
	step, found := int64(0), false
	for st := current - totpSkew; st <= current+totpSkew; st++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(st*totpPeriod, 0), totpOpts)
		if err != nil {
			return false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, found = st, true
		}
	}
	if !found {
		return false, nil
	}
	until := now.Add(stepMemory)
	mark := func(st int64) error {
		_, err := s.factorUses.InsertOne(ctx, factorUse{ID: fmt.Sprintf("totp/%s/%d", userID, st), At: now, Until: &until})
		return err
	}
	if err := mark(step); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		return false, err
	}
	// The older steps that the skew still accepts go too; a duplicate means a
	// concurrent sign-in marked it, which is as good.
	for st := step - 2*totpSkew; st < step; st++ {
		if err := mark(st); err != nil && !mongo.IsDuplicateKeyError(err) {
			return false, err
		}
	}
	return true, nil
}

// checkRecovery reports whether code is one of f's recovery codes not used yet, and
// uses it up.
func (s *Store) checkRecovery(ctx context.Context, f factorDoc, code string, now time.Time) (bool, error) {
	h := s.recoveryHash(f.UserID, code)
	match := 0
	for _, r := range f.Recovery {
		match |= subtle.ConstantTimeCompare([]byte(r), []byte(h))
	}
	if match == 0 {
		return false, nil
	}
	_, err := s.factorUses.InsertOne(ctx, factorUse{ID: recoveryUseID(h), At: now})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// recoveryHash keys a recovery code with Options.SecretKey: 46 bits would not resist
// a search through a plain hash taken from a database dump. Case, spaces and dashes
// do not count.
func (s *Store) recoveryHash(userID, code string) string {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(code))
	m := hmac.New(sha256.New, s.opts.SecretKey)
	m.Write([]byte("recovery|" + userID + "|" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func recoveryUseID(hash string) string { return "recovery/" + hash }

// forgetRecoveryUses deletes the use marks of replaced recovery codes.
func (s *Store) forgetRecoveryUses(ctx context.Context, hashes []string) error {
	for _, h := range hashes {
		if _, err := s.factorUses.DeleteOne(ctx, bson.D{{Key: "_id", Value: recoveryUseID(h)}}); err != nil {
			return err
		}
	}
	return nil
}
