package alerts

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/database"
	"registro/database/dbtest"
	"registro/validation"
	"registro/vocabulary"
)

func baseline(t *testing.T) *vocabulary.Vocabulary {
	t.Helper()
	v, err := vocabulary.Baseline()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func valid() Input {
	return Input{
		Aggressor: "serenazgo", District: "150115", Hours: []string{"night"},
		Description: Description{Vehicle: "camioneta blanca", Plate: "eab-7", Uniform: "chaleco naranja"},
		Behaviour:   "Pide cupos a las compañeras de la avenida y se lleva los condones.",
		Advice:      "Caminar en grupo después de las 22 h.",
	}
}

func problems(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *validation.Error
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	return ve.Messages()
}

func TestValidate(t *testing.T) {
	v := baseline(t)
	in := valid()
	if err := in.Validate(v, nil); err != nil {
		t.Fatalf("a valid alert: %v", err)
	}
	if in.Description.Plate != "EAB-7" {
		t.Errorf("plate %q, want it upper-cased", in.Description.Plate)
	}
	bad := Input{Aggressor: "alien", District: "999999", Hours: []string{"noon"}, Internal: []string{"narrative"},
		Description: Description{Plate: "AB#1", Physical: string(make([]rune, 201))}}
	got := problems(t, bad.Validate(v, nil))
	for _, f := range []string{"aggressor", "district", "hours", "internal", "description.plate", "description.physical", "behaviour"} {
		if got[f] == "" {
			t.Errorf("no problem named for %s (got %v)", f, got)
		}
	}
	if got := problems(t, (&Input{}).Validate(v, nil)); got["aggressor"] != "required" || got["district"] != "required" || got["behaviour"] != "required" {
		t.Errorf("an empty alert: %v", got)
	}
}

// TestWarnings: the text of an alert is checked for what could name a survivor, and
// refused until its author confirms; the usual words of a warning are not flagged.
func TestWarnings(t *testing.T) {
	v := baseline(t)
	flagged := []struct {
		field, text string
		known       []string
		want        Warning
	}{
		{"behaviour", "Le pegó a MAJO1585 en la avenida.", nil, WarnCode},
		{"behaviour", "Le pegó a majo 1585.", nil, WarnCode},
		{"advice", "Preguntar por el caso LIM-2026-00042.", nil, WarnCode},
		{"advice", "Es la de código 7KQ2-M9XD-4HTB-0P3S.", nil, WarnCode},
		{"behaviour", "Llamar al 987 654 321 si lo ven.", nil, WarnPhone},
		{"description.physical", "Tiene el número +51987654321 en el brazo", nil, WarnPhone},
		{"behaviour", "Atacó a Rosa Quispe cerca del mercado.", nil, WarnName},
		{"behaviour", "La chica se llama Vanessa.", nil, WarnName},
		{"advice", "Avisar a la compañera, alias Chabela.", nil, WarnName},
		{"behaviour", "Lo vio la del caso abcd-efgh.", []string{"ABCD-EFGH"}, WarnCase},
		{"behaviour", "Su número termina en 912345678.", []string{"+51 912 345 678"}, WarnCase},
	}
	for _, tt := range flagged {
		in := valid()
		switch tt.field {
		case "behaviour":
			in.Behaviour = tt.text
		case "advice":
			in.Advice = tt.text
		case "description.physical":
			in.Description.Physical = tt.text
		}
		w := in.Warnings(v, tt.known)
		if w[tt.field] != tt.want {
			t.Errorf("%q: warnings %v, want %s on %s", tt.text, w, tt.want, tt.field)
		}
		err := in.Validate(v, tt.known)
		if !Warned(err) || problems(t, err)[tt.field] == "" {
			t.Errorf("%q: not refused with a warning (%v)", tt.text, err)
		}
		in.Checked = true
		if err := in.Validate(v, tt.known); err != nil {
			t.Errorf("%q confirmed: %v", tt.text, err)
		}
	}
	clean := []string{
		"Para en la Av. Javier Prado con la Policía Nacional.",
		"Patrulla de serenazgo de La Victoria, placa EAB-7, de noche.",
		"Cliente agresivo. Se lleva el dinero y amenaza con un cuchillo.",
		"Se hace pasar por Policía y pide cupos de 20 soles.",
		"Ronda por San Juan de Lurigancho y Villa El Salvador.",
		"Frente a la Plaza Dos de Mayo, cerca del Hotel Las Palmeras.",
	}
	for _, text := range clean {
		in := valid()
		in.Behaviour = text
		if w := in.Warnings(v, nil); len(w) != 0 {
			t.Errorf("%q: flagged %v", text, w)
		}
	}
	in := valid()
	in.Description.Vehicle = "Toyota Yaris gris"
	in.Description.Badge = "1234"
	if w := in.Warnings(v, nil); len(w) != 0 {
		t.Errorf("a vehicle's brand and a badge fragment: flagged %v", w)
	}
}

type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newStore(t *testing.T, db *database.DB, c *clock) *Store {
	t.Helper()
	s := NewStore(db.Database, baseline(t), c.Now)
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func propose(t *testing.T, s *Store, org string) *Alert {
	t.Helper()
	in := valid()
	if err := in.Validate(s.Vocabulary(), nil); err != nil {
		t.Fatal(err)
	}
	a, err := s.Propose(context.Background(), org, "u-"+org, in)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func approve(s *Store) func(*Alert, time.Time) error {
	return func(a *Alert, now time.Time) error { return Approve(a, now, s.Validity) }
}

func ids(list []Alert) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.ID)
	}
	return out
}

