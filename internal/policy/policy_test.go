package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/policy"
)

func TestDefaultsAreTheContract(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]time.Duration{
		"delivery 7 days (art. 4)":             p.DeliveryDeadline,
		"mitigation 26 h (art. 9)":             p.MitigationMinDuration,
		"maintenance notice 48 h (art. 5.2)":   p.MaintenanceNotice,
		"security update grace 7 d (art. 7.3)": p.SecurityUpdateGrace,
		"retention 12 months (art. 7.8)":       p.TechnicalDataRetention,
	} {
		want := map[string]time.Duration{
			"delivery 7 days (art. 4)": 7 * 24 * time.Hour, "mitigation 26 h (art. 9)": 26 * time.Hour,
			"maintenance notice 48 h (art. 5.2)": 48 * time.Hour, "security update grace 7 d (art. 7.3)": 7 * 24 * time.Hour,
			"retention 12 months (art. 7.8)": 365 * 24 * time.Hour,
		}[name]
		if got != want {
			t.Errorf("%s: %v", name, got)
		}
	}
	// art. 8: each new block lasts longer; the ladder's last step repeats
	for n, want := range map[int]time.Duration{1: time.Hour, 2: 24 * time.Hour, 3: 7 * 24 * time.Hour, 4: 7 * 24 * time.Hour} {
		if got := p.SpamBlockDuration(n); got != want {
			t.Errorf("block %d lasts %v, want %v", n, got, want)
		}
	}
	if p.SpamUnblockRefusalFrom != 3 || p.VATRateFRBasisPoints != 2000 {
		t.Errorf("refusal from %d, VAT %d", p.SpamUnblockRefusalFrom, p.VATRateFRBasisPoints)
	}
}

func TestValidateRejectsIncoherentPolicies(t *testing.T) {
	t.Parallel()
	for name, mut := range map[string]func(*policy.Config){
		"shrinking ladder":         func(p *policy.Config) { p.SpamBlockLadder = []time.Duration{24 * time.Hour, time.Hour} },
		"zero mitigation":          func(p *policy.Config) { p.MitigationMinDuration = 0 },
		"no durations":             func(p *policy.Config) { p.RentalDurationsMonths = nil },
		"terminate before suspend": func(p *policy.Config) { p.DunningTerminateDays = p.DunningSuspendDays },
	} {
		p := policy.Default()
		mut(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "policy.") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
