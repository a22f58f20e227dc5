// Package policy holds the contract's numbers (CGU "Serveur Dédié"): every duration, threshold and
// escalation ladder that a rule of the contract uses, with the contract's defaults, so an operator
// can change them in the configuration and tests use the defaults. Each field names its article.
//
// It imports only the standard library. A Config is a plain value.
package policy

import (
	"errors"
	"fmt"
	"time"
)

// Day is 24 hours (the contract counts in calendar days; itsgow stores UTC).
const Day = 24 * time.Hour

// Config is the policy section of the configuration.
type Config struct {
	// Art. 4, 10: rental durations offered, in months.
	RentalDurationsMonths []int `yaml:"rental_durations_months"`
	// Art. 4: delivery deadline counted from effective payment; past it the customer may cancel.
	DeliveryDeadline time.Duration `yaml:"delivery_deadline"`
	// Art. 3: ranges without technical support (billing and hardware incidents only).
	NoTechnicalSupportRanges []string `yaml:"no_technical_support_ranges"`
	// Art. 5.1: usual replacement time of a failed part; beyond it the customer is told at once.
	UsualRepairTime time.Duration `yaml:"usual_repair_time"`
	// Art. 5.3: response target for a customer's intervention request.
	InterventionResponseTarget time.Duration `yaml:"intervention_response_target"`
	// Art. 5.2, 5.4: notice before a planned intervention.
	MaintenanceNotice time.Duration `yaml:"maintenance_notice"`
	// Art. 7.3: grace period to apply a security update before the network is cut.
	SecurityUpdateGrace time.Duration `yaml:"security_update_grace"`
	// Art. 7.8: retention of identification, connection and technical data.
	TechnicalDataRetention time.Duration `yaml:"technical_data_retention"`
	// Art. 7.8: deadline to handle a report of illegal content.
	AbuseReportDeadline time.Duration `yaml:"abuse_report_deadline"`
	// Art. 8: SMTP block durations, one per successive block (the last repeats).
	SpamBlockLadder []time.Duration `yaml:"spam_block_ladder"`
	// Art. 8: from this block on, the host may refuse further unblocking.
	SpamUnblockRefusalFrom int `yaml:"spam_unblock_refusal_from"`
	// Art. 8: the analysis runs this far behind real time at most (out of band).
	SpamAnalysisDelay time.Duration `yaml:"spam_analysis_delay"`
	// Art. 9: minimum duration of an automatic mitigation.
	MitigationMinDuration time.Duration `yaml:"mitigation_min_duration"`
	// Art. 9: after the minimum, mitigation ends once the IP has been quiet this long.
	MitigationQuietPeriod time.Duration `yaml:"mitigation_quiet_period"`
	// Art. 9: traffic must stay above threshold this long to trigger an attack.
	AttackTriggerDelay time.Duration `yaml:"attack_trigger_delay"`
	// Art. 9: attack reports retention; per-IP traffic series retention.
	AttackReportRetention  time.Duration `yaml:"attack_report_retention"`
	TrafficSeriesRetention time.Duration `yaml:"traffic_series_retention"`
	// Art. 10: French VAT rate, in basis points (2000 = 20 %).
	VATRateFRBasisPoints int `yaml:"vat_rate_fr_basis_points"`
	// Billing: the renewal invoice is issued this many days before the term ends.
	RenewalNoticeDays int `yaml:"renewal_notice_days"`
	// Billing: unpaid renewal -> reminders on these days after the due date, suspension, termination.
	DunningReminderDays  []int `yaml:"dunning_reminder_days"`
	DunningSuspendDays   int   `yaml:"dunning_suspend_days"`
	DunningTerminateDays int   `yaml:"dunning_terminate_days"`
	// Consumer law: withdrawal period.
	WithdrawalPeriod time.Duration `yaml:"withdrawal_period"`
	// Fleet: a released address waits this long before reuse.
	IPQuarantine time.Duration `yaml:"ip_quarantine"`
	// Fleet: a deploy longer than this sends the machine to maintenance.
	DeployTimeout time.Duration `yaml:"deploy_timeout"`
}