// TestLife: proposed, approved (shown until it expires), renewed, withdrawn; a change
// that does not apply, or made on an old version, is refused and changes nothing.
func TestLife(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, dbtest.New(t), c)
	a := propose(t, s, "LIM")
	cur := func() []string {
		l, err := s.List(ctx, Query{Org: "LIM", List: "current"})
		if err != nil {
			t.Fatal(err)
		}
		return ids(l)
	}
	if got := cur(); len(got) != 0 {
		t.Fatalf("a proposal is current: %v", got)
	}
	if _, err := s.Change(ctx, a.ID, 0, nil, Withdraw); !errors.Is(err, ErrState) {
		t.Errorf("withdraw a proposal: %v, want ErrState", err)
	}
	ap, err := s.Change(ctx, a.ID, 1, nil, approve(s))
	if err != nil {
		t.Fatal(err)
	}
	if ap.Version != 2 || !ap.ExpiresAt.Equal(c.Now().Add(DefaultValidity)) {
		t.Errorf("approved: version %d, expires %v", ap.Version, ap.ExpiresAt)
	}
	if _, err := s.Change(ctx, a.ID, 1, nil, Reject("late")); !errors.Is(err, ErrConflict) {
		t.Errorf("reject at the old version: %v, want ErrConflict", err)
	}
	if got := cur(); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("current after approval: %v", got)
	}
	c.Advance(DefaultValidity)
	if got := cur(); len(got) != 0 {
		t.Fatalf("current after its validity: %v", got)
	}
	ended, _ := s.List(ctx, Query{Org: "LIM", List: "ended"})
	if len(ended) != 1 || ended[0].StateAt(c.Now()) != Expired {
		t.Fatalf("ended after its validity: %v", ended)
	}
	if _, err := s.Change(ctx, a.ID, 0, nil, func(a *Alert, now time.Time) error { return Renew(a, now, s.Validity) }); err != nil {
		t.Fatal(err)
	}
	if got := cur(); len(got) != 1 {
		t.Fatalf("current after renewal: %v", got)
	}
	if _, err := s.Change(ctx, a.ID, 0, nil, Withdraw); err != nil {
		t.Fatal(err)
	}
	if got := cur(); len(got) != 0 {
		t.Fatalf("current after withdrawal: %v", got)
	}
	if _, err := s.Change(ctx, a.ID, 0, func(*Alert) bool { return false }, Withdraw); !errors.Is(err, ErrNotFound) {
		t.Errorf("an alert out of reach: %v, want ErrNotFound", err)
	}
}

