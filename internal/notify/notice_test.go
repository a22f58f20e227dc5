package notify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/clock/clocktest"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/golden"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/notify"
	"github.com/itsgow/itsgow/internal/notify/mailtest"
	"github.com/itsgow/itsgow/internal/notify/smtp"
	"github.com/itsgow/itsgow/internal/store"
	"github.com/itsgow/itsgow/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// samples holds template data for every notice kind. A new kind needs an entry here.
var samples = map[string]map[string]any{
	"welcome": {"Name": "Éloïse Dupont", "Email": "eloise@example.fr", "LoginURL": "https://itsgow.example/login"},
	"token_created": {"Name": "Éloïse Dupont", "TokenName": "déploiement", "Prefix": "itg_AbCdEf",
		"Scopes": "account:read servers:read", "At": "2026-03-02 09:00 UTC"},
	"totp_changed":   {"Name": "Éloïse Dupont", "Enabled": true, "At": "2026-03-02 09:00 UTC"},
	"account_locked": {"Name": "Éloïse Dupont", "Failures": 5, "Until": "2026-03-02 09:15 UTC"},
	// commerce (orders, payments, contracts, invoices)
	"order_paid": {"Name": "Éloïse Dupont", "Order": 31, "Plan": "ECO-1", "Amount": "299,86 €", "Invoice": "F2026-000001",
		"Deadline": "09/03/2026 09:00 UTC", "Waits": false, "URL": "https://itsgow.example/orders/31"},
	"order_late": {"Name": "Éloïse Dupont", "Order": 31, "Plan": "ECO-1", "Paid": "02/03/2026 09:00 UTC", "Deadline": "09/03/2026 09:00 UTC",
		"Amount": "299,86 €", "URL": "https://itsgow.example/orders/31"},
	"order_refunded": {"Name": "Éloïse Dupont", "Order": 31, "Plan": "ECO-1", "Amount": "299,86 €", "CreditNote": "A2026-000001", "Withdrawal": false},
	"order_delivered": {"Name": "Éloïse Dupont", "Order": 31, "Plan": "ECO-1", "Server": "srv-31", "IP": "198.18.0.10", "OS": "debian-12",
		"Start": "04/03/2026 10:00 UTC", "End": "04/03/2027 10:00 UTC", "Contract": 3},
	"transfer_pending": {"Name": "Éloïse Dupont", "Amount": "299,86 €", "Reference": "ITSGOW-C31", "IBAN": "FR76 3000 4000 0312 3456 7890 143",
		"BIC": "BNPAFRPPXXX", "Holder": "ITSGOW"},
	"invoice_issued": {"Name": "Éloïse Dupont", "Number": "F2026-000042", "Amount": "23,99 €", "Due": "04/04/2026", "Plan": "ECO-1", "Contract": 3,
		"Period": "04/04/2026 → 04/05/2026", "URL": "https://itsgow.example/invoices"},
	"dunning_reminder": {"Name": "Éloïse Dupont", "Number": "F2026-000042", "Step": 1, "Amount": "23,99 €", "Due": "04/04/2026",
		"SuspendOn": "19/04/2026", "Plan": "ECO-1", "URL": "https://itsgow.example/invoices"},
	"contract_suspended": {"Name": "Éloïse Dupont", "Number": "F2026-000042", "Plan": "ECO-1", "Contract": 3, "Amount": "23,99 €",
		"TerminateOn": "19/05/2026", "URL": "https://itsgow.example/invoices"},
	"contract_terminated": {"Name": "Éloïse Dupont", "Contract": 3, "Plan": "ECO-1", "At": "19/05/2026 09:00 UTC", "Reason": "défaut de paiement du renouvellement"},
	// fleet (servers, incidents, planned works)
	"server_delivered": {"Name": "Éloïse Dupont", "Server": "ns1.itsgow.net", "MainIP": "198.18.0.10", "OS": "debian-13",
		"Hostname": "ns1.itsgow.net", "Access": "password", "At": "2026-03-02 09:00 UTC", "TaskID": int64(1), "ServerID": int64(1)},
	"server_reinstalled": {"Name": "Éloïse Dupont", "Server": "ns1.itsgow.net", "MainIP": "198.18.0.10", "OS": "debian-12",
		"Hostname": "web1.example.fr", "Access": "sshKey", "At": "2026-03-02 09:00 UTC", "TaskID": int64(4), "ServerID": int64(1)},
	"incident_opened": {"Name": "Éloïse Dupont", "Server": "ns1.itsgow.net", "IncidentID": int64(3), "At": "2026-03-02 09:00 UTC"},
	"repair_delayed": {"Name": "Éloïse Dupont", "Server": "ns1.itsgow.net", "IncidentID": int64(3), "Since": "2026-03-02 09:00 UTC",
		"Usual": "4h0m0s", "Expected": "2026-03-02 15:00 UTC"},
	"maintenance_planned": {"Name": "Éloïse Dupont", "Title": "RBX1 A01: switch firmware", "Description": "10 minutes without network",
		"Servers": "ns1.itsgow.net", "Start": "2026-03-05 09:00 UTC", "End": "2026-03-05 10:00 UTC"},
	"staff_alert": {"Name": "Éloïse Dupont", "Subject": "machine SIM-RBX1-0003 to maintenance: deployTimeout", "Body": "delivery of debian-13 on SIM-RBX1-0003"},
	// netguard (DDoS mitigation, art. 9; see internal/netguard/mitigation NoticeData)
	"mitigation_started": {"Name": "Éloïse Dupont", "IP": "198.18.0.10", "State": "auto", "Nature": "udp-flood", "Level": 1,
		"Since": "02/03/2026 à 09:00 UTC", "MinUntil": "03/03/2026 à 11:00 UTC", "HoldHours": 26, "QuietMinutes": 15,
		"PeakBPS": "1.2 Gbit/s", "PeakPPS": "300.0 kpps"},
	"mitigation_raised": {"Name": "Éloïse Dupont", "IP": "198.18.0.10", "State": "auto", "Nature": "udp-flood, syn-flood", "Level": 2,
		"Since": "02/03/2026 à 09:00 UTC", "MinUntil": "03/03/2026 à 11:00 UTC", "HoldHours": 26, "QuietMinutes": 15,
		"PeakBPS": "12.4 Gbit/s", "PeakPPS": "3.0 Mpps"},
	"mitigation_ended": {"Name": "Éloïse Dupont", "IP": "198.18.0.10", "Since": "02/03/2026 à 09:00 UTC", "Ended": "03/03/2026 à 11:00 UTC",
		"Duration": "26 h 0 min", "Reason": "expired", "HoldHours": 26, "QuietMinutes": 15},
}

