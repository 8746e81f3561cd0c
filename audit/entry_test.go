package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func goldenEntry() Entry {
	return Entry{
		Seq: 7, Org: "CAL", Time: time.Date(2026, 5, 14, 15, 4, 5, 120_000_000, time.UTC),
		Actor: "0196d3a0-7c1e-7b2a-9f00-3c5e2a1b4d6f", ActorName: "rosa", Action: "case.read",
		Object: "0196d3a1-0000-7000-8000-000000000042", Outcome: "ok", Client: "192.0.2.10",
		Detail: "LIM-2026-00042", Prev: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
}

// TestHashGolden pins both canonical encodings: if one changes, every stored chain of
// that version stops verifying, so a change must be deliberate (a new tag), never
// silent. The expected hashes were also computed outside Go, over the documented
// encoding: the keyed one with `openssl dgst -sha256 -hmac registro-test-audit-key-32-bytes`,
// the unkeyed one with sha256sum.
func TestHashGolden(t *testing.T) {
	const fields = "1:7,3:CAL,24:2026-05-14T15:04:05.120Z," +
		"36:0196d3a0-7c1e-7b2a-9f00-3c5e2a1b4d6f,4:rosa,9:case.read," +
		"36:0196d3a1-0000-7000-8000-000000000042,2:ok,10:192.0.2.10,14:LIM-2026-00042," +
		"64:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,"
	const (
		wantKeyed   = "e7328156d46866c4459567f21332c62b8c5bc233623635ce0cc971926d0d9405"
		wantUnkeyed = "4b603ea60a4baa6a4487d095f84d1b8d9573231c984e284c027003de8a1b9c92"
	)
	e := goldenEntry()
	if d := cmp.Diff("17:registro.audit.v2,"+fields, string(canonical(tagKeyed, e))); d != "" {
		t.Errorf("keyed canonical:\n%s", d)
	}
	if d := cmp.Diff("17:registro.audit.v1,"+fields, string(canonical(tagUnkeyed, e))); d != "" {
		t.Errorf("unkeyed canonical:\n%s", d)
	}
	check := func(name string, e Entry) {
		t.Helper()
		if got := hashKeyed(testKey, e); got != wantKeyed {
			t.Errorf("%s: hashKeyed = %s, want %s", name, got, wantKeyed)
		}
		if got := hashUnkeyed(e); got != wantUnkeyed {
			t.Errorf("%s: hashUnkeyed = %s, want %s", name, got, wantUnkeyed)
		}
	}
	check("golden", e)
	// The time zone of the value does not matter, only the instant; Hash and Version
	// are not covered (the tag is).
	e.Time = e.Time.In(time.FixedZone("PET", -5*3600))
	e.Hash, e.Version = "anything", 9
	check("another zone", e)
	// Another key gives another hash.
	other := []byte("another-32-byte-key-for-the-test")
	if hashKeyed(other, e) == wantKeyed {
		t.Error("the keyed hash does not depend on the key")
	}
}

// TestHashFieldsUnambiguous checks that moving bytes between neighbouring fields
// changes the hash, which a plain concatenation would not.
func TestHashFieldsUnambiguous(t *testing.T) {
	a := Entry{Seq: 1, Org: "CAL", Action: "case.read", Actor: "ab", ActorName: "c"}
	b := a
	b.Actor, b.ActorName = "a", "bc"
	if hashKeyed(testKey, a) == hashKeyed(testKey, b) || hashUnkeyed(a) == hashUnkeyed(b) {
		t.Error("shifting a byte between fields kept the hash")
	}
}

func TestNormalize(t *testing.T) {
	long := strings.Repeat("ñ", MaxText+50)
	lima := time.FixedZone("PET", -5*3600)
	got := normalize(Entry{
		Org: "CAL", Action: "login", ActorName: "ro\xffsa", Detail: long, Client: long,
		Time: time.Date(2026, 5, 14, 10, 0, 0, 999_999_999, lima),
	})
	want := Entry{
		Org: "CAL", Action: "login", ActorName: "ro\uFFFDsa",
		Detail: strings.Repeat("ñ", MaxText), Client: strings.Repeat("ñ", MaxText),
		Time: time.Date(2026, 5, 14, 15, 0, 0, 999_000_000, time.UTC), Version: versionKeyed,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestEntryID(t *testing.T) {
	for _, tc := range []struct {
		org  string
		seq  int64
		want string
	}{
		{"CAL", 1, "CAL:000000000001"},
		{"CAL", 123456789012, "CAL:123456789012"},
	} {
		if got := entryID(tc.org, tc.seq); got != tc.want {
			t.Errorf("entryID(%s, %d) = %s, want %s", tc.org, tc.seq, got, tc.want)
		}
	}
}
