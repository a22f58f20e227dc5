package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/jobs"
	"github.com/itsgow/itsgow/internal/money"
	"github.com/itsgow/itsgow/internal/policy"
)

// HandleCycle is the handler of JobCycle: renewals, then dunning, then terminations.
func (s *Service) HandleCycle(ctx context.Context, _ jobs.Job) error {
	_, err := s.Cycle(ctx)
	return err
}

// CycleResult counts what one cycle did.
type CycleResult struct {
	Renewed, Reminded, Suspended, Terminated int
}

// Cycle runs renewals, dunning and terminations once, at the clock's time.
func (s *Service) Cycle(ctx context.Context) (CycleResult, error) {
	var r CycleResult
	var err error
	if r.Renewed, err = s.RunRenewals(ctx); err != nil {
		return r, fmt.Errorf("renewals: %w", err)
	}
	if r.Reminded, r.Suspended, r.Terminated, err = s.RunDunning(ctx); err != nil {
		return r, fmt.Errorf("dunning: %w", err)
	}
	n, err := s.RunEndings(ctx)
	r.Terminated += n
	if err != nil {
		return r, fmt.Errorf("terminations: %w", err)
	}
	if r != (CycleResult{}) {
		s.log.Info("billing cycle", "renewed", r.Renewed, "reminded", r.Reminded, "suspended", r.Suspended, "terminated", r.Terminated)
	}
	return r, nil
}

