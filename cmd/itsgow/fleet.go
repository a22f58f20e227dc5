package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// cmdFleet is `itsgow servers` and `itsgow server show|reinstall|reboot|rescue|console|task ID`.
func cmdFleet(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	rest, jsonOut := jsonFlag(args)
	c, err := newAPIClient(environ)
	if err != nil {
		return err
	}
	if rest[0] == "servers" {
		return serversList(ctx, c, stdout, jsonOut)
	}
	if len(rest) < 3 {
		return usageError{"server show|reinstall|reboot|rescue|console|task ID [flags]"}
	}
	sub, id, flags := rest[1], rest[2], rest[3:]
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return usageError{"server " + sub + ": ID must be a number"}
	}
	var raw json.RawMessage
	switch sub {
	case "show":
		if err := c.do(ctx, "GET", "/servers/"+id, nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		return printServer(stdout, raw)
	case "reinstall":
		fs := flag.NewFlagSet("server reinstall", flag.ContinueOnError)
		image := fs.String("image", "", "OS image (required)")
		host := fs.String("hostname", "", "host name")
		key := fs.String("ssh-key", "", "public SSH key (else a root password is shown once in the interface)")
		preserve := fs.Bool("preserve-data", false, "keep the data partition")
		yes := fs.Bool("yes", false, "confirm that your data is saved: the reinstall erases the disk")
		if err := fs.Parse(flags); err != nil {
			return usageError{err.Error()}
		}
		if *image == "" || !*yes {
			return usageError{"server reinstall ID --image NAME --yes [--hostname H] [--ssh-key KEY] [--preserve-data]: save your data first, then confirm with --yes"}
		}
		in := map[string]any{"osImage": *image, "hostname": *host, "sshKey": *key, "preserveData": *preserve}
		if err := c.do(ctx, "POST", "/servers/"+id+"/reinstall", in, &raw); err != nil {
			return err
		}
	case "reboot":
		fs := flag.NewFlagSet("server reboot", flag.ContinueOnError)
		typ := fs.String("type", "soft", "soft, hard or power")
		if err := fs.Parse(flags); err != nil {
			return usageError{err.Error()}
		}
		if err := c.do(ctx, "POST", "/servers/"+id+"/reboot", map[string]any{"type": *typ}, &raw); err != nil {
			return err
		}
	case "rescue":
		method := "POST"
		if len(flags) > 0 && flags[0] == "--exit" {
			method = "DELETE"
		}
		if err := c.do(ctx, method, "/servers/"+id+"/rescue", nil, &raw); err != nil {
			return err
		}
	case "console":
		return serverConsole(ctx, c, stdout, id, flags, jsonOut)
	case "task":
		if err := c.do(ctx, "GET", "/tasks/"+id, nil, &raw); err != nil {
			return err
		}
	default:
		return usageError{"server: show, reinstall, reboot, rescue, console or task"}
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	return printTask(stdout, raw)
}

type serverView struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Plan       string `json:"plan"`
	State      string `json:"state"`
	MainIP     string `json:"mainIp"`
	OS         string `json:"os"`
	Hostname   string `json:"hostname"`
	Datacenter string `json:"datacenter"`
	Rack       string `json:"rack"`
	PowerState string `json:"powerState"`
	IPs        []struct {
		IP      string `json:"ip"`
		Type    string `json:"type"`
		Reverse string `json:"reverse"`
	} `json:"ips"`
	Contract struct {
		StartedAt      *time.Time `json:"startedAt"`
		EndsAt         *time.Time `json:"endsAt"`
		DurationMonths int        `json:"durationMonths"`
		TerminateAt    *time.Time `json:"terminateAt"`
	} `json:"contract"`
	Tasks []taskView `json:"tasks"`
}

