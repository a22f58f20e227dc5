// Package order owns the sale of a server: the order form (lines, VAT and totals, previewed with
// dryRun, final once issued), payment through providers (transfer confirmed by staff, and the
// sandbox card simulator with declines and duplicated events, a provider event id being an
// idempotency key), the delivery promise of Art. 4 (a job marks an order late at
// paidAt + policy.delivery_deadline and offers cancellation with a full refund), delivery (which
// starts the contract and its billing), and the consumer's 14-day withdrawal.
//
// Delivery is the fleet's work: a paid order enqueues JobDeliver, and the fleet calls
// Service.MarkDelivered once the server is online (ManualDelivery does it by hand for the demo
// and tests). A cancelled order enqueues JobRelease so the fleet frees what it reserved.
//
// It is a domain package: it imports account, billing, catalog, notify, jobs, policy, money,
// clock, errs, logkey and the standard library, and defines the Store it needs. A *Service is
// safe for concurrent use.
package order
