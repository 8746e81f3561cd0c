package cases

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Imported says where a case brought in from the organization's earlier registry came
// from, and on what the consent it carries rests.
type Imported struct {
	// File and Row name the spreadsheet row (the header is row 1).
	File string `json:"file" bson:"file"`
	Row  int    `json:"row" bson:"row"`
	// Batch names the import run, the same for every case of one file sent at once.
	Batch string `json:"batch" bson:"batch"`
	// NoCode: the row had no survivor code, so the case has a random pseudonym and
	// joins none of her other cases.
	NoCode bool `json:"no_code,omitempty" bson:"no_code,omitempty"`
	// Minor: the row was about someone under 18, imported because the coordinator
	// confirmed it; no age band says so, hence this mark.
	Minor bool `json:"minor,omitempty" bson:"minor,omitempty"`
	// ConsentSource is the coordinator's statement, for the whole file, of what the
	// survivors agreed to when the old registry was kept.
	ConsentSource string `json:"consent_source" bson:"consent_source"`
}

// ErrErasedSinceImport is returned when a row's case was imported before and erased
// since: a later import of the same row never brings it back.
var ErrErasedSinceImport = errors.New("this row was imported before and its case has been erased since")

// ImportKey returns the key that marks a row of a file as imported into org: a MAC,
// under the organization's pseudonym key, of the mapping and of the row's mapped
// cells. The same row under the same mapping gives the same key on any server, and
// nobody without the key file can tell from it what the row held.
func (s *Store) ImportKey(ctx context.Context, org, mapping string, content []string) (_ string, err error) {
	defer wrap(&err, "cases.Store.ImportKey")
	orgKey, err := s.orgKeys.Pseudonym(ctx, org)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, orgKey)
	m.Write([]byte("import\x00" + org + "\x00" + mapping))
	for _, c := range content {
		m.Write([]byte{0})
		m.Write([]byte(c))
	}
	return "import-" + hex.EncodeToString(m.Sum(nil)), nil
}

// WasImported reports whether the row with key was imported before (its case may
// have been erased since).
func (s *Store) WasImported(ctx context.Context, key string) (_ bool, err error) {
	defer wrap(&err, "cases.Store.WasImported")
	err = s.idem.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// Import records in as a case brought in from src, at most once for key (from
// ImportKey): a row imported before returns its case with existed true, or
// ErrErasedSinceImport when that case was erased. It validates as Create does and
// returns *validation.Error naming every field; the case is written as Create writes
// it, with its access-log entry "case.import".
func (s *Store) Import(ctx context.Context, a Actor, in Input, src Imported, key string) (_ *Case, existed bool, err error) {
	defer wrap(&err, "cases.Store.Import")
	claim := func(_ []byte, c *Case) (string, *idemDoc, error) {
		return "import|" + key, &idemDoc{ID: key, CaseID: c.ID, BodyMAC: key, CreatedAt: c.RecordedAt, Keep: true}, nil
	}
	c, existed, err := s.create(ctx, a, in, &src, claim)
	if errors.Is(err, ErrNotFound) {
		// Only an earlier attempt's case, read back, can be missing here.
		if was, werr := s.WasImported(ctx, key); werr == nil && was {
			return nil, true, ErrErasedSinceImport
		}
	}
	return c, existed, err
}