func newService(tb testing.TB, clk *clocktest.Fake, st notify.Store, sender notify.Sender, wake func()) *notify.Service {
	tb.Helper()
	s, err := notify.New(notify.DefaultConfig(), notify.Deps{Logger: discard, Clock: clk, Store: st, Sender: sender, Wake: wake})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// smtpSender is the real SMTP adapter pointed at sink.
func smtpSender(tb testing.TB, sink *mailtest.Server) notify.Sender {
	tb.Helper()
	cfg := smtp.DefaultConfig()
	cfg.Addr = sink.Addr()
	cfg.StartTLS = smtp.StartTLSNever
	s, err := smtp.New(cfg, "")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// recipient stores an account (notices reference one) and returns it as a recipient.
func recipient(tb testing.TB, db *store.DB, email, lang string) notify.Recipient {
	tb.Helper()
	a := account.Account{Kind: account.KindCustomer, Email: email, Name: "Éloïse Dupont", Language: lang,
		PasswordHash: "unused", CreatedAt: t0, UpdatedAt: t0,
		Customer: &account.Customer{Type: account.Person, Country: "FR"}}
	if err := db.WithTx(tb.Context(), func(q *store.Q) error { return q.InsertAccount(tb.Context(), &a) }); err != nil {
		tb.Fatal(err)
	}
	return notify.Recipient{AccountID: int64(a.ID), Email: a.Email, Name: a.Name, Language: lang}
}

func queue(tb testing.TB, db *store.DB, s *notify.Service, to notify.Recipient, kind, dedup string) (notify.Notice, error) {
	tb.Helper()
	var n notify.Notice
	err := db.WithTx(tb.Context(), func(q *store.Q) error {
		var err error
		n, err = s.Queue(tb.Context(), q, to, kind, samples[kind], dedup)
		return err
	})
	return n, err
}

func mustQueue(tb testing.TB, db *store.DB, s *notify.Service, to notify.Recipient, kind, dedup string) notify.Notice {
	tb.Helper()
	n, err := queue(tb, db, s, to, kind, dedup)
	if err != nil {
		tb.Fatalf("queue %s: %v", kind, err)
	}
	return n
}

func sendJobs(tb testing.TB, db *store.DB, state jobs.State) []jobs.Job {
	tb.Helper()
	js, err := db.Jobs().ListJobs(tb.Context(), state, 100)
	if err != nil {
		tb.Fatal(err)
	}
	var out []jobs.Job
	for _, j := range js {
		if j.Kind == notify.JobSend {
			out = append(out, j)
		}
	}
	return out
}

func TestRenderEveryKind(t *testing.T) {
	t.Parallel()
	s := newService(t, clocktest.New(t0), nil, nil, nil)
	kinds := s.Kinds()
	slices.Sort(kinds)
	want := slices.Sorted(maps.Keys(samples)) // every kind has sample data, and every sample a template
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("kinds with both languages (-want +got):\n%s", diff)
	}
	for _, kind := range kinds {
		data, ok := samples[kind]
		if !ok {
			t.Errorf("kind %s has no sample data in this test", kind)
			continue
		}
		subjects := map[string]string{}
		for _, lang := range []string{"fr", "en"} {
			t.Run(kind+"."+lang, func(t *testing.T) {
				subject, body, err := s.Render(kind, lang, data)
				if err != nil {
					t.Fatal(err)
				}
				subjects[lang] = subject
				if subject == "" || strings.TrimSpace(body) == "" {
					t.Errorf("subject %q, body %q: want both", subject, body)
				}
				if strings.Contains(subject+body, "<no value>") {
					t.Errorf("rendered text has <no value>:\n%s\n%s", subject, body)
				}
				if strings.ContainsAny(subject, "\r\n") || strings.HasPrefix(body, "\n") || !strings.HasSuffix(body, "\n") {
					t.Errorf("subject %q must be one line; body must start with text and end with a newline", subject)
				}
				if !strings.Contains(body, "Éloïse Dupont") {
					t.Errorf("body does not greet the recipient:\n%s", body)
				}
				golden.Check(t, "notices/"+kind+"."+lang+".txt", []byte("Subject: "+subject+"\n\n"+body))
			})
		}
		if subjects["fr"] != "" && subjects["fr"] == subjects["en"] {
			t.Errorf("%s: French and English subjects are the same: %q", kind, subjects["fr"])
		}
	}
}

func TestRenderLanguageFallback(t *testing.T) {
	t.Parallel()
	s := newService(t, clocktest.New(t0), nil, nil, nil)
	frSubject, frBody, err := s.Render("welcome", "fr", samples["welcome"])
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"", "de", "FR"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			subject, body, err := s.Render("welcome", lang, samples["welcome"])
			if err != nil || subject != frSubject || body != frBody {
				t.Errorf("Render(%q) = %q, %v; want the French text", lang, subject, err)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	s := newService(t, clocktest.New(t0), nil, nil, nil)
	without := func(kind, key string) map[string]any {
		m := map[string]any{}
		for k, v := range samples[kind] {
			if k != key {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name, kind string
		data       any
		want       string // in the error
	}{
		{"missing key in the body", "welcome", without("welcome", "LoginURL"), "LoginURL"},
		{"missing key in the subject", "token_created", without("token_created", "TokenName"), "TokenName"},
		{"missing bool", "totp_changed", without("totp_changed", "Enabled"), "Enabled"},
		{"no data", "welcome", map[string]any{}, "Name"},
		{"struct without the field", "welcome", struct{ Name string }{"x"}, "Email"},
		{"unknown kind", "server_exploded", samples["welcome"], "missing"},
	}
	for _, tt := range tests {
		for _, lang := range []string{"fr", "en"} {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				t.Parallel()
				subject, body, err := s.Render(tt.kind, lang, tt.data)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Render = %q, %q, %v; want an error naming %q", subject, body, err, tt.want)
				}
			})
		}
	}
}

func TestQueue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sender bool
		status notify.Status
		jobs   int
	}{
		{"no relay: held, no job", false, notify.Held, 0},
		{"relay: queued with a send job", true, notify.Queued, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				clk := clocktest.New(t0)
				var sender notify.Sender
				if tt.sender {
					sender = smtpSender(t, mailtest.Start(t))
				}
				s := newService(t, clk, db.Notices(), sender, nil)
				to := recipient(t, db, "eloise@example.fr", "fr")
				n := mustQueue(t, db, s, to, "token_created", "")
				subject, body, err := s.Render("token_created", "fr", samples["token_created"])
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256([]byte(body))
				want := notify.Notice{ID: n.ID, AccountID: to.AccountID, Kind: "token_created", Language: "fr",
					Recipient: to.Email, Subject: subject, Body: body, BodySHA256: hex.EncodeToString(sum[:]),
					MessageID: n.MessageID, Status: tt.status, CreatedAt: t0}
				if diff := cmp.Diff(want, n); diff != "" {
					t.Errorf("returned notice (-want +got):\n%s", diff)
				}
				got, err := s.Get(t.Context(), to.AccountID, n.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("stored notice (-want +got):\n%s", diff)
				}
				if !strings.HasSuffix(n.MessageID, "@itsgow.example") {
					t.Errorf("message id %q: want the configured domain", n.MessageID)
				}
				js := sendJobs(t, db, jobs.Available)
				if len(js) != tt.jobs {
					t.Fatalf("%d send jobs, want %d", len(js), tt.jobs)
				}
				for _, j := range js {
					var args struct {
						ID notify.NoticeID `json:"id"`
					}
					if err := json.Unmarshal(j.Args, &args); err != nil || args.ID != n.ID {
						t.Errorf("job args %s, want the notice id %d", j.Args, n.ID)
					}
					if j.MaxAttempts != 12 || !j.RunAt.Equal(t0) {
						t.Errorf("job max attempts %d run at %v", j.MaxAttempts, j.RunAt)
					}
				}
			})
		})
	}
}

func TestQueueRollsBackWithTheTransaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		s := newService(t, clk, db.Notices(), smtpSender(t, mailtest.Start(t)), nil)
		to := recipient(t, db, "eloise@example.fr", "fr")
		errAbort := errors.New("caller failed after queueing")
		err := db.WithTx(t.Context(), func(q *store.Q) error {
			if _, err := s.Queue(t.Context(), q, to, "welcome", samples["welcome"], "welcome:1"); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("WithTx = %v", err)
		}
		if ns, err := s.List(t.Context(), notify.Filter{}); err != nil || len(ns) != 0 {
			t.Errorf("notices after rollback: %v, %v", ns, err)
		}
		if js := sendJobs(t, db, jobs.Available); len(js) != 0 {
			t.Errorf("send jobs after rollback: %v", js)
		}
		// The dedup key was not consumed either.
		if n := mustQueue(t, db, s, to, "welcome", "welcome:1"); n.ID == 0 {
			t.Error("dedup key taken by a rolled-back notice")
		}
	})
}

func TestDelivery(t *testing.T) {
	t.Parallel()
	type step struct {
		advance   time.Duration
		ran       int
		status    notify.Status
		attempts  int
		lastError string // substring
		job       jobs.State
		delivered int // messages the sink holds
	}
	tests := []struct {
		name       string
		lang       string
		kind       string
		rejectN    int
		rejectCode int
		steps      []step
	}{
		{"delivered in French", "fr", "token_created", 0, 0, []step{
			{0, 1, notify.Sent, 1, "", jobs.Completed, 1},
			{time.Hour, 0, notify.Sent, 1, "", jobs.Completed, 1},
		}},
		{"delivered in English", "en", "account_locked", 0, 0, []step{
			{0, 1, notify.Sent, 1, "", jobs.Completed, 1},
		}},
		{"451 keeps it queued and retries after Backoff(1)", "fr", "welcome", 1, 451, []step{
			{0, 1, notify.Queued, 1, "451", jobs.Available, 0},
			{jobs.Backoff(1) - time.Second, 0, notify.Queued, 1, "451", jobs.Available, 0},
			{time.Second, 1, notify.Sent, 2, "", jobs.Completed, 1},
		}},
		{"two 451 then sent", "fr", "welcome", 2, 451, []step{
			{0, 1, notify.Queued, 1, "451", jobs.Available, 0},
			{jobs.Backoff(1), 1, notify.Queued, 2, "451", jobs.Available, 0},
			{jobs.Backoff(2), 1, notify.Sent, 3, "", jobs.Completed, 1},
		}},
		{"550 fails and discards the job", "fr", "totp_changed", 1, 550, []step{
			{0, 1, notify.Failed, 1, "550", jobs.Discarded, 0},
			{6 * time.Hour, 0, notify.Failed, 1, "550", jobs.Discarded, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				clk := clocktest.New(t0)
				sink := mailtest.Start(t)
				s := newService(t, clk, db.Notices(), smtpSender(t, sink), nil)
				r, err := jobs.New(jobs.DefaultConfig(), jobs.Deps{Logger: discard, Clock: clk, Store: db.Jobs(), Name: "mailer"})
				if err != nil {
					t.Fatal(err)
				}
				r.Handle(notify.JobSend, s.HandleSend)
				to := recipient(t, db, "eloise@example.fr", tt.lang)
				n := mustQueue(t, db, s, to, tt.kind, "")
				if tt.rejectN > 0 {
					sink.RejectNext(tt.rejectN, tt.rejectCode)
				}
				var sentAt time.Time
				for k, st := range tt.steps {
					clk.Advance(st.advance)
					ran, err := r.Tick(t.Context())
					if err != nil || ran != st.ran {
						t.Errorf("step %d: tick ran %d (%v), want %d", k, ran, err, st.ran)
					}
					got, err := s.Get(t.Context(), to.AccountID, n.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.Status != st.status || got.Attempts != st.attempts {
						t.Errorf("step %d: notice %s after %d attempts, want %s after %d", k, got.Status, got.Attempts, st.status, st.attempts)
					}
					if (st.lastError == "") != (got.LastError == "") || !strings.Contains(got.LastError, st.lastError) {
						t.Errorf("step %d: last error %q, want %q", k, got.LastError, st.lastError)
					}
					if st.status == notify.Sent && sentAt.IsZero() {
						sentAt = clk.Now()
					}
					if !got.SentAt.Equal(sentAt) {
						t.Errorf("step %d: sent at %v, want %v", k, got.SentAt, sentAt)
					}
					if js := sendJobs(t, db, st.job); len(js) != 1 {
						t.Errorf("step %d: %d %s send jobs, want 1", k, len(js), st.job)
					}
					if msgs := sink.Messages(); len(msgs) != st.delivered {
						t.Errorf("step %d: sink holds %d messages, want %d", k, len(msgs), st.delivered)
					}
				}
				if msgs := sink.Messages(); len(msgs) == 1 {
					checkMessage(t, msgs[0], n)
				}
			})
		})
	}
}

