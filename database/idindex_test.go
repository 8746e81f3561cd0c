package database

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestIndexIDs checks that lookups by _id still find every document, new and old, once
// the extra SQLite index exists, and that creating it twice is harmless.
func TestIndexIDs(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{DataDir: t.TempDir(), Name: "idx"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if err := db.IndexIDs(ctx); err != nil {
		t.Fatalf("before any collection: %v", err)
	}
	c := db.Collection("c")
	for i := 0; i < 50; i++ {
		if _, err := c.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("id-%02d", i), "n": i}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := db.IndexIDs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "after", "n": 99}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateOne(ctx, bson.M{"_id": "id-07"}, bson.M{"$set": bson.M{"n": 700}}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int32{"id-00": 0, "id-07": 700, "id-49": 49, "after": 99} {
		var got struct{ N int32 }
		if err := c.FindOne(ctx, bson.M{"_id": id}).Decode(&got); err != nil || got.N != want {
			t.Errorf("%s: n=%d err=%v, want %d", id, got.N, err, want)
		}
	}
	if err := c.FindOne(ctx, bson.M{"_id": "missing"}).Err(); err == nil {
		t.Error("a missing id was found")
	}
}
