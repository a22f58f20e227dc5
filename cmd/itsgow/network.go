package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

const networkUsage = `itsgow network status                 collector (exporters, traffic backlog) and edge (BGP sessions, rules)
itsgow network mitigations            active mitigations of every customer
itsgow network rules                  the compiled edge rule set and what the guard rails refused
itsgow network force IP --level 1|2|3 --reason TEXT    force mitigation on (the customer is told)
itsgow network raise IP --level 2|3 --reason TEXT      raise an active mitigation
itsgow network release IP --reason TEXT                release a forced or permanent mitigation
staff tokens only (role noc or admin); add --json to print the API's JSON`

// cmdNetwork is the staff's view of network protection (CGU art. 9) over the API: what
// /staff/network shows, and the forced mitigations.
func cmdNetwork(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) error {
	rest, jsonOut := jsonFlag(args)
	if len(rest) < 2 || rest[1] == "help" {
		return usageError{"usage:\n" + networkUsage}
	}
	sub, args := rest[1], rest[2:]
	switch sub {
	case "status", "mitigations", "rules":
		if len(args) != 0 {
			return usageError{"usage:\n" + networkUsage}
		}
	case "force", "raise", "release":
		if len(args) == 0 {
			return usageError{"usage:\n" + networkUsage}
		}
	default:
		return usageError{"usage:\n" + networkUsage}
	}
	c, err := newAPIClient(environ)
	if err != nil {
		return err
	}
	switch sub {
	case "status":
		var ex, edge json.RawMessage
		if err := c.do(ctx, "GET", "/staff/exporters", nil, &ex); err != nil {
			return err
		}
		if err := c.do(ctx, "GET", "/staff/edge/rules", nil, &edge); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, json.RawMessage(fmt.Sprintf(`{"collector":%s,"edge":%s}`, ex, edge)))
		}
		return printNetworkStatus(stdout, ex, edge)
	case "mitigations":
		return fetchPrint(ctx, c, "GET", "/staff/mitigations", nil, stdout, jsonOut, printStaffMitigations)
	case "rules":
		return fetchPrint(ctx, c, "GET", "/staff/edge/rules", nil, stdout, jsonOut, printEdgeRules)
	}
	return staffLevel(ctx, c, sub, args, stdout, stderr, jsonOut)
}

// fetchPrint calls the API and prints its answer: the JSON with --json, else through print.
func fetchPrint(ctx context.Context, c *apiClient, method, path string, body any, stdout io.Writer, jsonOut bool,
	print func(io.Writer, json.RawMessage) error) error {
	var raw json.RawMessage
	if err := c.do(ctx, method, path, body, &raw); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	return print(stdout, raw)
}