// checkMessage compares what the relay received with the stored notice.
func checkMessage(t *testing.T, m mailtest.Received, n notify.Notice) {
	t.Helper()
	if m.From != "noreply@itsgow.example" || !slices.Equal(m.To, []string{n.Recipient}) {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != n.Subject {
		t.Errorf("subject %q (%v), want %q", subject, err, n.Subject)
	}
	if m.Body != n.Body {
		t.Errorf("body:\n%q\nwant\n%q", m.Body, n.Body)
	}
	headers := map[string]string{
		"Message-Id":           "<" + n.MessageID + ">",
		"X-Itsgow-Notice":      fmt.Sprint(n.ID),
		"X-Itsgow-Notice-Kind": n.Kind,
		"Content-Type":         "text/plain; charset=utf-8",
	}
	for name, want := range headers {
		if got := m.Header.Get(name); got != want {
			t.Errorf("header %s: %q, want %q", name, got, want)
		}
	}
	if date, err := mail.ParseDate(m.Header.Get("Date")); err != nil || !date.Equal(n.CreatedAt) {
		t.Errorf("date %v (%v), want %v", date, err, n.CreatedAt)
	}
	to, err := mail.ParseAddress(m.Header.Get("To"))
	if err != nil || to.Address != n.Recipient {
		t.Errorf("To header %q", m.Header.Get("To"))
	}
}

func TestHandleSendEdges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		sink := mailtest.Start(t)
		s := newService(t, clk, db.Notices(), smtpSender(t, sink), nil)
		to := recipient(t, db, "eloise@example.fr", "fr")
		ctx := t.Context()
		sendJob := func(id notify.NoticeID, attempt int) jobs.Job {
			return jobs.Job{ID: 1, Kind: notify.JobSend, Args: json.RawMessage(fmt.Sprintf(`{"id":%d}`, id)),
				Attempt: attempt, MaxAttempts: 12}
		}
		t.Run("unknown notice is permanent", func(t *testing.T) {
			if err := s.HandleSend(ctx, sendJob(999999, 1)); !jobs.IsPermanent(err) {
				t.Errorf("HandleSend = %v, want a permanent error", err)
			}
		})
		t.Run("malformed args are permanent", func(t *testing.T) {
			j := sendJob(1, 1)
			j.Args = json.RawMessage(`{"id":"x"}`)
			if err := s.HandleSend(ctx, j); !jobs.IsPermanent(err) {
				t.Errorf("HandleSend = %v, want a permanent error", err)
			}
		})
		t.Run("temporary failure on the last attempt fails the notice", func(t *testing.T) {
			n := mustQueue(t, db, s, to, "welcome", "")
			sink.RejectNext(1, 451)
			err := s.HandleSend(ctx, sendJob(n.ID, 12))
			if !jobs.IsPermanent(err) {
				t.Errorf("HandleSend = %v, want a permanent error", err)
			}
			got, _ := s.Get(ctx, 0, n.ID)
			if got.Status != notify.Failed || !strings.Contains(got.LastError, "451") {
				t.Errorf("notice %s (%q), want failed with the 451", got.Status, got.LastError)
			}
		})
		t.Run("a sent notice is not sent again", func(t *testing.T) {
			n := mustQueue(t, db, s, to, "token_created", "")
			before := len(sink.Messages())
			for range 2 { // the second run is a duplicate delivery job (a resend, a lost lease)
				if err := s.HandleSend(ctx, sendJob(n.ID, 1)); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(sink.Messages()) - before; got != 1 {
				t.Errorf("%d messages sent, want 1", got)
			}
			err := db.WithTx(ctx, func(q *store.Q) error { return s.Resend(ctx, q, n.ID) })
			if err != nil {
				t.Fatal(err)
			}
			if err := s.HandleSend(ctx, sendJob(n.ID, 1)); err != nil || len(sink.Messages())-before != 1 {
				t.Errorf("after a resend: %v, %d messages", err, len(sink.Messages())-before)
			}
		})
	})
}

