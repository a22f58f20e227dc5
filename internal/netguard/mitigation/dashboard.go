package mitigation

import (
	"context"
	"fmt"
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

// NoReportError is what a process without the collector or edge role answers when it reads that
// role's runtime status (the exporters, the edge state) and no process running the role
// published one within MaxAge: the process stopped, or none runs. Last is when the latest
// (stale) report was published and Node the process that published it ("host:pid"); both are
// zero when there is none.
type NoReportError struct {
	Role   string
	MaxAge time.Duration
	Last   time.Time
	Node   string
}

func (e *NoReportError) Error() string {
	if e.Last.IsZero() {
		return fmt.Sprintf("no process running the %s role reported in the last %s", e.Role, e.MaxAge)
	}
	return fmt.Sprintf("no process running the %s role reported in the last %s (last report from %s at %s)", e.Role, e.MaxAge,
		e.Node, e.Last.UTC().Format(time.RFC3339))
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
