package accounts

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

var orgCodeRE = regexp.MustCompile(`^[A-Z]{2,10}$`)

const (
	defaultThreshold = 5
	minThreshold     = 3 // SPEC §4: k is never below 3
	maxThreshold     = 100
	maxOrgName       = 120
)

// normalizeOrgCode upper-cases a code so that "lim" typed in a form names "LIM".
func normalizeOrgCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// checkOrgCode records a problem with a normalized code under field.
func checkOrgCode(v *validation.Error, field, code string) {
	if !orgCodeRE.MatchString(code) {
		v.Add(field, validation.OrgCode)
	}
}

// CreateOrg creates an organization with the default threshold. It returns a
// *validation.Error naming "code" and "name" when they are invalid, and ErrDuplicate
// when the code is taken.
func (s *Store) CreateOrg(ctx context.Context, code, name string) (_ Org, err error) {
	defer wrap(&err, "accounts.Store.CreateOrg(%s)", code)
	v := &validation.Error{}
	o := s.newOrg(v, code, name)
	if err := v.Err(); err != nil {
		return Org{}, err
	}
	if _, err := s.orgs.InsertOne(ctx, o); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return Org{}, ErrDuplicate
		}
		return Org{}, err
	}
	return o, nil
}

// newOrg normalizes a new organization and records its problems in v.
func (s *Store) newOrg(v *validation.Error, code, name string) Org {
	o := Org{
		Code:      normalizeOrgCode(code),
		Name:      strings.TrimSpace(name),
		Threshold: defaultThreshold,
		CreatedAt: s.now(),
	}
	checkOrgCode(v, "code", o.Code)
	switch n := utf8.RuneCountInString(o.Name); {
	case n == 0:
		v.Add("name", validation.Required)
	case n > maxOrgName:
		v.Add("name", validation.TooLong, "Max", 120)
	case !utf8.ValidString(o.Name):
		v.Add("name", validation.InvalidText)
	}
	return o
}

// Org returns the organization with code (case-insensitive), or ErrNotFound.
func (s *Store) Org(ctx context.Context, code string) (_ Org, err error) {
	defer wrap(&err, "accounts.Store.Org(%s)", code)
	var o Org
	err = s.orgs.FindOne(ctx, bson.D{{Key: "_id", Value: normalizeOrgCode(code)}}).Decode(&o)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Org{}, ErrNotFound
	}
	return o, err
}

// Orgs returns every organization sorted by code; only database errors are returned.
func (s *Store) Orgs(ctx context.Context) (_ []Org, err error) {
	defer wrap(&err, "accounts.Store.Orgs")
	cur, err := s.orgs.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	orgs := []Org{}
	if err := cur.All(ctx, &orgs); err != nil {
		return nil, err
	}
	return orgs, nil
}

// SetThreshold sets an organization's disclosure threshold k. It returns a
// *validation.Error on "threshold" unless 3 ≤ k ≤ 100, and ErrNotFound for an
// unknown code.
func (s *Store) SetThreshold(ctx context.Context, code string, k int) (_ Org, err error) {
	defer wrap(&err, "accounts.Store.SetThreshold(%s)", code)
	if k < minThreshold || k > maxThreshold {
		return Org{}, validation.Field("threshold", validation.Threshold)
	}
	var o Org
	err = s.orgs.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: normalizeOrgCode(code)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "threshold", Value: k}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&o)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Org{}, ErrNotFound
	}
	return o, err
}

// SetShareDays sets the longest share of a case with a legal partner the organization
// allows in one grant. It returns a *validation.Error on "share_days" unless
// 1 ≤ days ≤ MaxShareDays, and ErrNotFound for an unknown code.
func (s *Store) SetShareDays(ctx context.Context, code string, days int) (_ Org, err error) {
	defer wrap(&err, "accounts.Store.SetShareDays(%s)", code)
	if days < 1 || days > MaxShareDays {
		return Org{}, validation.Field("share_days", validation.ShareDays, "Max", MaxShareDays)
	}
	var o Org
	err = s.orgs.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: normalizeOrgCode(code)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "share_days", Value: days}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&o)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Org{}, ErrNotFound
	}
	return o, err
}