func TestResendWithoutRelay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, clocktest.New(t0), db.Notices(), nil, nil)
		to := recipient(t, db, "eloise@example.fr", "fr")
		n := mustQueue(t, db, s, to, "welcome", "")
		err := db.WithTx(t.Context(), func(q *store.Q) error { return s.Resend(t.Context(), q, n.ID) })
		if e := errs.As(err); e == nil || e.Kind != errs.Unavailable || e.Code != "no_relay" {
			t.Errorf("Resend = %v, want unavailable no_relay", err)
		}
	})
}

func TestDedupKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		keys   []string
		apart  time.Duration // between two queue calls
		stored int
	}{
		{"same key twice", []string{"welcome:42", "welcome:42"}, time.Second, 1},
		{"same key three times", []string{"k", "k", "k"}, time.Second, 1},
		{"different keys", []string{"locked:42:1", "locked:42:2"}, time.Second, 2},
		// Two processes see the same event at once: what the dedup key exists for.
		{"same key at the same instant", []string{"welcome:42", "welcome:42"}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				clk := clocktest.New(t0)
				s := newService(t, clk, db.Notices(), smtpSender(t, mailtest.Start(t)), nil)
				to := recipient(t, db, "eloise@example.fr", "fr")
				var ids []notify.NoticeID
				for i, key := range tt.keys {
					if i > 0 {
						clk.Advance(tt.apart)
					}
					n, err := queue(t, db, s, to, "account_locked", key)
					if err != nil {
						t.Fatalf("queue %d with key %q: %v", i, key, err)
					}
					if slices.Contains(tt.keys[:i], key) {
						if n.ID != 0 {
							t.Errorf("queue %d with a used key returned notice %d, want the zero Notice", i, n.ID)
						}
						continue
					}
					ids = append(ids, n.ID)
				}
				ns, err := s.List(t.Context(), notify.Filter{AccountID: to.AccountID})
				if err != nil {
					t.Fatal(err)
				}
				if len(ns) != tt.stored || len(ids) != tt.stored {
					t.Errorf("%d notices stored (%d returned), want %d", len(ns), len(ids), tt.stored)
				}
				if js := sendJobs(t, db, jobs.Available); len(js) != tt.stored {
					t.Errorf("%d send jobs, want %d", len(js), tt.stored)
				}
			})
		})
	}
}