// Default returns the contract's defaults (DESIGN.md section 2).
func Default() Config {
	return Config{
		RentalDurationsMonths:      []int{1, 3, 6, 12, 24},
		DeliveryDeadline:           7 * Day,
		NoTechnicalSupportRanges:   []string{"ECOGREEN"},
		UsualRepairTime:            4 * time.Hour,
		InterventionResponseTarget: 2 * time.Hour,
		MaintenanceNotice:          48 * time.Hour,
		SecurityUpdateGrace:        7 * Day,
		TechnicalDataRetention:     365 * Day,
		AbuseReportDeadline:        48 * time.Hour,
		SpamBlockLadder:            []time.Duration{time.Hour, 24 * time.Hour, 7 * Day},
		SpamUnblockRefusalFrom:     3,
		SpamAnalysisDelay:          10 * time.Second,
		MitigationMinDuration:      26 * time.Hour,
		MitigationQuietPeriod:      15 * time.Minute,
		AttackTriggerDelay:         time.Second,
		AttackReportRetention:      365 * Day,
		TrafficSeriesRetention:     14 * Day,
		VATRateFRBasisPoints:       2000,
		RenewalNoticeDays:          10,
		DunningReminderDays:        []int{1, 5, 10},
		DunningSuspendDays:         15,
		DunningTerminateDays:       45,
		WithdrawalPeriod:           14 * Day,
		IPQuarantine:               30 * Day,
		DeployTimeout:              40 * time.Minute,
	}
}

// Validate checks the policy is coherent.
func (c Config) Validate() error {
	var errList []error
	bad := func(key, msg string) { errList = append(errList, fmt.Errorf("policy.%s: %s", key, msg)) }
	if len(c.RentalDurationsMonths) == 0 {
		bad("rental_durations_months", "at least one duration")
	}
	for _, m := range c.RentalDurationsMonths {
		if m < 1 || m > 120 {
			bad("rental_durations_months", "each between 1 and 120")
		}
	}
	pos := map[string]time.Duration{
		"delivery_deadline": c.DeliveryDeadline, "usual_repair_time": c.UsualRepairTime,
		"intervention_response_target": c.InterventionResponseTarget, "maintenance_notice": c.MaintenanceNotice,
		"security_update_grace": c.SecurityUpdateGrace, "technical_data_retention": c.TechnicalDataRetention,
		"abuse_report_deadline": c.AbuseReportDeadline, "spam_analysis_delay": c.SpamAnalysisDelay,
		"mitigation_min_duration": c.MitigationMinDuration, "mitigation_quiet_period": c.MitigationQuietPeriod,
		"attack_trigger_delay": c.AttackTriggerDelay, "attack_report_retention": c.AttackReportRetention,
		"traffic_series_retention": c.TrafficSeriesRetention, "withdrawal_period": c.WithdrawalPeriod,
		"ip_quarantine": c.IPQuarantine, "deploy_timeout": c.DeployTimeout,
	}
	for k, d := range pos {
		if d <= 0 {
			bad(k, "must be positive")
		}
	}
	if len(c.SpamBlockLadder) == 0 {
		bad("spam_block_ladder", "at least one duration")
	}
	for i, d := range c.SpamBlockLadder {
		if d <= 0 || (i > 0 && d < c.SpamBlockLadder[i-1]) {
			bad("spam_block_ladder", "positive and non-decreasing (each new block lasts longer)")
			break
		}
	}
	if c.SpamUnblockRefusalFrom < 1 {
		bad("spam_unblock_refusal_from", "must be at least 1")
	}
	if c.VATRateFRBasisPoints < 0 || c.VATRateFRBasisPoints > 10000 {
		bad("vat_rate_fr_basis_points", "between 0 and 10000")
	}
	if c.RenewalNoticeDays < 0 {
		bad("renewal_notice_days", "must not be negative")
	}
	if c.DunningSuspendDays < 1 || c.DunningTerminateDays <= c.DunningSuspendDays {
		bad("dunning_terminate_days", "must come after dunning_suspend_days, itself at least 1")
	}
	return errors.Join(errList...)
}

// SpamBlockDuration returns how long the n-th block (1-based) lasts.
func (c Config) SpamBlockDuration(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > len(c.SpamBlockLadder) {
		return c.SpamBlockLadder[len(c.SpamBlockLadder)-1]
	}
	return c.SpamBlockLadder[n-1]
}
