package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/golden"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

func TestSchemaMatchesCommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := storetest.OpenSQLite(t).Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "schema.sqlite.sql", []byte(s))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s, err := storetest.OpenPostgres(t).Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "schema.postgres.sql", []byte(s))
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		n, err := db.Migrate(context.Background(), t0)
		if err != nil || n != 0 {
			t.Fatalf("second migrate: n=%d err=%v", n, err)
		}
	})
}

func newCustomer(email string) account.Account {
	return account.Account{Kind: account.KindCustomer, Email: email, Name: "Jeanne Dupont", Language: "fr",
		PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0,
		Customer: &account.Customer{Type: account.Company, CompanyName: "Dupont SAS", Country: "FR", SIREN: "732829320", VATNumber: "FR44732829320"}}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := db.Accounts()
		a := newCustomer("jeanne@example.fr")
		staff := account.Account{Kind: account.KindStaff, Email: "noc@itsgow.example", Name: "Noc", Language: "en",
			PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0, Roles: []account.Role{account.RoleNOC, account.RoleAbuse}}
		err := st.InTx(ctx, func(tx account.Tx) error {
			if err := tx.InsertAccount(ctx, &a); err != nil {
				return err
			}
			return tx.InsertAccount(ctx, &staff)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.AccountByEmail(ctx, "jeanne@example.fr")
		if err != nil {
			t.Fatal(err)
		}
		want := a
		want.CreatedAt, want.UpdatedAt = store.Trunc(t0), store.Trunc(t0)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		gs, err := st.AccountByID(ctx, staff.ID)
		if err != nil || len(gs.Roles) != 2 || !gs.HasRole(account.RoleAbuse) || gs.HasRole(account.RoleBilling) {
			t.Fatalf("staff roles: %+v %v", gs.Roles, err)
		}
		dup := newCustomer("jeanne@example.fr")
		err = st.InTx(ctx, func(tx account.Tx) error { return tx.InsertAccount(ctx, &dup) })
		if errs.KindOf(err) != errs.Conflict {
			t.Fatalf("duplicate email: want Conflict, got %v", err)
		}
		if _, err := st.AccountByID(ctx, 999999); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("missing account: want NotFound, got %v", err)
		}
		list, err := st.ListAccounts(ctx, account.ListFilter{Kind: account.KindCustomer, Query: "dupont", Limit: 10})
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("list: %v %v", list, err)
		}
		until := t0.Add(15 * time.Minute)
		if err := st.InTx(ctx, func(tx account.Tx) error { return tx.UpdateLoginState(ctx, a.ID, 3, until) }); err != nil {
			t.Fatal(err)
		}
		got, _ = st.AccountByID(ctx, a.ID)
		if got.FailedLogins != 3 || !got.LockedUntil.Equal(store.Trunc(until)) {
			t.Fatalf("login state: %d %v", got.FailedLogins, got.LockedUntil)
		}
	})
}

func TestTokensAndSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := db.Accounts()
		a := newCustomer("t@example.fr")
		tok := account.Token{Name: "ci", Prefix: "itg_abc", Hash: "hash1", Scopes: []account.Scope{account.ScopeAccountRead, account.ScopeIPRead}, CreatedAt: t0}
		sess := account.Session{IDHash: "sh", CSRFSecret: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), LastSeenAt: t0}
		err := st.InTx(ctx, func(tx account.Tx) error {
			if err := tx.InsertAccount(ctx, &a); err != nil {
				return err
			}
			tok.AccountID, sess.AccountID = a.ID, a.ID
			if err := tx.InsertToken(ctx, &tok); err != nil {
				return err
			}
			return tx.InsertSession(ctx, sess)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.TokenByHash(ctx, "hash1")
		if err != nil || got.ID != tok.ID || len(got.Scopes) != 2 || !got.ExpiresAt.IsZero() {
			t.Fatalf("token: %+v %v", got, err)
		}
		other := newCustomer("o@example.fr")
		_ = st.InTx(ctx, func(tx account.Tx) error { return tx.InsertAccount(ctx, &other) })
		err = st.InTx(ctx, func(tx account.Tx) error { return tx.RevokeToken(ctx, other.ID, tok.ID, t0) })
		if errs.KindOf(err) != errs.NotFound {
			t.Fatalf("revoking another account's token: want NotFound, got %v", err)
		}
		if err := st.InTx(ctx, func(tx account.Tx) error { return tx.RevokeToken(ctx, a.ID, tok.ID, t0) }); err != nil {
			t.Fatal(err)
		}
		got, _ = st.TokenByHash(ctx, "hash1")
		if got.Active(t0) {
			t.Fatal("revoked token still active")
		}
		s, err := st.SessionByHash(ctx, "sh")
		if err != nil || s.SecondFactorOK || !s.ExpiresAt.Equal(store.Trunc(t0.Add(time.Hour))) {
			t.Fatalf("session: %+v %v", s, err)
		}
		_ = st.InTx(ctx, func(tx account.Tx) error { return tx.MarkSecondFactor(ctx, "sh") })
		s, _ = st.SessionByHash(ctx, "sh")
		if !s.SecondFactorOK {
			t.Fatal("second factor not marked")
		}
	})
}

func TestNoticesDedupAndAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newCustomer("n@example.fr")
		var first, second bool
		err := db.WithTx(ctx, func(q *store.Q) error {
			if err := q.InsertAccount(ctx, &a); err != nil {
				return err
			}
			n := notify.Notice{AccountID: int64(a.ID), Kind: "welcome", Language: "fr", Recipient: a.Email, Subject: "Bienvenue",
				Body: "Corps é", BodySHA256: "x", MessageID: "m1@x", DedupKey: "welcome:1", Status: notify.Held, CreatedAt: t0}
			var err error
			if first, err = q.InsertNotice(ctx, &n); err != nil {
				return err
			}
			n2 := n
			n2.MessageID = "m2@x"
			if second, err = q.InsertNotice(ctx, &n2); err != nil {
				return err
			}
			return q.Audit(ctx, account.AuditEntry{At: t0, Actor: account.System, Action: "x.y", ObjectType: "account",
				ObjectID: "1", CustomerID: a.ID, Details: json.RawMessage(`{"k":"v"}`)})
		})
		if err != nil {
			t.Fatal(err)
		}
		if !first || second {
			t.Fatalf("dedup: first=%v second=%v", first, second)
		}
		ns, err := db.Notices().ListNotices(ctx, notify.Filter{AccountID: int64(a.ID), Limit: 10})
		if err != nil || len(ns) != 1 || ns[0].Body != "Corps é" {
			t.Fatalf("notices: %+v %v", ns, err)
		}
		if err := db.Notices().RecordDelivery(ctx, ns[0].ID, notify.Sent, "", t0); err != nil {
			t.Fatal(err)
		}
		n, _ := db.Notices().GetNotice(ctx, ns[0].ID)
		if n.Status != notify.Sent || n.Attempts != 1 || !n.SentAt.Equal(store.Trunc(t0)) {
			t.Fatalf("delivery: %+v", n)
		}
		au, err := db.Accounts().ListAudit(ctx, account.AuditFilter{CustomerID: a.ID, Limit: 10})
		if err != nil || len(au) != 1 || string(au[0].Details) != `{"k":"v"}` || au[0].Actor.Kind != "system" {
			t.Fatalf("audit: %+v %v", au, err)
		}
	})
}

func TestJobsQueue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		js := db.Jobs()
		id, ok, err := jobs.Enqueue(ctx, js, t0, "k", map[string]int{"a": 1}, jobs.Opts{UniqueKey: "u1"})
		if err != nil || !ok || id == 0 {
			t.Fatalf("enqueue: %d %v %v", id, ok, err)
		}
		_, ok, err = jobs.Enqueue(ctx, js, t0, "k", nil, jobs.Opts{UniqueKey: "u1"})
		if err != nil || ok {
			t.Fatalf("unique key enqueued twice: %v %v", ok, err)
		}
		_, _, _ = jobs.Enqueue(ctx, js, t0, "k", nil, jobs.Opts{RunAt: t0.Add(time.Hour)})
		got, err := js.ClaimJobs(ctx, t0, "w", []string{"k"}, 10)
		if err != nil || len(got) != 1 || got[0].ID != id || got[0].Attempt != 1 || string(got[0].Args) != `{"a":1}` {
			t.Fatalf("claim: %+v %v", got, err)
		}
		if again, _ := js.ClaimJobs(ctx, t0, "w", []string{"k"}, 10); len(again) != 0 {
			t.Fatalf("running job claimed again: %+v", again)
		}
		if err := js.RetryJob(ctx, id, t0.Add(time.Minute), "boom"); err != nil {
			t.Fatal(err)
		}
		if c, _ := js.ClaimJobs(ctx, t0.Add(59*time.Second), "w", []string{"k"}, 10); len(c) != 0 {
			t.Fatal("retried job ran before its backoff")
		}
		c, _ := js.ClaimJobs(ctx, t0.Add(time.Minute), "w", []string{"k"}, 10)
		if len(c) != 1 || c[0].Attempt != 2 || c[0].LastError != "boom" {
			t.Fatalf("retry: %+v", c)
		}
		if err := js.CompleteJob(ctx, id, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := js.CompleteJob(ctx, id, t0.Add(time.Minute)); err == nil {
			t.Fatal("completing a completed job succeeded")
		}
		// a lost lease is rescued
		id2, _, _ := jobs.Enqueue(ctx, js, t0, "k2", nil, jobs.Opts{})
		c, _ = js.ClaimJobs(ctx, t0, "w", []string{"k2"}, 1)
		if len(c) != 1 || c[0].ID != id2 {
			t.Fatalf("claim k2: %+v", c)
		}
		n, err := js.RescueJobs(ctx, t0.Add(time.Second), t0.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("rescue: %d %v", n, err)
		}
		n, err = js.PruneJobs(ctx, t0.Add(2*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("prune: %d %v", n, err)
		}
	})
}

func TestJobsConcurrentClaimsNeverShareAJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		js := db.Jobs()
		const total = 200
		for i := range total {
			if _, _, err := jobs.Enqueue(ctx, js, t0, "c", i, jobs.Opts{}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprint("w", w)
				for {
					got, err := js.ClaimJobs(ctx, t0, name, []string{"c"}, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						if prev, dup := seen[j.ID]; dup {
							t.Errorf("job %d claimed by %s and %s", j.ID, prev, name)
						}
						seen[j.ID] = name
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != total {
			t.Fatalf("claimed %d jobs, want %d", len(seen), total)
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, tm := range []time.Time{t0, time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("X", 3600)), time.Unix(0, 1000).UTC()} {
			id, _, err := jobs.Enqueue(ctx, db.Jobs(), tm, "rt", nil, jobs.Opts{RunAt: tm})
			if err != nil {
				t.Fatal(err)
			}
			list, err := db.Jobs().ListJobs(ctx, jobs.Available, 100)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, j := range list {
				if j.ID == id {
					found = true
					if !j.RunAt.Equal(store.Trunc(tm)) || j.RunAt.Location() != time.UTC {
						t.Errorf("time %v came back as %v", tm, j.RunAt)
					}
				}
			}
			if !found {
				t.Fatalf("job %d missing", id)
			}
		}
	})
}
