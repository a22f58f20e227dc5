package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/template"
	"time"

	"github.com/itsgow/itsgow/internal/clock"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/logkey"
)

// NoticeID identifies a notice.
type NoticeID int64

// Status of a notice's delivery.
type Status string

// Notice delivery states. Held: no relay is configured, the notice waits in the outbox.
const (
	Queued Status = "queued"
	Sent   Status = "sent"
	Failed Status = "failed"
	Held   Status = "held"
)

// Notice is a contractual email, kept as evidence: what was sent, to whom, when, and how it went.
type Notice struct {
	ID         NoticeID
	AccountID  int64
	Kind       string
	Language   string
	Recipient  string
	Subject    string
	Body       string
	BodySHA256 string
	MessageID  string
	DedupKey   string
	Status     Status
	Attempts   int
	LastError  string
	CreatedAt  time.Time
	SentAt     time.Time
}

// Recipient is who a notice goes to.
type Recipient struct {
	AccountID int64
	Email     string
	Name      string
	Language  string
}

// Filter selects notices.
type Filter struct {
	AccountID int64    // 0: every account (staff outbox)
	Statuses  []Status // empty: every status
	BeforeID  NoticeID // pagination: ids below this
	Limit     int
}

// Tx is what a transaction offers to queue a notice.
type Tx interface {
	jobs.Tx
	// InsertNotice stores n and sets its ID; it returns false when n.DedupKey was already used.
	InsertNotice(ctx context.Context, n *Notice) (bool, error)
	// AfterCommit runs f once the transaction committed.
	AfterCommit(f func())
}

// Store keeps notices.
type Store interface {
	GetNotice(ctx context.Context, id NoticeID) (Notice, error)
	ListNotices(ctx context.Context, f Filter) ([]Notice, error)
	// RecordDelivery stores the outcome of one delivery attempt.
	RecordDelivery(ctx context.Context, id NoticeID, status Status, errMsg string, sentAt time.Time) error
}