// TestQueueSameTextTwice queues the same notice to two recipients at one instant, as a notice
// announcing one planned intervention to every customer of a rack does. Both must be stored,
// each with its own Message-ID.
func TestQueueSameTextTwice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clocktest.New(t0)
		s := newService(t, clk, db.Notices(), nil, nil)
		a := recipient(t, db, "eloise@example.fr", "fr")
		b := recipient(t, db, "eloise.dupont@example.com", "fr")
		na := mustQueue(t, db, s, a, "totp_changed", "")
		nb, err := queue(t, db, s, b, "totp_changed", "")
		if err != nil {
			t.Fatalf("second recipient: %v (the first got Message-ID %s)", err, na.MessageID)
		}
		if na.MessageID == nb.MessageID {
			t.Errorf("both notices have Message-ID %s", na.MessageID)
		}
	})
}

func TestGetScoping(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, clocktest.New(t0), db.Notices(), nil, nil)
		owner := recipient(t, db, "eloise@example.fr", "fr")
		other := recipient(t, db, "paul@example.fr", "en")
		n := mustQueue(t, db, s, owner, "welcome", "")
		tests := []struct {
			name    string
			account int64
			id      notify.NoticeID
			kind    errs.Kind // Internal: no error expected
		}{
			{"owner", owner.AccountID, n.ID, errs.Internal},
			{"staff (account 0)", 0, n.ID, errs.Internal},
			{"another account", other.AccountID, n.ID, errs.NotFound},
			{"unknown id", owner.AccountID, n.ID + 1000, errs.NotFound},
			{"unknown id for staff", 0, n.ID + 1000, errs.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				got, err := s.Get(t.Context(), tt.account, tt.id)
				if tt.kind == errs.Internal {
					if err != nil || got.ID != n.ID {
						t.Errorf("Get = %d, %v; want notice %d", got.ID, err, n.ID)
					}
					return
				}
				if k := errs.KindOf(err); k != tt.kind {
					t.Errorf("Get: kind %v (err %v), want %v", k, err, tt.kind)
				}
				if got.ID != 0 || got.Body != "" {
					t.Errorf("Get leaked a notice with its error: %+v", got)
				}
			})
		}
		t.Run("list is scoped too", func(t *testing.T) {
			t.Parallel()
			ns, err := s.List(t.Context(), notify.Filter{AccountID: other.AccountID})
			if err != nil || len(ns) != 0 {
				t.Errorf("other account's list: %v, %v", ns, err)
			}
		})
	})
}

// TestQueueWakesRunner: Deps.Wake is documented as waking the job runner after commit, so a
// notice does not wait for the next poll.
func TestQueueWakesRunner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var woken atomic.Int32
		s := newService(t, clocktest.New(t0), db.Notices(), smtpSender(t, mailtest.Start(t)), func() { woken.Add(1) })
		to := recipient(t, db, "eloise@example.fr", "fr")
		mustQueue(t, db, s, to, "welcome", "")
		if woken.Load() == 0 {
			t.Error("Deps.Wake was not called after a send job was queued")
		}
	})
}