type taskView struct {
	ID       int64  `json:"id"`
	Function string `json:"function"`
	Status   string `json:"status"`
	Percent  int    `json:"percent"`
	Comment  string `json:"comment"`
	Progress []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"progress"`
	Credentials bool `json:"credentialsAvailable"`
}

func serversList(ctx context.Context, c *apiClient, stdout io.Writer, jsonOut bool) error {
	var raw json.RawMessage
	if err := c.do(ctx, "GET", "/servers?limit=200", nil, &raw); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	var page struct{ Items []serverView }
	_ = json.Unmarshal(raw, &page)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPLAN\tSTATE\tMAIN IP\tOS\tDC\tPOWER\tDELIVERED")
	for _, s := range page.Items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.Plan, s.State, s.MainIP, s.OS, s.Datacenter, s.PowerState,
			fmtTime(s.Contract.StartedAt))
	}
	return tw.Flush()
}

func printServer(stdout io.Writer, raw json.RawMessage) error {
	var s serverView
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%d\nname\t%s\nplan\t%s\nstate\t%s\nmain ip\t%s\nos\t%s\nhostname\t%s\ndatacenter\t%s %s\npower\t%s\ncontract\t%s -> %s (%d months)\n",
		s.ID, s.Name, s.Plan, s.State, s.MainIP, s.OS, s.Hostname, s.Datacenter, s.Rack, s.PowerState, fmtTime(s.Contract.StartedAt),
		fmtTime(s.Contract.EndsAt), s.Contract.DurationMonths)
	if s.Contract.TerminateAt != nil {
		fmt.Fprintf(tw, "terminates\t%s\n", fmtTime(s.Contract.TerminateAt))
	}
	for _, ip := range s.IPs {
		fmt.Fprintf(tw, "ip\t%s (%s) %s\n", ip.IP, ip.Type, ip.Reverse)
	}
	for _, t := range s.Tasks {
		fmt.Fprintf(tw, "task %d\t%s %s %d%% %s\n", t.ID, t.Function, t.Status, t.Percent, t.Comment)
	}
	return tw.Flush()
}

func printTask(stdout io.Writer, raw json.RawMessage) error {
	var t taskView
	if err := json.Unmarshal(raw, &t); err != nil {
		return err
	}
	var steps []string
	for _, s := range t.Progress {
		steps = append(steps, s.Name+":"+s.Status)
	}
	fmt.Fprintf(stdout, "task %d %s: %s %d%% [%s]\n", t.ID, t.Function, t.Status, t.Percent, strings.Join(steps, " "))
	if t.Comment != "" {
		fmt.Fprintln(stdout, t.Comment)
	}
	if t.Credentials {
		fmt.Fprintln(stdout, "credentials: shown once in the interface (or POST /api/v1/tasks/ID/credentials)")
	}
	return nil
}

type consoleView struct {
	Kind         string    `json:"kind"`
	ConnectTypes []string  `json:"connectTypes"`
	URL          string    `json:"url"`
	Username     string    `json:"username"`
	Password     string    `json:"password"`
	ExpiresAt    time.Time `json:"expiresAt"`
}

// serverConsole is `itsgow server console ID [--show|--close]`: open a time-limited BMC console
// (its password is printed once), show the live one, or close it now.
func serverConsole(ctx context.Context, c *apiClient, stdout io.Writer, id string, flags []string, jsonOut bool) error {
	fs := flag.NewFlagSet("server console", flag.ContinueOnError)
	show := fs.Bool("show", false, "show the live console session (without its password)")
	closeIt := fs.Bool("close", false, "close the console now: its credential is revoked")
	if err := fs.Parse(flags); err != nil || (*show && *closeIt) {
		return usageError{"server console ID [--show | --close]"}
	}
	var raw json.RawMessage
	switch {
	case *closeIt:
		if err := c.do(ctx, "DELETE", "/servers/"+id+"/console", nil, nil); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "console closed; its credential is being revoked")
		return nil
	case *show:
		if err := c.do(ctx, "GET", "/servers/"+id+"/console", nil, &raw); err != nil {
			return err
		}
	default:
		if err := c.do(ctx, "POST", "/servers/"+id+"/console", nil, &raw); err != nil {
			return err
		}
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	var v consoleView
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "kind\t%s (%s)\nurl\t%s\nusername\t%s\n", v.Kind, strings.Join(v.ConnectTypes, ", "), v.URL, v.Username)
	if v.Password != "" {
		fmt.Fprintf(tw, "password\t%s\t(shown once)\n", v.Password)
	}
	fmt.Fprintf(tw, "expires\t%s\t(the credential is revoked then)\n", v.ExpiresAt.UTC().Format(time.RFC3339))
	return tw.Flush()
}
