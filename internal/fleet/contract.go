package fleet

import (
	"context"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// ContractTerm is what the fleet shows of a server's contract. The contract owns the term: its
// end moves with each paid renewal, and a termination asked for at the end of the term is
// recorded there, whichever way it was asked (the server or the contract).
type ContractTerm struct {
	ID             int64
	StartedAt      time.Time
	TermEnd        time.Time // end of the current term
	DurationMonths int
	AutoRenew      bool
	TerminateAt    time.Time // a termination asked for, zero when none
	Terminated     bool
}

// Contracts is the port to the commerce side for servers rented under a contract (delivered
// for an order). The fleet delegates terms and terminations of such a server to its contract;
// a server without one (a staff or demo delivery) keeps its own dates (Server.TermEnd,
// Server.TerminateAt). Implemented in internal/app over billing.
type Contracts interface {
	// ContractOf returns the contract of a server; ok is false when it has none.
	ContractOf(ctx context.Context, srv Server) (c ContractTerm, ok bool, err error)
	// TerminateContract ends the server's contract now or at the end of its term, as the
	// contract side does (a pending renewal invoice is cancelled by a credit note). At now, it
	// enqueues the contract side's own termination job, which finds the server released.
	TerminateContract(ctx context.Context, actor account.Actor, srv Server, at TerminationAt, reason string) (ContractTerm, error)
	// WithdrawContractTermination withdraws a termination at the end of the term while the term
	// runs (409 termination_due from its end on, 409 no_termination with none pending).
	WithdrawContractTermination(ctx context.Context, actor account.Actor, srv Server) (ContractTerm, error)
}

// contractOf returns the contract of a server when the port is wired and it has one.
func (s *Service) contractOf(ctx context.Context, srv Server) (ContractTerm, bool, error) {
	if s.deps.Contracts == nil {
		return ContractTerm{}, false, nil
	}
	return s.deps.Contracts.ContractOf(ctx, srv)
}

// TermEnd is the end of the server's current term: its contract's when it has one (moved by
// each paid renewal), else the end of the first term from delivery.
func (d ServerDetail) TermEnd() time.Time {
	if d.Contract != nil {
		return d.Contract.TermEnd
	}
	return d.Server.TermEnd()
}

// TerminateAt is when a termination asked for takes effect: the contract's when the server has
// one, else the server's own date (zero when none).
func (d ServerDetail) TerminateAt() time.Time {
	if d.Contract != nil {
		return d.Contract.TerminateAt
	}
	return d.Server.TerminateAt
}

// AutoRenew reports whether the term renews by itself: an automatic contract with no
// termination asked for; a server without a contract renews until a termination is asked for.
func (d ServerDetail) AutoRenew() bool {
	if d.Contract != nil {
		return d.Contract.AutoRenew && d.Contract.TerminateAt.IsZero() && !d.Contract.Terminated
	}
	return d.Server.TerminateAt.IsZero()
}
