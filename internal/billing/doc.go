// Package billing owns the money side of a rented server once it is sold: invoices and credit
// notes with gap-free yearly numbers allocated in the issuing transaction, the VAT rules (France,
// EU business reverse charge, EU consumer at the customer's rate, outside the EU), contracts that
// start at delivery with their plan and price frozen for the term (Art. 4, 10), renewals issued
// renewal_notice_days before the term ends and extending the term exactly once, and dunning
// (reminders, suspension for nonPayment, termination).
//
// Effects on servers (suspend, lift, terminate) are jobs the fleet carries out: a Suspender
// enqueues them in the same transaction, and the suspension is recorded here whether or not a
// fleet runs. The PDF of an invoice is rendered by the sub-package billing/pdf from the stored
// invoice alone.
//
// It is a domain package: it imports account, notify, jobs, policy, money, clock, errs, logkey
// and the standard library, and defines the Store it needs. A *Service is safe for concurrent
// use.
package billing
