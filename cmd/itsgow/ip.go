package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

const ipUsage = `itsgow ips
itsgow ip mitigation IP
itsgow ip mitigation set IP --permanent[=true|false]
itsgow ip attacks IP [ATTACK-ID]
itsgow ip stats IP [--scale 10s|1m|5m] [--from RFC3339] [--to RFC3339]
itsgow ip profile-test IP --profile NAME [--from RFC3339 --to RFC3339 | --attack ID]
add --json to print the API's JSON`

// cmdNetguard is `itsgow ips` and `itsgow ip mitigation|attacks|stats|profile-test IP` (CGU
// art. 9) over the API.
func cmdNetguard(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	rest, jsonOut := jsonFlag(args)
	if rest[0] == "ip" && (len(rest) < 3 || rest[1] == "help") {
		return usageError{"usage:\n" + ipUsage}
	}
	c, err := newAPIClient(environ)
	if err != nil {
		return err
	}
	if rest[0] == "ips" {
		return ipsList(ctx, c, stdout, jsonOut)
	}
	sub, args := rest[1], rest[2:]
	if sub == "mitigation" && args[0] == "set" {
		return mitigationSet(ctx, c, args[1:], stdout, jsonOut)
	}
	ip, err := cliIP(args[0])
	if err != nil {
		return err
	}
	var raw json.RawMessage
	switch sub {
	case "mitigation":
		if err := c.do(ctx, "GET", "/ips/"+ip+"/mitigation", nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		return printMitigation(stdout, raw)
	case "attacks":
		path := "/ips/" + ip + "/attacks"
		if len(args) > 1 {
			if _, err := strconv.ParseInt(args[1], 10, 64); err != nil {
				return usageError{"ip attacks IP [ATTACK-ID]: the attack id is a number"}
			}
			path += "/" + args[1]
		}
		if err := c.do(ctx, "GET", path, nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		if len(args) > 1 {
			return printAttack(stdout, raw)
		}
		return printAttacks(stdout, raw)
	case "stats":
		fs := flag.NewFlagSet("ip stats", flag.ContinueOnError)
		fs.SetOutput(stderr)
		scale := fs.String("scale", "10s", "10s (last hour), 1m (last day) or 5m (last week)")
		from := fs.String("from", "", "start, RFC 3339")
		to := fs.String("to", "", "end, RFC 3339")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		q := url.Values{"scale": {*scale}}
		if *from != "" {
			q.Set("from", *from)
		}
		if *to != "" {
			q.Set("to", *to)
		}
		if err := c.do(ctx, "GET", "/ips/"+ip+"/mitigation/stats?"+q.Encode(), nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		return printStats(stdout, raw)
	case "profile-test":
		return profileTest(ctx, c, ip, args[1:], stdout, stderr, jsonOut)
	}
	return usageError{"usage:\n" + ipUsage}
}

// profileTest is `itsgow ip profile-test IP --profile NAME [--from --to | --attack ID]`: what
// a protection profile would have dropped of the IP's attack and legitimate traffic (Art. 9
// Pro), over the last minute by default.
func profileTest(ctx context.Context, c *apiClient, ip string, args []string, stdout, stderr io.Writer, jsonOut bool) error {
	const usage = "ip profile-test IP --profile NAME [--from RFC3339 --to RFC3339 | --attack ID]"
	fs := flag.NewFlagSet("ip profile-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "", "the profile to test (see the IP's profiles)")
	from := fs.String("from", "", "start, RFC 3339 (default: a minute ago, or the attack's start minus 60 s)")
	to := fs.String("to", "", "end, RFC 3339 (default: now, or the attack's end)")
	attack := fs.Int64("attack", 0, "test on this attack: from 60 s before its start to its end")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *profile == "" || fs.NArg() > 0 {
		return usageError{usage}
	}
	body := map[string]any{"profile": *profile}
	for name, v := range map[string]string{"from": *from, "to": *to} {
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return usageError{fmt.Sprintf("--%s %q is not an RFC 3339 time (2026-11-25T09:00:00Z)", name, v)}
		}
		body[name] = t.UTC()
	}
	if *attack < 0 {
		return usageError{"--attack is an attack id (itsgow ip attacks IP)"}
	}
	if *attack > 0 {
		body["attackId"] = *attack
	}
	var raw json.RawMessage
	if err := c.do(ctx, "POST", "/ips/"+ip+"/mitigation/profile-tests", body, &raw); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	return printProfileTest(stdout, raw)
}

func printProfileTest(w io.Writer, raw json.RawMessage) error {
	var res struct {
		Profile                string    `json:"profile"`
		From                   time.Time `json:"from"`
		To                     time.Time `json:"to"`
		Seconds                int       `json:"seconds"`
		LegitimateDroppedRatio float64   `json:"legitimateDroppedRatio"`
		AttackDroppedRatio     float64   `json:"attackDroppedRatio"`
		AttackPackets          uint64    `json:"attackPackets"`
		LegitimatePackets      uint64    `json:"legitimatePackets"`
		ByRule                 []struct {
			Vector            string    `json:"vector"`
			Rule              string    `json:"rule"`
			Since             time.Time `json:"since"`
			AttackDropped     uint64    `json:"attackDroppedPackets"`
			LegitimateDropped uint64    `json:"legitimateDroppedPackets"`
		} `json:"byRule"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "profile\t%s\n", res.Profile)
	fmt.Fprintf(tw, "range\t%s - %s (%d seconds with history)\n", res.From.UTC().Format(time.RFC3339), res.To.UTC().Format(time.RFC3339), res.Seconds)
	fmt.Fprintf(tw, "attack dropped\t%.1f %% of %d packets\n", res.AttackDroppedRatio*100, res.AttackPackets)
	fmt.Fprintf(tw, "legitimate dropped\t%.1f %% of %d packets\n", res.LegitimateDroppedRatio*100, res.LegitimatePackets)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(res.ByRule) == 0 {
		_, err := fmt.Fprintln(w, "no rule would have applied")
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VECTOR\tSINCE\tATTACK DROPPED\tLEGITIMATE DROPPED\tRULE")
	for _, r := range res.ByRule {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Vector, r.Since.UTC().Format(time.RFC3339), r.AttackDropped, r.LegitimateDropped, r.Rule)
	}
	return tw.Flush()
}

func cliIP(s string) (string, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", usageError{fmt.Sprintf("%q is not an IP address", s)}
	}
	return a.Unmap().String(), nil
}

type mitigationJSON struct {
	IP          string     `json:"ip"`
	State       string     `json:"state"`
	Since       *time.Time `json:"since"`
	MinUntil    *time.Time `json:"minUntil"`
	Level       int        `json:"level"`
	Profile     string     `json:"profile"`
	Vectors     []string   `json:"vectors"`
	Locked      bool       `json:"locked"`
	SecondsLeft int64      `json:"secondsLeft"`
	EarliestEnd *time.Time `json:"earliestEnd"`
	ProUse      bool       `json:"proUse"`
}

func cliTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func printMitigation(w io.Writer, raw json.RawMessage) error {
	var m mitigationJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ip\t%s\n", m.IP)
	fmt.Fprintf(tw, "state\t%s\n", m.State)
	fmt.Fprintf(tw, "level\t%d\n", m.Level)
	fmt.Fprintf(tw, "since\t%s\n", cliTime(m.Since))
	fmt.Fprintf(tw, "minUntil\t%s\n", cliTime(m.MinUntil))
	if m.Locked {
		fmt.Fprintf(tw, "locked\t%s left (cannot be switched off before minUntil)\n", (time.Duration(m.SecondsLeft) * time.Second).String())
	}
	if m.EarliestEnd != nil {
		fmt.Fprintf(tw, "earliest end\t%s (if the IP stays quiet)\n", cliTime(m.EarliestEnd))
	}
	fmt.Fprintf(tw, "profile\t%s\n", m.Profile)
	fmt.Fprintf(tw, "vectors\t%s\n", orDash(strings.Join(m.Vectors, ", ")))
	fmt.Fprintf(tw, "pro use\t%v\n", m.ProUse)
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func mitigationSet(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	if len(args) == 0 {
		return usageError{"ip mitigation set IP --permanent[=true|false]"}
	}
	ip, err := cliIP(args[0])
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("ip mitigation set", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	permanent := fs.Bool("permanent", false, "switch mitigation on in advance (true) or off (false)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "permanent" })
	if !set {
		return usageError{"ip mitigation set IP --permanent[=true|false]"}
	}
	var raw json.RawMessage
	if err := c.do(ctx, "PUT", "/ips/"+ip+"/mitigation", map[string]any{"permanent": *permanent}, &raw); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	return printMitigation(stdout, raw)
}

type attackJSON struct {
	ID         int64      `json:"id"`
	IP         string     `json:"ip"`
	StartedAt  time.Time  `json:"startedAt"`
	EndedAt    *time.Time `json:"endedAt"`
	Vectors    []string   `json:"vectors"`
	Peak       rateJSON   `json:"peak"`
	Level      int        `json:"level"`
	Profile    string     `json:"profile"`
	TopSources []struct {
		IP      string `json:"ip"`
		Packets uint64 `json:"packets"`
	} `json:"topSources"`
}

type rateJSON struct {
	BPS uint64 `json:"bps"`
	PPS uint64 `json:"pps"`
}

func printAttacks(w io.Writer, raw json.RawMessage) error {
	var page struct {
		Items []attackJSON `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tENDED\tVECTORS\tPEAK BPS\tPEAK PPS\tLEVEL")
	for _, a := range page.Items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\n", a.ID, a.StartedAt.UTC().Format(time.RFC3339), cliTime(a.EndedAt),
			orDash(strings.Join(a.Vectors, ",")), a.Peak.BPS, a.Peak.PPS, a.Level)
	}
	return tw.Flush()
}

func printAttack(w io.Writer, raw json.RawMessage) error {
	var a attackJSON
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "attack\t%d\n", a.ID)
	fmt.Fprintf(tw, "ip\t%s\n", a.IP)
	fmt.Fprintf(tw, "started\t%s\n", a.StartedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "ended\t%s\n", cliTime(a.EndedAt))
	fmt.Fprintf(tw, "vectors\t%s\n", orDash(strings.Join(a.Vectors, ", ")))
	fmt.Fprintf(tw, "peak\t%d bit/s, %d packets/s\n", a.Peak.BPS, a.Peak.PPS)
	fmt.Fprintf(tw, "level\t%d\n", a.Level)
	fmt.Fprintf(tw, "profile\t%s\n", a.Profile)
	for _, s := range a.TopSources {
		fmt.Fprintf(tw, "source\t%s\t%d packets\n", s.IP, s.Packets)
	}
	return tw.Flush()
}

func printStats(w io.Writer, raw json.RawMessage) error {
	var pts []struct {
		At      time.Time `json:"at"`
		In      rateJSON  `json:"in"`
		Dropped rateJSON  `json:"dropped"`
		Out     rateJSON  `json:"out"`
	}
	if err := json.Unmarshal(raw, &pts); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AT\tIN BPS\tIN PPS\tDROPPED BPS\tDROPPED PPS\tOUT BPS\tOUT PPS\t")
	for _, p := range pts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.At.UTC().Format(time.RFC3339), p.In.BPS, p.In.PPS, p.Dropped.BPS,
			p.Dropped.PPS, p.Out.BPS, p.Out.PPS)
	}
	return tw.Flush()
}

func ipsList(ctx context.Context, c *apiClient, stdout io.Writer, jsonOut bool) error {
	var raw json.RawMessage
	if err := c.do(ctx, "GET", "/ips", nil, &raw); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	var page struct {
		Items []struct {
			IP       string `json:"ip"`
			ServerID int64  `json:"serverId"`
			Type     string `json:"type"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IP\tSERVER\tTYPE\tMITIGATION\tLEVEL\tMIN UNTIL")
	for _, it := range page.Items {
		ip := strings.TrimSuffix(it.IP, "/64")
		var m mitigationJSON
		var mraw json.RawMessage
		if err := c.do(ctx, "GET", "/ips/"+ip+"/mitigation", nil, &mraw); err != nil {
			return err
		}
		if err := json.Unmarshal(mraw, &m); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\n", it.IP, it.ServerID, it.Type, m.State, m.Level, cliTime(m.MinUntil))
	}
	return tw.Flush()
}
