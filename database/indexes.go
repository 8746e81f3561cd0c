package database

import (
	"context"
	"errors"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// CreateIndexes creates the indexes one at a time, idempotently: on the embedded store
// (FerretDB 1.24) a createIndexes command listing two or more indexes that already
// exist drops the connection, which would make every restart fail.
func CreateIndexes(ctx context.Context, c *mongo.Collection, models ...mongo.IndexModel) error {
	for _, m := range models {
		if _, err := c.Indexes().CreateOne(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// EnsureCollections creates the named collections that do not exist yet, so that
// IndexIDs, which works on the embedded store's tables, can index them before they
// fill up.
func EnsureCollections(ctx context.Context, db *mongo.Database, names ...string) error {
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return err
	}
	for _, n := range names {
		if slices.Contains(have, n) {
			continue
		}
		if err := db.CreateCollection(ctx, n); err != nil {
			var ce mongo.CommandError
			if errors.As(err, &ce) && ce.Name == "NamespaceExists" {
				continue // created meanwhile by another process
			}
			return err
		}
	}
	return nil
}
