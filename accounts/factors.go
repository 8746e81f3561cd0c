package accounts

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/keyring"
	"registro/validation"
)

// TOTP as RFC 6238 and every authenticator app default to: 6 digits, 30 s, SHA-1.
const (
	totpIssuer      = "Registro"
	totpPeriod      = 30
	totpSkew        = 1 // steps accepted either side of now
	pendingLifetime = 30 * time.Minute
	// stepMemory is how long a used step is remembered: longer than the skew lets
	// any code be accepted.
	stepMemory = 5 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// factorDoc is an account's second factor in "second_factors", by user id. Secrets
// are sealed with Options.SecretKey (AES-GCM, aad "totp|<user id>"), so neither a
// database dump nor a document moved to another account gives a working secret.
// Recovery codes are kept as keyed hashes (recoveryHash).
type factorDoc struct {
	UserID     string    `bson:"_id"`
	Secret     []byte    `bson:"secret"`  // sealed base32 secret in use; nil before ConfirmTOTP
	Pending    []byte    `bson:"pending"` // sealed base32 secret awaiting ConfirmTOTP
	PendingAt  time.Time `bson:"pending_at"`
	Recovery   []string  `bson:"recovery"`
	EnrolledAt time.Time `bson:"enrolled_at"`
}

// Enrolment is what the account page shows to enrol an authenticator app: the QR code
// (PNG) of URL, and Secret for typing in by hand.
type Enrolment struct {
	Secret string
	URL    string
	PNG    []byte
}

func (s *Store) needKey() error {
	if len(s.opts.SecretKey) != keyring.KeySize {
		return ErrNoSecretKey
	}
	return nil
}

func totpAAD(userID string) []byte { return []byte("totp|" + userID) }

// BeginTOTP starts enrolling an authenticator for the account (id or username): it
// keeps a new secret pending for 30 minutes, until ConfirmTOTP. A second factor in
// use stays in use until then. It returns ErrNotFound and ErrNoSecretKey.
func (s *Store) BeginTOTP(ctx context.Context, userID string) (_ Enrolment, err error) {
	defer wrap(&err, "accounts.Store.BeginTOTP(%s)", userID)
	if err := s.needKey(); err != nil {
		return Enrolment{}, err
	}
	d, err := s.userDoc(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: d.Username + "@" + d.Org,
		Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, err
	}
	sealed, err := keyring.Seal(s.opts.SecretKey, []byte(key.Secret()), totpAAD(d.ID))
	if err != nil {
		return Enrolment{}, err
	}
	_, err = s.factors.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: sealed}, {Key: "pending_at", Value: s.now()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return Enrolment{}, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), PNG: buf.Bytes()}, nil
}

// ConfirmTOTP puts the pending secret in use once code shows the app has it, and
// returns 10 new single-use recovery codes ("abcde-fghij"), which replace any earlier
// ones. It returns a *validation.Error on "code" when there is no enrolment under way
// or the code is wrong, ErrNotFound and ErrNoSecretKey.
func (s *Store) ConfirmTOTP(ctx context.Context, userID, code string) (recovery []string, err error) {
	defer wrap(&err, "accounts.Store.ConfirmTOTP(%s)", userID)
	if err := s.needKey(); err != nil {
		return nil, err
	}
	d, err := s.userDoc(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	f, found, err := s.factor(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	if !found || f.Pending == nil || now.Sub(f.PendingAt) > pendingLifetime {
		return nil, validation.Field("code", validation.NoEnrolment)
	}
	ok, err := s.checkTOTP(ctx, d.ID, f.Pending, code, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, validation.Field("code", validation.WrongCode)
	}
	hashes := make([]string, recoveryCount)
	recovery = make([]string, recoveryCount)
	for i := range recovery {
		recovery[i] = recoveryCode()
		hashes[i] = s.recoveryHash(d.ID, recovery[i])
	}
	_, err = s.factors.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "secret", Value: f.Pending}, {Key: "recovery", Value: hashes}, {Key: "enrolled_at", Value: now}}},
		{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}, {Key: "pending_at", Value: ""}}},
	})
	if err != nil {
		return nil, err
	}
	if err := s.setSecondFactor(ctx, d.ID, true); err != nil {
		return nil, err
	}
	if err := s.forgetRecoveryUses(ctx, f.Recovery); err != nil {
		return nil, err
	}
	return recovery, nil
}

// RemoveSecondFactor removes the account's second factor and its recovery codes: the
// recovery path of the server-side command line when she lost her phone and codes. A
// password reset never calls it. It returns ErrNotFound.
func (s *Store) RemoveSecondFactor(ctx context.Context, userID string) (err error) {
	defer wrap(&err, "accounts.Store.RemoveSecondFactor(%s)", userID)
	d, err := s.userDoc(ctx, userID)
	if err != nil {
		return err
	}
	// The flag goes first: a crash after it leaves a harmless document, never an
	// account asked for a code it can no longer give.
	if err := s.setSecondFactor(ctx, d.ID, false); err != nil {
		return err
	}
	f, _, err := s.factor(ctx, d.ID)
	if err != nil {
		return err
	}
	if _, err := s.factors.DeleteOne(ctx, bson.D{{Key: "_id", Value: d.ID}}); err != nil {
		return err
	}
	return s.forgetRecoveryUses(ctx, f.Recovery)
}

// RecoveryCodesLeft returns how many of the account's recovery codes are unused (0
// without a second factor). It returns ErrNotFound.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (_ int, err error) {
	defer wrap(&err, "accounts.Store.RecoveryCodesLeft(%s)", userID)
	d, err := s.userDoc(ctx, userID)
	if err != nil {
		return 0, err
	}
	f, found, err := s.factor(ctx, d.ID)
	if err != nil || !found || f.Secret == nil {
		return 0, err
	}
	left := 0
	for _, h := range f.Recovery {
		err := s.factorUses.FindOne(ctx, bson.D{{Key: "_id", Value: recoveryUseID(h)}}).Err()
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			left++
		case err != nil:
			return 0, err
		}
	}
	return left, nil
}

func (s *Store) setSecondFactor(ctx context.Context, userID string, on bool) error {
	_, err := s.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: userID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "second_factor", Value: on}, {Key: "updated_at", Value: s.now()}}}})
	return err
}

// factor reads the account's second factor: one {_id} lookup.
func (s *Store) factor(ctx context.Context, userID string) (factorDoc, bool, error) {
	var f factorDoc
	err := s.factors.FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return factorDoc{}, false, nil
	}
	return f, err == nil, err
}
