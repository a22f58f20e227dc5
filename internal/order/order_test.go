package order

import (
	"testing"
	"time"
)

func TestIsLateAtTheDeadline(t *testing.T) {
	t.Parallel()
	paid := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := Order{Status: Paid, PaidAt: paid, DeliveryDeadline: paid.Add(7 * 24 * time.Hour)}
	for _, tc := range []struct {
		name   string
		status Status
		at     time.Duration
		late   bool
		left   time.Duration
	}{
		{"7 days minus a second", Paid, 7*24*time.Hour - time.Second, false, time.Second},
		{"7 days", Paid, 7 * 24 * time.Hour, true, 0},
		{"7 days and a second", Paid, 7*24*time.Hour + time.Second, true, 0},
		{"delivering past the deadline", Delivering, 8 * 24 * time.Hour, true, 0},
		{"marked late", Late, 8 * 24 * time.Hour, true, 0},
		{"delivered", Delivered, 8 * 24 * time.Hour, false, 0},
		{"refunded", Refunded, 8 * 24 * time.Hour, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := o
			x.Status = tc.status
			now := paid.Add(tc.at)
			if got := IsLate(x, now); got != tc.late {
				t.Errorf("IsLate = %v, want %v", got, tc.late)
			}
			if got := TimeLeft(x, now); got != tc.left {
				t.Errorf("TimeLeft = %v, want %v", got, tc.left)
			}
		})
	}
	if IsLate(Order{Status: NotPaid}, paid.Add(30*24*time.Hour)) {
		t.Error("an unpaid order has no deadline")
	}
}

func TestWithdrawable(t *testing.T) {
	t.Parallel()
	paid := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := Order{Status: Delivered, Consumer: true, PaidAt: paid}
	period := 14 * 24 * time.Hour
	if !Withdrawable(o, paid.Add(period-time.Second), period) || Withdrawable(o, paid.Add(period), period) {
		t.Error("the withdrawal period is [paidAt, paidAt+14d)")
	}
	o.Consumer = false
	if Withdrawable(o, paid, period) {
		t.Error("a business customer has no withdrawal right")
	}
}

func TestSandboxCards(t *testing.T) {
	t.Parallel()
	p := Payment{ID: 7}
	for card, want := range map[string][]string{CardOK: {OutcomeSucceeded}, CardDeclined: {OutcomeFailed}, CardInsufficient: {OutcomeFailed},
		CardDuplicated: {OutcomeSucceeded, OutcomeSucceeded}, "4111 1111 1111 1111": {OutcomeSucceeded}} {
		b, err := Sandbox{}.Begin(t.Context(), p, PayInput{Card: card})
		if err != nil || len(b.Events) != len(want) {
			t.Fatalf("%s: %+v %v", card, b, err)
		}
		for i, ev := range b.Events {
			if ev.Outcome != want[i] || ev.ID != b.Events[0].ID || ev.PaymentID != 7 {
				t.Errorf("%s: event %+v", card, ev)
			}
		}
	}
	if _, err := (Sandbox{}).Begin(t.Context(), p, PayInput{Card: "4242424242424241"}); err == nil {
		t.Error("a card failing the Luhn check was taken")
	}
}
