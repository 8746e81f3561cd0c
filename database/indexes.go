package database

import (
	"context"

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
