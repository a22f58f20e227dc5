package order

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
)

// Event is what a payment provider says about a payment. Its ID is unique per provider: the
// pair is an idempotency key, so a duplicated event is recorded once and acted on once.
type Event struct {
	Provider  Method    `json:"provider"`
	ID        string    `json:"id"`
	PaymentID PaymentID `json:"paymentId"`
	Outcome   string    `json:"outcome"` // succeeded or failed
	Failure   string    `json:"failure,omitempty"`
}

// Event outcomes.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
)

// PayInput is what the customer chose to pay with.
type PayInput struct {
	Method         Method
	Card           string // sandbox only
	IdempotencyKey string
}

// Begun is a payment handed to its provider: the provider's reference and the events it will
// send (asynchronously, as jobs; a provider may send one twice).
type Begun struct {
	ProviderRef string
	Events      []Event
}

// Provider is a payment provider.
type Provider interface {
	Method() Method
	Begin(ctx context.Context, p Payment, in PayInput) (Begun, error)
}

// Transfer is the bank transfer: nothing happens until staff confirm the money arrived.
type Transfer struct{}

// Method is transfer.
func (Transfer) Method() Method { return MethodTransfer }

// Begin returns no event: the customer transfers the amount with the payment's reference.
func (Transfer) Begin(_ context.Context, p Payment, _ PayInput) (Begun, error) {
	return Begun{ProviderRef: p.Reference}, nil
}

// Sandbox card numbers (the usual test numbers of card processors).
const (
	CardOK           = "4242424242424242" // paid
	CardDeclined     = "4000000000000002" // declined: card_declined
	CardInsufficient = "4000000000009995" // declined: insufficient_funds
	CardDuplicated   = "4000000000000259" // paid, and the provider sends the event twice
)

// Sandbox is the card simulator of the demo and the tests. The outcome depends on the card
// number; any other Luhn-valid number is paid.
type Sandbox struct{}

// Method is sandbox.
func (Sandbox) Method() Method { return MethodSandbox }

// Begin decides the outcome and returns the events the simulated provider sends.
func (Sandbox) Begin(_ context.Context, p Payment, in PayInput) (Begun, error) {
	card := strings.ReplaceAll(strings.ReplaceAll(in.Card, " ", ""), "-", "")
	if card == "" {
		card = CardOK
	}
	if !luhn(card) {
		return Begun{}, errs.Fields(errs.FieldError{Field: "card", Message: "is not a valid card number"})
	}
	ref := fmt.Sprintf("sbx_%d", p.ID)
	ev := Event{Provider: MethodSandbox, ID: "evt_" + ref, PaymentID: p.ID, Outcome: OutcomeSucceeded}
	switch card {
	case CardDeclined:
		ev.Outcome, ev.Failure = OutcomeFailed, "card_declined"
	case CardInsufficient:
		ev.Outcome, ev.Failure = OutcomeFailed, "insufficient_funds"
	case CardDuplicated:
		return Begun{ProviderRef: ref, Events: []Event{ev, ev}}, nil
	}
	return Begun{ProviderRef: ref, Events: []Event{ev}}, nil
}

func luhn(s string) bool {
	if len(s) < 12 || len(s) > 19 {
		return false
	}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[len(s)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// Inventory reserves a server for a paid order and releases it when the order is cancelled.
// The fleet implements it with its free servers; SeededInventory uses the catalogue's seeded
// counts until then.
type Inventory interface {
	Reserve(ctx context.Context, tx Tx, o Order, at time.Time) error
	Release(ctx context.Context, tx Tx, o Order, at time.Time) error
}

// SeededInventory takes and gives back the seeded stock count of the plan.
type SeededInventory struct{}

// Reserve takes one free server of the order's plan.
func (SeededInventory) Reserve(ctx context.Context, tx Tx, o Order, at time.Time) error {
	return tx.ReserveStock(ctx, int64(o.ID), o.PlanCode, at)
}

// Release gives it back.
func (SeededInventory) Release(ctx context.Context, tx Tx, o Order, at time.Time) error {
	return tx.ReleaseStock(ctx, int64(o.ID), at)
}