// staffLevel is `itsgow network force|raise|release IP`.
func staffLevel(ctx context.Context, c *apiClient, sub string, args []string, stdout, stderr io.Writer, jsonOut bool) error {
	ip, err := cliIP(args[0])
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("network "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	level := 0
	if sub != "release" {
		fs.IntVar(&level, "level", 0, "1 drops the attack's vectors, 2 rate-limits the rest, 3 blackholes the IP")
	}
	reason := fs.String("reason", "", "why (kept in the audit log)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 0 || (sub != "release" && (level < 1 || level > 3)) {
		return usageError{"usage:\n" + networkUsage}
	}
	var body any = map[string]any{"level": level, "reason": *reason}
	if sub == "release" {
		body = map[string]any{"reason": *reason}
	}
	return fetchPrint(ctx, c, "POST", "/staff/mitigations/"+ip+"/"+sub, body, stdout, jsonOut, printMitigation)
}

type exportersJSON struct {
	Items []struct {
		Address              string     `json:"address"`
		Format               string     `json:"format"`
		LastSeen             *time.Time `json:"lastSeen"`
		SamplingRate         uint32     `json:"samplingRate"`
		FlowsPerSecond       float64    `json:"flowsPerSecond"`
		ActiveTimeoutSeconds float64    `json:"activeTimeoutSeconds"`
		Warning              string     `json:"warning"`
	} `json:"items"`
	TrafficQueued  int    `json:"trafficQueued"`
	TrafficDropped uint64 `json:"trafficDropped"`
	Error          string `json:"error"`
}

type edgeJSON struct {
	Rules []struct {
		Kind   string `json:"kind"`
		Origin string `json:"origin"`
		Rule   string `json:"rule"`
	} `json:"rules"`
	Refusals []struct {
		Reason string `json:"reason"`
		Detail string `json:"detail"`
		Origin string `json:"origin"`
		Rule   string `json:"rule"`
	} `json:"refusals"`
	Applied *bool `json:"applied"`
	Peers   []struct {
		Peer      string     `json:"peer"`
		ASN       uint32     `json:"asn"`
		State     string     `json:"state"`
		Up        bool       `json:"up"`
		Since     *time.Time `json:"since"`
		Flaps     int        `json:"flaps"`
		Sent      int        `json:"sent"`
		LastError string     `json:"lastError"`
	} `json:"peers"`
	Error string `json:"error"`
}

func printNetworkStatus(w io.Writer, exRaw, edgeRaw json.RawMessage) error {
	var ex exportersJSON
	var edge edgeJSON
	if err := json.Unmarshal(exRaw, &ex); err != nil {
		return err
	}
	if err := json.Unmarshal(edgeRaw, &edge); err != nil {
		return err
	}
	fmt.Fprintln(w, "Collector")
	if ex.Error != "" {
		fmt.Fprintf(w, "  %s\n", ex.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  EXPORTER\tFORMAT\tSAMPLING\tFLOWS/S\tACTIVE TIMEOUT\tLAST SEEN\tWARNING")
	for _, e := range ex.Items {
		fmt.Fprintf(tw, "  %s\t%s\t1:%d\t%.0f\t%.0fs\t%s\t%s\n", e.Address, e.Format, max(e.SamplingRate, 1), e.FlowsPerSecond,
			e.ActiveTimeoutSeconds, cliTime(e.LastSeen), orDash(e.Warning))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ex.Items) == 0 && ex.Error == "" {
		fmt.Fprintln(w, "  no exporter heard")
	}
	fmt.Fprintf(w, "  traffic points waiting for the store: %d; dropped: %d\n", ex.TrafficQueued, ex.TrafficDropped)
	if ex.TrafficDropped > 0 {
		fmt.Fprintln(w, "  warning: points were dropped, the traffic charts have gaps")
	}
	fmt.Fprintln(w, "Edge")
	if edge.Error != "" {
		fmt.Fprintf(w, "  %s\n", edge.Error)
	}
	applied := "unknown"
	if edge.Applied != nil {
		applied = map[bool]string{true: "yes", false: "no (the driver does not hold the compiled set)"}[*edge.Applied]
	}
	fmt.Fprintf(w, "  rules compiled: %d; refused by the guard rails: %d; applied: %s\n", len(edge.Rules), len(edge.Refusals), applied)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PEER\tASN\tSTATE\tSINCE\tFLAPS\tROUTES SENT\tLAST ERROR")
	for _, p := range edge.Peers {
		asn := "-"
		if p.ASN != 0 {
			asn = fmt.Sprint(p.ASN)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%s\n", p.Peer, asn, p.State, cliTime(p.Since), p.Flaps, p.Sent, orDash(p.LastError))
	}
	return tw.Flush()
}

func printEdgeRules(w io.Writer, raw json.RawMessage) error {
	var edge edgeJSON
	if err := json.Unmarshal(raw, &edge); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tRULE")
	for _, r := range edge.Rules {
		fmt.Fprintf(tw, "%s\t%s\n", r.Kind, r.Rule)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(edge.Refusals) > 0 {
		fmt.Fprintln(w, "Refused by the guard rails:")
		for _, f := range edge.Refusals {
			fmt.Fprintf(w, "  %s: %s (%s)\n", f.Reason, strings.TrimSpace(f.Rule+" "+f.Detail), f.Origin)
		}
	}
	return nil
}

func printStaffMitigations(w io.Writer, raw json.RawMessage) error {
	var page struct {
		Items []struct {
			mitigationJSON
			CustomerID int64 `json:"customerId"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IP\tSTATE\tLEVEL\tSINCE\tMIN UNTIL\tVECTORS\tCUSTOMER")
	for _, m := range page.Items {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\n", m.IP, m.State, m.Level, cliTime(m.Since), cliTime(m.MinUntil),
			orDash(strings.Join(m.Vectors, ", ")), m.CustomerID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(page.Items) == 0 {
		fmt.Fprintln(w, "no active mitigation")
	}
	return nil
}