// RunRenewals issues the renewal invoice of every automatic contract whose term ends within
// renewal_notice_days, one batch of contracts per transaction, and returns how many it issued.
func (s *Service) RunRenewals(ctx context.Context) (int, error) {
	now := s.Now()
	horizon := now.Add(time.Duration(s.deps.Policy.RenewalNoticeDays) * policy.Day)
	total := 0
	var after ContractID
	custs := map[account.ID]account.Account{} // customers are read once per run
	for {
		n := 0
		err := s.deps.Store.InTx(ctx, func(tx Tx) error {
			cs, err := tx.ContractsDueForRenewal(ctx, horizon, after, s.cfg.Batch)
			if err != nil {
				return err
			}
			n = len(cs)
			if n == 0 {
				return nil
			}
			drafts := make([]Draft, len(cs))
			for i, c := range cs {
				cust, ok := custs[c.CustomerID]
				if !ok {
					if cust, err = tx.AccountByID(ctx, c.CustomerID); err != nil {
						return err
					}
					custs[c.CustomerID] = cust
				}
				drafts[i] = s.renewalDraft(c, cust)
			}
			// one allocation of numbers for the whole batch, in this transaction
			invs, err := s.Issue(ctx, tx, drafts...)
			if err != nil {
				return err
			}
			for i, c := range cs {
				if err := s.recordRenewal(ctx, tx, c, drafts[i].Customer, invs[i]); err != nil {
					return fmt.Errorf("contract %d: %w", c.ID, err)
				}
				after = c.ID
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < s.cfg.Batch {
			return total, nil
		}
	}
}

// Dunning steps.
const (
	StepSuspend   = "suspend"
	StepTerminate = "terminate"
)

// ReminderStep names the n-th reminder (1-based).
func ReminderStep(n int) string { return fmt.Sprintf("reminder-%d", n) }

// RunDunning walks unpaid renewal invoices past their due date: reminders on the policy's days
// (each step once: a row per (invoice, step) records it; when several steps fall due together,
// only the latest reminder is sent), suspension with reason nonPayment after
// dunning_suspend_days, termination after dunning_terminate_days.
func (s *Service) RunDunning(ctx context.Context) (reminded, suspended, terminated int, err error) {
	now := s.Now()
	p := s.deps.Policy
	err = s.deps.Store.InTx(ctx, func(tx Tx) error {
		list, err := tx.OverdueRenewals(ctx, now, 10000)
		if err != nil {
			return err
		}
		for _, o := range list {
			days := int(now.Sub(o.Invoice.DueAt) / policy.Day)
			last := 0
			for i, d := range p.DunningReminderDays {
				if days < d {
					break
				}
				ok, err := tx.InsertDunningStep(ctx, o.Invoice.ID, ReminderStep(i+1), now)
				if err != nil {
					return err
				}
				if ok {
					last = i + 1
				}
			}
			cust, err := tx.AccountByID(ctx, o.Invoice.CustomerID)
			if err != nil {
				return err
			}
			if last > 0 && days < p.DunningSuspendDays {
				reminded++
				suspendOn := o.Invoice.DueAt.Add(time.Duration(p.DunningSuspendDays) * policy.Day)
				if _, err := s.deps.Notify.Queue(ctx, tx, recipient(cust), "dunning_reminder", map[string]any{
					"Name": cust.Name, "Number": o.Invoice.Number, "Step": last,
					"Amount": money.Format(o.Invoice.InclTaxCents, o.Invoice.Currency, cust.Language),
					"Due":    fmtDate(o.Invoice.DueAt, cust.Language), "SuspendOn": fmtDate(suspendOn, cust.Language),
					"Plan": o.Contract.PlanName, "URL": s.deps.PublicURL + "/invoices",
				}, fmt.Sprintf("dunning:%d:%s", o.Invoice.ID, ReminderStep(last))); err != nil {
					return err
				}
			}
			if days >= p.DunningTerminateDays {
				ok, err := tx.InsertDunningStep(ctx, o.Invoice.ID, StepTerminate, now)
				if err != nil {
					return err
				}
				if ok && o.Contract.Status != ContractTerminated {
					if _, err := s.terminate(ctx, tx, o.Contract, now, ReasonNonPayment); err != nil {
						return err
					}
					terminated++
				}
				continue
			}
			if days >= p.DunningSuspendDays {
				ok, err := tx.InsertDunningStep(ctx, o.Invoice.ID, StepSuspend, now)
				if err != nil {
					return err
				}
				if ok && o.Contract.Status == ContractActive {
					if err := s.suspend(ctx, tx, o.Contract, cust, o.Invoice, now); err != nil {
						return err
					}
					suspended++
				}
			}
		}
		return nil
	})
	return reminded, suspended, terminated, err
}

func (s *Service) suspend(ctx context.Context, tx Tx, c Contract, cust account.Account, inv Invoice, now time.Time) error {
	sp := Suspension{ContractID: c.ID, ServerRef: c.ServerRef, Reason: ReasonNonPayment, StartedAt: now}
	if err := tx.InsertSuspension(ctx, &sp); err != nil {
		return err
	}
	c.Status, c.UpdatedAt = ContractSuspended, now
	if err := tx.UpdateContract(ctx, c); err != nil {
		return err
	}
	if err := s.deps.Suspender.Suspend(ctx, tx, now, sp); err != nil {
		return err
	}
	terminateOn := inv.DueAt.Add(time.Duration(s.deps.Policy.DunningTerminateDays) * policy.Day)
	_, err := s.deps.Notify.Queue(ctx, tx, recipient(cust), "contract_suspended", map[string]any{
		"Name": cust.Name, "Number": inv.Number, "Plan": c.PlanName, "Contract": c.ID,
		"Amount": money.Format(inv.InclTaxCents, inv.Currency, cust.Language), "TerminateOn": fmtDate(terminateOn, cust.Language),
		"URL": s.deps.PublicURL + "/invoices",
	}, fmt.Sprintf("suspended:%d:%d", c.ID, inv.ID))
	return err
}

// RunEndings terminates contracts whose termination is due, and manual contracts whose term
// ended without a paid renewal.
func (s *Service) RunEndings(ctx context.Context) (int, error) {
	now := s.Now()
	n := 0
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		cs, err := tx.ContractsEnding(ctx, now, 1000)
		if err != nil {
			return err
		}
		for _, c := range cs {
			reason, at := c.TerminationReason, c.TerminateAt
			if at.IsZero() || at.After(now) {
				reason, at = "endOfTerm", c.TermEnd
			}
			if reason == "" {
				reason = "customer"
			}
			if _, err := s.terminate(ctx, tx, c, at, reason); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
