package mitigation

import (
	"context"
	"net/netip"
	"time"

	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// Exporter is what the staff dashboard shows of one flow exporter (a router), as the collector
// sees it.
type Exporter struct {
	Addr           netip.Addr
	Format         string
	LastSeen       time.Time
	SamplingRate   uint32
	FlowsPerSecond float64
	// ActiveTimeout is the exporter's estimated active timeout; Warning says why it cannot meet
	// the reaction target ("" when it can).
	ActiveTimeout time.Duration
	Warning       string
}

// Dashboard is the staff's network security view.
type Dashboard struct {
	Active       []IPView
	Open         []netguard.Attack // attacks followed by this process now
	Recent       []netguard.Attack // latest reports
	MostAttacked []AttackCount
	// Rules is the compiled rule set (a pure function of the store) and Refusals what the
	// guard rails refused; Edge the state of this process's driver when it runs one.
	Rules     edge.RuleSet
	Refusals  []edge.Refusal
	Edge      *EdgeState
	Exporters []Exporter
}

// Dashboard gathers the staff's view: active mitigations, recent and most attacked targets
// over the last week, the compiled edge rules.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	var d Dashboard
	var err error
	if d.Active, err = s.Active(ctx); err != nil {
		return d, err
	}
	d.Open = s.Open()
	if d.Recent, err = s.RecentAttacks(ctx, AttackFilter{Limit: 20}); err != nil {
		return d, err
	}
	if d.MostAttacked, err = s.MostAttacked(ctx, s.Now().Add(-7*24*time.Hour), 10); err != nil {
		return d, err
	}
	d.Rules, d.Refusals, err = s.Desired(ctx)
	return d, err
}