// Config of notices.
type Config struct {
	From string `yaml:"from"`
	// MessageIDDomain is the right-hand side of Message-IDs.
	MessageIDDomain string `yaml:"message_id_domain"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{From: "ITSGOW <noreply@itsgow.example>", MessageIDDomain: "itsgow.example"}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if !strings.Contains(c.From, "@") {
		return errors.New("mail.from: must be an email address")
	}
	if c.MessageIDDomain == "" || strings.ContainsAny(c.MessageIDDomain, "<>@ ") {
		return errors.New("mail.message_id_domain: must be a domain name")
	}
	return nil
}

// Deps of the service.
type Deps struct {
	Logger *slog.Logger
	Clock  clock.Clock
	Store  Store
	Sender Sender // nil: no relay, notices are held in the outbox
	Wake   func() // wakes the job runner after commit; may be nil
}

// JobSend is the job kind that delivers one notice.
const JobSend = "notice.send"

//go:embed templates/*.txt
var templatesFS embed.FS

// Service renders, stores and delivers notices.
type Service struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	tpl  *template.Template
}

// New makes the service and parses the templates.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tpl, err := template.New("").Option("missingkey=error").ParseFS(templatesFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("parse notice templates: %w", err)
	}
	return &Service{cfg: cfg, deps: deps, log: deps.Logger.With(logkey.Component, "notify"), tpl: tpl}, nil
}

// Kinds lists the notice kinds that have templates in both languages.
func (s *Service) Kinds() []string {
	seen := map[string]int{}
	for _, t := range s.tpl.Templates() {
		name := t.Name()
		if k, ok := strings.CutSuffix(name, ".fr.txt"); ok {
			seen[k]++
		} else if k, ok := strings.CutSuffix(name, ".en.txt"); ok {
			seen[k]++
		}
	}
	var out []string
	for k, n := range seen {
		if n == 2 {
			out = append(out, k)
		}
	}
	return out
}

// Render renders the subject and body of kind in lang with data. A template file starts with
// "Subject: ..." on its first line, then a blank line, then the body.
func (s *Service) Render(kind, lang string, data any) (subject, body string, err error) {
	if lang != "fr" && lang != "en" {
		lang = "fr"
	}
	name := kind + "." + lang + ".txt"
	if s.tpl.Lookup(name) == nil {
		return "", "", fmt.Errorf("notice template %s missing", name)
	}
	var b bytes.Buffer
	if err := s.tpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", "", fmt.Errorf("render notice %s: %w", name, err)
	}
	head, rest, ok := strings.Cut(b.String(), "\n")
	subject, found := strings.CutPrefix(head, "Subject: ")
	if !ok || !found {
		return "", "", fmt.Errorf("notice template %s: first line must be Subject:", name)
	}
	return strings.TrimSpace(subject), strings.TrimLeft(rest, "\n"), nil
}

// Queue renders a notice, stores it and enqueues its delivery in tx. With a non-empty dedupKey a
// second call with the same key stores nothing and returns the zero Notice and no error.
func (s *Service) Queue(ctx context.Context, tx Tx, to Recipient, kind string, data any, dedupKey string) (Notice, error) {
	subject, body, err := s.Render(kind, to.Language, data)
	if err != nil {
		return Notice{}, err
	}
	now := s.deps.Clock.Now()
	sum := sha256.Sum256([]byte(body))
	n := Notice{
		AccountID: to.AccountID, Kind: kind, Language: to.Language, Recipient: to.Email,
		Subject: subject, Body: body, BodySHA256: hex.EncodeToString(sum[:]), DedupKey: dedupKey,
		Status: Queued, CreatedAt: now,
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	n.MessageID = fmt.Sprintf("notice-%d-%s@%s", now.Unix(), hex.EncodeToString(rnd[:]), s.cfg.MessageIDDomain)
	if s.deps.Sender == nil {
		n.Status = Held
	}
	inserted, err := tx.InsertNotice(ctx, &n)
	if err != nil {
		return Notice{}, fmt.Errorf("store notice: %w", err)
	}
	if !inserted {
		return Notice{}, nil
	}
	if s.deps.Sender != nil {
		if err := s.enqueue(ctx, tx, n.ID, now); err != nil {
			return Notice{}, err
		}
		s.wake(tx)
	}
	return n, nil
}

func (s *Service) enqueue(ctx context.Context, tx jobs.Tx, id NoticeID, now time.Time) error {
	_, _, err := jobs.Enqueue(ctx, tx, now, JobSend, sendArgs{ID: id},
		jobs.Opts{UniqueKey: fmt.Sprintf("notice:%d:%d", id, now.UnixNano()), MaxAttempts: 12})
	if err != nil {
		return fmt.Errorf("enqueue notice delivery: %w", err)
	}
	return nil
}

func (s *Service) wake(tx Tx) {
	if s.deps.Wake != nil {
		tx.AfterCommit(s.deps.Wake)
	}
}

type sendArgs struct {
	ID NoticeID `json:"id"`
}

// HandleSend is the job handler of JobSend: one delivery attempt.
func (s *Service) HandleSend(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[sendArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	n, err := s.deps.Store.GetNotice(ctx, a.ID)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return jobs.Permanent(err)
		}
		return err
	}
	if n.Status == Sent {
		return nil // already delivered by an earlier attempt
	}
	if s.deps.Sender == nil {
		return s.deps.Store.RecordDelivery(ctx, n.ID, Held, "no mail relay configured", time.Time{})
	}
	msg := Message{
		From: s.cfg.From, To: n.Recipient, Subject: n.Subject, TextBody: n.Body,
		MessageID: n.MessageID, Date: n.CreatedAt,
		Headers: map[string]string{"X-Itsgow-Notice": fmt.Sprint(n.ID), "X-Itsgow-Notice-Kind": n.Kind},
	}
	sendErr := s.deps.Sender.Send(ctx, msg)
	now := s.deps.Clock.Now()
	if sendErr == nil {
		s.log.Info("notice sent", logkey.NoticeID, n.ID)
		return s.deps.Store.RecordDelivery(ctx, n.ID, Sent, "", now)
	}
	var perm *PermanentError
	last := j.Attempt >= j.MaxAttempts
	if errors.As(sendErr, &perm) || last {
		if err := s.deps.Store.RecordDelivery(ctx, n.ID, Failed, sendErr.Error(), time.Time{}); err != nil {
			return err
		}
		return jobs.Permanent(sendErr)
	}
	if err := s.deps.Store.RecordDelivery(ctx, n.ID, Queued, sendErr.Error(), time.Time{}); err != nil {
		return err
	}
	return sendErr
}

// Get returns a notice; with accountID non-zero, another account's notice is NotFound.
func (s *Service) Get(ctx context.Context, accountID int64, id NoticeID) (Notice, error) {
	n, err := s.deps.Store.GetNotice(ctx, id)
	if err != nil {
		return Notice{}, err
	}
	if accountID != 0 && n.AccountID != accountID {
		return Notice{}, errs.E(errs.NotFound, "notice not found", nil)
	}
	return n, nil
}

// List lists notices.
func (s *Service) List(ctx context.Context, f Filter) ([]Notice, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.deps.Store.ListNotices(ctx, f)
}

// Resend queues a new delivery attempt of a held or failed notice (staff action or relay now
// configured).
func (s *Service) Resend(ctx context.Context, tx Tx, id NoticeID) error {
	if s.deps.Sender == nil {
		return errs.Coded(errs.Unavailable, "no_relay", "no mail relay is configured")
	}
	if err := s.enqueue(ctx, tx, id, s.deps.Clock.Now()); err != nil {
		return err
	}
	s.wake(tx)
	return nil
}
