package imports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Mappings keeps each organization's last confirmed mapping, so that the next file
// kept the same way needs no mapping again.
type Mappings struct {
	coll *mongo.Collection
}

// NewMappings returns the saved mappings in db.
func NewMappings(db *mongo.Database) *Mappings {
	return &Mappings{coll: db.Collection("import_mappings")}
}

// mappingDoc stores a mapping as pairs: a header may hold dots or a leading "$",
// which a document's field names may not.
type mappingDoc struct {
	Org      string        `bson:"_id"`
	Columns  []columnField `bson:"columns"`
	Defaults []columnField `bson:"defaults"`
	SavedAt  time.Time     `bson:"saved_at"`
}

type columnField struct {
	Name  string `bson:"name"`
	Value string `bson:"value"`
}

// Load returns org's saved mapping, or an empty one when none was saved; it returns
// only the database's error.
func (s *Mappings) Load(ctx context.Context, org string) (Mapping, error) {
	var d mappingDoc
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: org}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Mapping{Columns: map[string]Field{}}, nil
	}
	if err != nil {
		return Mapping{}, fmt.Errorf("imports.Mappings.Load(%s): %w", org, err)
	}
	m := Mapping{Columns: make(map[string]Field, len(d.Columns))}
	for _, c := range d.Columns {
		m.Columns[c.Name] = Field(c.Value)
	}
	if len(d.Defaults) > 0 {
		m.Defaults = make(map[Field]string, len(d.Defaults))
		for _, c := range d.Defaults {
			m.Defaults[Field(c.Name)] = c.Value
		}
	}
	return m, nil
}

// Save keeps m as org's mapping, replacing the one saved before; it returns only the
// database's error.
func (s *Mappings) Save(ctx context.Context, org string, m Mapping) error {
	d := mappingDoc{Org: org, SavedAt: time.Now().UTC(), Columns: []columnField{}, Defaults: []columnField{}}
	for name, f := range m.Columns {
		d.Columns = append(d.Columns, columnField{Name: name, Value: string(f)})
	}
	for f, v := range m.Defaults {
		d.Defaults = append(d.Defaults, columnField{Name: string(f), Value: v})
	}
	_, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: org}}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("imports.Mappings.Save(%s): %w", org, err)
	}
	return nil
}

// With returns m with the columns of header that prior maps taken from prior (a
// coordinator's choice beats a recognised name), and prior's defaults where m has
// none.
func (m Mapping) With(prior Mapping, header []string) Mapping {
	out := Mapping{Columns: make(map[string]Field, len(header)), Defaults: map[Field]string{}}
	for _, h := range header {
		if f, ok := prior.Columns[h]; ok {
			out.Columns[h] = f
		} else if f, ok := m.Columns[h]; ok {
			out.Columns[h] = f
		}
	}
	for f, v := range prior.Defaults {
		out.Defaults[f] = v
	}
	for f, v := range m.Defaults {
		out.Defaults[f] = v
	}
	return out
}
