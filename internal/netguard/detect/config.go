package detect

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Defaults of Config.
const (
	DefaultTriggerDelay     = 2 * time.Second
	DefaultEndAfter         = 5 * time.Minute
	DefaultBaselineHalfLife = 15 * time.Minute
	DefaultBaselineDelay    = 30 * time.Second
	DefaultTopSources       = 10
	DefaultCarpetBitsV4     = 24
	DefaultCarpetBitsV6     = 64
)

// Config tunes a Detector. Zero fields take the defaults (DefaultConfig).
type Config struct {
	// Networks is the host's address space. Flows to an untracked address inside it count only
	// in its prefix aggregate; flows to an untracked address outside it are counted as unknown
	// and dropped. A tracked IP outside it (infrastructure) is judged alone, in no aggregate.
	Networks []netip.Prefix `yaml:"networks"`
	// CarpetBitsV4 and CarpetBitsV6 size the prefix aggregates used to find carpet bombing: every
	// /24 (IPv4) and /64 (IPv6) of Networks by default.
	CarpetBitsV4 int `yaml:"carpet_bits_v4"`
	CarpetBitsV6 int `yaml:"carpet_bits_v6"`
	// CarpetProfile names the profile of the prefix aggregates ("carpet").
	CarpetProfile string `yaml:"carpet_profile"`
	// Profiles are added to the default profiles (DefaultProfiles), replacing those of the same
	// name.
	Profiles map[string]Profile `yaml:"profiles"`
	// TriggerDelay is how long a class must stay above its threshold, in whole seconds, before
	// an attack is reported (policy attack_trigger_delay; 2 s).
	TriggerDelay time.Duration `yaml:"trigger_delay"`
	// ExportDelay is how long after a second ends Tick waits before judging it, so that the
	// records of that second have arrived (0: judge every second that has ended, and judge it
	// again at each Tick, even within the next second, as its late records arrive).
	ExportDelay time.Duration `yaml:"export_delay"`
	// EndAfter ends an attack once its target has been below every threshold this long (5 min).
	// Mitigation applies its own quiet rule with LastAboveThreshold.
	EndAfter time.Duration `yaml:"end_after"`
	// BaselineHalfLife is the half-life of the learned baseline (15 min).
	BaselineHalfLife time.Duration `yaml:"baseline_half_life"`
	// BaselineDelay is how long after a second is judged it is learned, so that long flow
	// records have filled it in (30 s).
	BaselineDelay time.Duration `yaml:"baseline_delay"`
	// TopSources is the number of sources an Event lists (10, at most 64).
	TopSources int `yaml:"top_sources"`
}

// DefaultConfig returns the configuration used for zero fields.
func DefaultConfig() Config {
	return Config{
		CarpetBitsV4:     DefaultCarpetBitsV4,
		CarpetBitsV6:     DefaultCarpetBitsV6,
		CarpetProfile:    ProfileCarpet,
		TriggerDelay:     DefaultTriggerDelay,
		EndAfter:         DefaultEndAfter,
		BaselineHalfLife: DefaultBaselineHalfLife,
		BaselineDelay:    DefaultBaselineDelay,
		TopSources:       DefaultTopSources,
	}
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.CarpetBitsV4 == 0 {
		c.CarpetBitsV4 = d.CarpetBitsV4
	}
	if c.CarpetBitsV6 == 0 {
		c.CarpetBitsV6 = d.CarpetBitsV6
	}
	if c.CarpetProfile == "" {
		c.CarpetProfile = d.CarpetProfile
	}
	if c.TriggerDelay == 0 {
		c.TriggerDelay = d.TriggerDelay
	}
	if c.EndAfter == 0 {
		c.EndAfter = d.EndAfter
	}
	if c.BaselineHalfLife == 0 {
		c.BaselineHalfLife = d.BaselineHalfLife
	}
	if c.BaselineDelay == 0 {
		c.BaselineDelay = d.BaselineDelay
	}
	if c.TopSources == 0 {
		c.TopSources = d.TopSources
	}
	return c
}

// Validate reports settings that cannot work. Zero fields are valid (they take the defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	for _, p := range c.Networks {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("detect network %s is not a prefix", p))
		}
	}
	if c.CarpetBitsV4 < 8 || c.CarpetBitsV4 > 32 {
		errs = append(errs, fmt.Errorf("detect carpet_bits_v4 %d outside [8, 32]", c.CarpetBitsV4))
	}
	if c.CarpetBitsV6 < 16 || c.CarpetBitsV6 > 128 {
		errs = append(errs, fmt.Errorf("detect carpet_bits_v6 %d outside [16, 128]", c.CarpetBitsV6))
	}
	profiles := mergeProfiles(c.Profiles)
	if len(profiles) > 255 {
		errs = append(errs, fmt.Errorf("detect: %d profiles, at most 255", len(profiles)))
	}
	for name, p := range profiles {
		if name == "" {
			errs = append(errs, errors.New("detect profile with an empty name"))
		}
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("detect profile %q: %w", name, err))
		}
	}
	if _, ok := profiles[c.CarpetProfile]; !ok {
		errs = append(errs, fmt.Errorf("detect carpet_profile %q: %w", c.CarpetProfile, ErrUnknownProfile))
	}
	if c.TriggerDelay < time.Second || c.TriggerDelay > 30*time.Second || c.TriggerDelay%time.Second != 0 {
		errs = append(errs, fmt.Errorf("detect trigger_delay %s is not a whole number of seconds in [1s, 30s]", c.TriggerDelay))
	}
	if c.ExportDelay < 0 || c.ExportDelay > 10*time.Second {
		errs = append(errs, fmt.Errorf("detect export_delay %s outside [0, 10s]", c.ExportDelay))
	}
	if c.BaselineDelay < 0 || c.BaselineDelay > 45*time.Second {
		errs = append(errs, fmt.Errorf("detect baseline_delay %s outside [0, 45s]", c.BaselineDelay))
	}
	// Every second Tick reads must still be in the rings.
	if span := c.TriggerDelay + c.ExportDelay.Round(time.Second) + time.Second + c.BaselineDelay; span > (window-4)*time.Second {
		errs = append(errs, fmt.Errorf("detect trigger_delay + export_delay + baseline_delay = %s, above %ds", span-time.Second, window-5))
	}
	if c.EndAfter < time.Second || c.EndAfter > 24*time.Hour {
		errs = append(errs, fmt.Errorf("detect end_after %s outside [1s, 24h]", c.EndAfter))
	}
	if c.BaselineHalfLife < time.Second || c.BaselineHalfLife > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("detect baseline_half_life %s outside [1s, 7 days]", c.BaselineHalfLife))
	}
	if c.TopSources < 1 || c.TopSources > topCap {
		errs = append(errs, fmt.Errorf("detect top_sources %d outside [1, %d]", c.TopSources, topCap))
	}
	return errors.Join(errs...)
}

// Errors of the Detector.
var (
	// ErrUnknownProfile reports a profile name that no profile has.
	ErrUnknownProfile = errors.New("unknown profile")
	// ErrInvalidAddr reports the zero netip.Addr.
	ErrInvalidAddr = errors.New("invalid address")
)
