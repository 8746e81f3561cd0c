package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// rawReport is the raw-store baseline: single InsertOne calls of documents shaped
// like a sealed case, straight into the embedded store, with no API in between.
type rawReport struct {
	Socket     string         `json:"socket"`
	Database   string         `json:"database"`
	Clients    int            `json:"clients"`
	Seconds    float64        `json:"seconds"`
	Inserts    int            `json:"inserts"`
	RatePerSec float64        `json:"inserts_per_sec"`
	P50Ms      float64        `json:"p50_ms"`
	P95Ms      float64        `json:"p95_ms"`
	P99Ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	DocBytes   int            `json:"doc_bytes_avg"`
	Errors     map[string]int `json:"errors,omitempty"`
}

// runRaw inserts from clients goroutines for dur into a scratch database on the
// store's socket, dropped before and after.
func runRaw(ctx context.Context, sock string, clients int, dur time.Duration, dbName string, seed uint64) (*rawReport, error) {
	uri := (&url.URL{Scheme: "mongodb", Host: sock, Path: "/"}).String()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetMaxPoolSize(uint64(clients + 4)).SetServerSelectionTimeout(5 * time.Second).SetTimeout(60 * time.Second))
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	db := client.Database(dbName)
	if err := db.Drop(ctx); err != nil {
		return nil, fmt.Errorf("drop %s: %w", dbName, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = db.Drop(dctx)
	}()
	// Created up front, so the first inserts do not race to create it.
	if err := db.CreateCollection(ctx, "cases"); err != nil {
		return nil, fmt.Errorf("create %s.cases: %w", dbName, err)
	}
	coll := db.Collection("cases")

	var (
		mu       sync.Mutex
		lat      []time.Duration
		errs     = map[string]int{}
		docBytes int64
		docs     int64
	)
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(5000+i)))
			bytesSrc := rand.NewChaCha8([32]byte{byte(i), byte(seed), byte(seed >> 8), 1})
			var myLat []time.Duration
			myErrs := map[string]int{}
			var myBytes, myDocs int64
			for seq := 0; ctx.Err() == nil && time.Now().Before(deadline); seq++ {
				doc := rawDoc(rng, bytesSrc, i, seq)
				if seq < 50 {
					if b, err := bson.Marshal(doc); err == nil {
						myBytes += int64(len(b))
						myDocs++
					}
				}
				t0 := time.Now()
				_, err := coll.InsertOne(ctx, doc)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					myErrs[mongoErrKey(err)]++
					continue
				}
				myLat = append(myLat, d)
			}
			mu.Lock()
			lat = append(lat, myLat...)
			for k, v := range myErrs {
				errs[k] += v
			}
			docBytes += myBytes
			docs += myDocs
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r := &rawReport{Socket: sock, Database: dbName, Clients: clients, Seconds: elapsed.Seconds(), Inserts: len(lat),
		RatePerSec: float64(len(lat)) / elapsed.Seconds(),
		P50Ms:      percentile(lat, .50), P95Ms: percentile(lat, .95), P99Ms: percentile(lat, .99), MaxMs: percentile(lat, 1)}
	if docs > 0 {
		r.DocBytes = int(docBytes / docs)
	}
	if len(errs) > 0 {
		r.Errors = errs
	}
	return r, nil
}

func mongoErrKey(err error) string {
	switch {
	case mongo.IsDuplicateKeyError(err):
		return "duplicate_key"
	case mongo.IsTimeout(err):
		return "timeout"
	case mongo.IsNetworkError(err):
		return "network"
	}
	return "error"
}

// rawDoc is shaped like a sealed case as the cases package stores it: plain fields
// for lists and statistics, the narrative and contact as ciphertext, a wrapped data
// key; about 1.5 KB of BSON.
func rawDoc(rng *rand.Rand, src *rand.ChaCha8, client, seq int) bson.D {
	blob := func(n int) []byte {
		b := make([]byte, n)
		_, _ = src.Read(b)
		return b
	}
	now := time.Now().UTC()
	id := uuid.Must(uuid.NewV7()).String()
	worker := fmt.Sprintf("0197a1c2-0000-7000-8000-%012d", client)
	var contact []byte
	if rng.IntN(10) < 3 {
		contact = blob(20 + 28)
	}
	month := now.AddDate(0, 0, -1-rng.IntN(365))
	return bson.D{
		{Key: "_id", Value: id},
		{Key: "ref", Value: fmt.Sprintf("RAW-%d-%03d%06d", now.Year(), client, seq)},
		{Key: "org", Value: "RAW"},
		{Key: "subject", Value: fmt.Sprintf("%04X-%04X-%04X-%04X", rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16))},
		{Key: "incident", Value: bson.D{{Key: "date", Value: month.Format(time.DateOnly)}, {Key: "date_precision", Value: "day"},
			{Key: "district", Value: "150115"}, {Key: "place", Value: "street"}}},
		{Key: "perpetrators", Value: bson.A{"serenazgo", "police"}},
		{Key: "violations", Value: bson.A{"physical", "confiscation"}},
		{Key: "survivor", Value: bson.D{{Key: "age_band", Value: "25-34"}, {Key: "gender", Value: "cis_woman"},
			{Key: "nationality", Value: "VE"}, {Key: "work_setting", Value: "street"}}},
		{Key: "consent", Value: bson.D{{Key: "record", Value: true}, {Key: "statistics", Value: true}, {Key: "legal_sharing", Value: true},
			{Key: "contact", Value: contact != nil}, {Key: "text_version", Value: "2026-1"}, {Key: "recorded_at", Value: now},
			{Key: "recorded_by", Value: worker}}},
		{Key: "narrative", Value: blob(350 + rng.IntN(330) + 28)},
		{Key: "contact", Value: contact},
		{Key: "response", Value: bson.D{{Key: "reported_to", Value: bson.A{"none"}}, {Key: "referrals", Value: bson.A{"legal"}},
			{Key: "status", Value: "open"}, {Key: "outcome", Value: ""}}},
		{Key: "followups", Value: bson.A{}},
		{Key: "grants", Value: bson.A{}},
		{Key: "recorded_by", Value: worker},
		{Key: "recorded_at", Value: now},
		{Key: "updated_at", Value: now},
		{Key: "version", Value: int64(1)},
		{Key: "period", Value: bson.D{{Key: "year", Value: month.Format("2006")}, {Key: "quarter", Value: fmt.Sprintf("%d-Q%d", month.Year(), (int(month.Month())-1)/3+1)},
			{Key: "month", Value: month.Format("2006-01")}}},
		{Key: "key", Value: bson.D{{Key: "kek", Value: "k1"}, {Key: "key", Value: blob(60)}}},
	}
}

// storedCaseSize is the average BSON size of up to 200 of the organization's stored
// case documents, to compare with the raw baseline's documents.
func storedCaseSize(ctx context.Context, sock, dbName, org string) (int, error) {
	uri := (&url.URL{Scheme: "mongodb", Host: sock, Path: "/"}).String()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second).SetTimeout(time.Minute))
	if err != nil {
		return 0, err
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	cur, err := client.Database(dbName).Collection("cases").Find(ctx, bson.D{{Key: "org", Value: org}}, options.Find().SetLimit(200))
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	total, n := 0, 0
	for cur.Next(ctx) {
		total += len(cur.Current)
		n++
	}
	if n == 0 {
		return 0, cur.Err()
	}
	return total / n, cur.Err()
}
