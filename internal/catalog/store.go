package catalog

import (
	"context"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// Reader reads the catalogue.
type Reader interface {
	ListRanges(ctx context.Context) ([]Range, error)
	// ListPlans returns plans ordered by range position, then plan position.
	ListPlans(ctx context.Context, activeOnly bool) ([]Plan, error)
	GetPlan(ctx context.Context, code string) (Plan, error)
	// CurrentPrices returns, for each plan and duration, the price with the latest valid_from
	// not after at.
	CurrentPrices(ctx context.Context, at time.Time) ([]Price, error)
	PriceHistory(ctx context.Context, plan string) ([]Price, error)
	ListOptions(ctx context.Context, activeOnly bool) ([]Option, error)
}

// Tx is what a catalogue change does in one transaction.
type Tx interface {
	Reader
	UpsertRange(ctx context.Context, r Range) error
	UpsertPlan(ctx context.Context, p Plan) error
	InsertPrice(ctx context.Context, p *Price) error
	UpsertOption(ctx context.Context, o Option) error
	SetStock(ctx context.Context, plan string, free int) error
	Audit(ctx context.Context, e account.AuditEntry) error
}

// Store is the catalogue's persistence.
type Store interface {
	Reader
	InTx(ctx context.Context, fn func(Tx) error) error
}

// StockSource counts free servers per plan. The fleet implements it by matching its free
// servers against each plan's hardware profile (commerce.stock_source: fleet, the default);
// the store's seeded count per plan, edited by staff, stands in when configured
// (commerce.stock_source: manual).
type StockSource interface {
	FreeServers(ctx context.Context) (map[string]int, error)
}

// SiteSource is a StockSource that knows where its free servers are (the fleet): for each plan,
// each datacenter holding servers of the plan's profile with its count of free ones (0 included).
// With it the catalogue shows the stock per datacenter, the plan's count is their sum, and an
// order naming a datacenter needs a free server there.
type SiteSource interface {
	FreeBySite(ctx context.Context) (map[string]map[string]int, error)
}

// Estimator is a StockSource that also knows how long delivering a plan takes once a matching
// server is free (the fleet: its install time). Without it the configured estimates apply.
type Estimator interface {
	InstallTime(plan string) time.Duration
}