// TestSharing: another organization sees a shared, current alert only when it
// receives shared alerts, and never its internal fields.
func TestSharing(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, dbtest.New(t), c)
	a := propose(t, s, "LIM")
	if _, err := s.Change(ctx, a.ID, 0, nil, approve(s)); err != nil {
		t.Fatal(err)
	}
	other := func() []string {
		on, err := s.Receives(ctx, "CAL")
		if err != nil {
			t.Fatal(err)
		}
		l, err := s.List(ctx, Query{Org: "CAL", List: "current", Receive: on})
		if err != nil {
			t.Fatal(err)
		}
		return ids(l)
	}
	if err := s.SetReceive(ctx, "CAL", "cal-coordinator", true); err != nil {
		t.Fatal(err)
	}
	if got := other(); len(got) != 0 {
		t.Fatalf("not shared, yet CAL sees %v", got)
	}
	edit := valid()
	edit.Internal = []string{"plate", "uniform"}
	if _, err := s.Change(ctx, a.ID, 0, nil, Edit(edit)); err != nil {
		t.Fatal(err)
	}
	shared, err := s.Change(ctx, a.ID, 0, nil, Share(true))
	if err != nil {
		t.Fatal(err)
	}
	if got := other(); len(got) != 1 {
		t.Fatalf("shared with a receiving CAL: %v", got)
	}
	out := shared.Outside()
	if out.Description.Plate != "" || out.Description.Uniform != "" || out.Description.Vehicle == "" || out.ProposedBy != "" {
		t.Errorf("seen from outside: %+v", out)
	}
	if err := s.SetReceive(ctx, "CAL", "cal-coordinator", false); err != nil {
		t.Fatal(err)
	}
	if got := other(); len(got) != 0 {
		t.Fatalf("CAL stopped receiving, yet sees %v", got)
	}
}

// TestHalfWrittenChange: a writer that stopped after deciding a version and before
// writing it leaves the version to whoever reads the alert once Settle has passed;
// before that, a second change is refused, never applied on top of the old state.
func TestHalfWrittenChange(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, dbtest.New(t), c)
	a := propose(t, s, "LIM")
	next := *a
	if err := Approve(&next, c.Now(), s.Validity); err != nil {
		t.Fatal(err)
	}
	next.Version = 2
	// The stopped writer: its version is decided, the alert document not written.
	if _, err := s.versions.InsertOne(ctx, version{ID: versionID(a.ID, 2), At: c.Now(), Alert: &next}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Change(ctx, a.ID, 0, nil, Reject("no")); !errors.Is(err, ErrConflict) {
		t.Fatalf("a change while another is decided: %v, want ErrConflict", err)
	}
	c.Advance(s.Settle)
	got, err := s.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Approved || got.Version != 2 {
		t.Fatalf("after Settle: %s v%d, want the decided approval", got.State, got.Version)
	}
	var v bson.M
	if err := s.versions.FindOne(ctx, bson.D{{Key: "_id", Value: versionID(a.ID, 2)}}).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if _, kept := v["alert"]; kept {
		t.Error("the written version still holds the alert's text")
	}
}

// TestClientWalksAway: the coordinator's request is cancelled (she closed the page,
// her connection dropped) before the store read the alert, and again after the change
// was decided. The first leaves the alert as it was; the second is acknowledged
// neither to her nor lost: the alert is changed, whole, with its version emptied.
func TestClientWalksAway(t *testing.T) {
	c := newClock()
	db := dbtest.New(t)
	s := newStore(t, db, c)
	a := propose(t, s, "LIM")

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Change(gone, a.ID, 0, nil, approve(s)); !errors.Is(err, context.Canceled) {
		t.Fatalf("a change asked for after the client left: %v, want context.Canceled", err)
	}
	got, err := s.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Proposed || got.Version != 1 {
		t.Fatalf("after a change never read: %s v%d, want the proposal untouched", got.State, got.Version)
	}

	leaving, leave := context.WithCancel(context.Background())
	defer leave()
	ap, err := s.Change(leaving, a.ID, 1, nil, func(a *Alert, now time.Time) error {
		leave() // the client walks away while the change is being decided
		return Approve(a, now, s.Validity)
	})
	if err != nil {
		t.Fatalf("a change decided as the client left: %v", err)
	}
	// Another server reads it at once, without waiting for Settle.
	other := newStore(t, db, c)
	got, err = other.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Approved || got.Version != 2 || !got.ExpiresAt.Equal(ap.ExpiresAt) {
		t.Fatalf("after the client left: %s v%d expires %v, want approved v2 expiring %v", got.State, got.Version, got.ExpiresAt, ap.ExpiresAt)
	}
	var v bson.M
	if err := s.versions.FindOne(context.Background(), bson.D{{Key: "_id", Value: versionID(a.ID, 2)}}).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if _, kept := v["alert"]; kept || v["written"] != true {
		t.Errorf("the decided version after the client left: %v, want written and emptied", v)
	}
}

// TestConcurrentDecisions: coordinators on two servers sharing one external store
// (whose updates are not atomic) approve, reject and withdraw the same proposals at
// once. Each alert ends in exactly one decision, the one its store acknowledged, and
// no acknowledged change is lost.
func TestConcurrentDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a standalone store")
	}
	ctx := context.Background()
	c := newClock()
	var stores []*Store
	for _, db := range dbtest.Shared(t, 2) {
		stores = append(stores, newStore(t, db, c))
	}
	const n = 12
	for i := range n {
		a := propose(t, stores[0], "LIM")
		var wg sync.WaitGroup
		results := make([]*Alert, 4)
		errs := make([]error, 4)
		changes := []func(*Alert, time.Time) error{approve(stores[0]), Reject("duplicada"), approve(stores[1]), Reject("otra")}
		for j := range changes {
			wg.Go(func() {
				results[j], errs[j] = stores[j%2].Change(ctx, a.ID, 1, nil, changes[j])
			})
		}
		wg.Wait()
		won := -1
		for j, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("alert %d: changes %d and %d both acknowledged at version 1", i, won, j)
			case err == nil:
				won = j
			case !errors.Is(err, ErrConflict):
				t.Fatalf("alert %d change %d: %v", i, j, err)
			}
		}
		if won < 0 {
			t.Fatalf("alert %d: no change acknowledged", i)
		}
		for _, s := range stores {
			got, err := s.Get(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != results[won].State || got.Version != 2 || got.Reason != results[won].Reason {
				t.Fatalf("alert %d read through a store: %s v%d %q, acknowledged %s %q", i, got.State, got.Version, got.Reason, results[won].State, results[won].Reason)
			}
		}
	}
}

// TestEditLeavesNoOldTextInTheFiles: a proposal carried a survivor's name and number
// that the warnings did not stop (the proposer confirmed), and was approved; the
// coordinator edits them out. The edit is written by its own request, or, when that
// writer stopped after deciding it, completed by the next reader. The attacker holds a
// copy of the data directory taken right after either, and again after a clean stop:
// neither the name nor the number is in any file, the write-ahead log included.
func TestEditLeavesNoOldTextInTheFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := dbtest.OpenDir(t, dir)
	c := newClock()
	s := newStore(t, db, c)
	s.SetPurger(db.Purge)

	needles := [][]byte{[]byte("Yesenia Quispe"), []byte("987 123 456"), []byte("Rodolfo Quispe")}
	scan := func() []string { return dbtest.FilesHolding(t, dir, needles...) }
	naming := valid()
	naming.Behaviour = "Golpeó a Yesenia Quispe Huamán (celular 987 123 456) en la esquina del grifo."
	naming.Description.Physical = "Alto, habla de su hermano Rodolfo Quispe Huamán."
	naming.Checked = true // the proposer read the warnings and confirmed
	edited := valid()
	edited.Behaviour = "Golpea a las compañeras en la esquina del grifo."
	edited.Description.Physical = "Alto."
	for _, in := range []*Input{&naming, &edited} {
		if err := in.Validate(s.Vocabulary(), nil); err != nil {
			t.Fatal(err)
		}
	}

	for _, writer := range []string{"its own request", "a reader, its writer stopped"} {
		a, err := s.Propose(ctx, "LIM", "u-LIM", naming)
		if err != nil {
			t.Fatal(err)
		}
		ap, err := s.Change(ctx, a.ID, 0, nil, approve(s))
		if err != nil {
			t.Fatal(err)
		}
		// The scan must see the text while the alert holds it, or it proves nothing.
		if found := scan(); len(found) < len(needles) {
			t.Fatalf("the scan finds %v while the alert holds all three: it does not read the store's files", found)
		}
		if writer == "its own request" {
			if _, err := s.Change(ctx, a.ID, 0, nil, Edit(edited)); err != nil {
				t.Fatal(err)
			}
		} else {
			// The edit is decided (its version inserted), its writer stops; the next
			// reader after Settle writes it.
			next := *ap
			if err := Edit(edited)(&next, c.Now()); err != nil {
				t.Fatal(err)
			}
			next.Version++
			if _, err := s.versions.InsertOne(ctx, version{ID: versionID(a.ID, next.Version), At: c.Now(), Alert: &next}); err != nil {
				t.Fatal(err)
			}
			c.Advance(s.Settle)
			got, err := s.Get(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != next.Version || got.Behaviour != edited.Behaviour {
				t.Fatalf("the reader completed v%d %q, want the decided edit", got.Version, got.Behaviour)
			}
		}
		for _, f := range scan() {
			t.Errorf("after the edit was written by %s: %s", writer, f)
		}
		// A change that takes no text out (sharing) needs no purge, and leaves none behind.
		if _, err := s.Change(ctx, a.ID, 0, nil, Share(true)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range scan() {
		t.Errorf("after a clean stop: %s", f)
	}
}
