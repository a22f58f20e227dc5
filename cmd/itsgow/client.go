package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
)

// apiClient calls the REST API with a bearer token.
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

// apiError is a problem+json answer.
type apiError struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	RequestID string `json:"requestId"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d %s)", e.Detail, e.Status, e.Code)
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

func newAPIClient(environ []string) (*apiClient, error) {
	base := strings.TrimRight(envLookup(environ, "ITSGOW_URL"), "/")
	token := envLookup(environ, "ITSGOW_TOKEN")
	if base == "" || token == "" {
		return nil, usageError{"set ITSGOW_URL and ITSGOW_TOKEN (serve --demo prints them)"}
	}
	return &apiClient{base: base, token: token, hc: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (c *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var p apiError
		if json.Unmarshal(b, &p) != nil || p.Status == 0 {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return &p
	}
	if out != nil && len(b) > 0 {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = b
			return nil
		}
		return json.Unmarshal(b, out)
	}
	return nil
}

// describe turns a domain error into a readable message for the terminal.
func describe(err error) error {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Msg)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return fmt.Errorf("%s", b.String())
}

func printJSON(w io.Writer, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	_, err := fmt.Fprintln(w, string(b))
	return err
}

// jsonFlag removes --json from a client command's arguments and reports whether it was there.
func jsonFlag(args []string) (rest []string, jsonOut bool) {
	for _, a := range args {
		if a == "--json" {
			jsonOut = true
			continue
		}
		rest = append(rest, a)
	}
	return rest, jsonOut
}

func cmdClient(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	rest, jsonOut := jsonFlag(args)
	c, err := newAPIClient(environ)
	if err != nil {
		return err
	}
	switch rest[0] {
	case "me":
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/me", nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var me struct {
			ID          int64    `json:"id"`
			Kind        string   `json:"kind"`
			Email       string   `json:"email"`
			Name        string   `json:"name"`
			Language    string   `json:"language"`
			TOTPEnabled bool     `json:"totpEnabled"`
			Roles       []string `json:"roles"`
			Scopes      []string `json:"scopes"`
			Customer    *struct {
				CompanyName string `json:"companyName"`
				Country     string `json:"country"`
			} `json:"customer"`
		}
		_ = json.Unmarshal(raw, &me)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "id\t%d\nkind\t%s\nemail\t%s\nname\t%s\nlanguage\t%s\ntwo-factor\t%v\n", me.ID, me.Kind, me.Email, me.Name, me.Language, me.TOTPEnabled)
		if me.Customer != nil {
			fmt.Fprintf(tw, "company\t%s\ncountry\t%s\n", me.Customer.CompanyName, me.Customer.Country)
		}
		if len(me.Roles) > 0 {
			fmt.Fprintf(tw, "roles\t%s\n", strings.Join(me.Roles, ", "))
		}
		fmt.Fprintf(tw, "scopes\t%s\n", strings.Join(me.Scopes, " "))
		return tw.Flush()
	case "tokens":
		return cmdTokens(ctx, c, rest[1:], stdout, jsonOut)
	case "notices":
		return cmdNotices(ctx, c, rest[1:], stdout, jsonOut)
	}
	return usageError{"unknown command " + rest[0]}
}

type tokenView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	Active     bool       `json:"active"`
	Token      string     `json:"token"`
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func cmdTokens(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/me/tokens", nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var page struct{ Items []tokenView }
		_ = json.Unmarshal(raw, &page)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tCREATED\tLAST USED\tEXPIRES\tSTATE")
		for _, t := range page.Items {
			state := "active"
			if !t.Active {
				state = "revoked/expired"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, strings.Join(t.Scopes, " "),
				fmtTime(&t.CreatedAt), fmtTime(t.LastUsedAt), fmtTime(t.ExpiresAt), state)
		}
		return tw.Flush()
	case "create":
		fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
		name := fs.String("name", "", "token name")
		scopes := fs.String("scopes", "", "comma-separated scopes, '*' for all")
		days := fs.Int("expires-days", 0, "expiry in days (0: never)")
		if err := fs.Parse(args); err != nil {
			return usageError{err.Error()}
		}
		var sc []string
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				sc = append(sc, s)
			}
		}
		var raw json.RawMessage
		if err := c.do(ctx, "POST", "/me/tokens", map[string]any{"name": *name, "scopes": sc, "expiresInDays": *days}, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var t tokenView
		_ = json.Unmarshal(raw, &t)
		fmt.Fprintf(stdout, "token %d %q created with scopes %s; it is shown once:\n%s\n", t.ID, t.Name, strings.Join(t.Scopes, " "), t.Token)
		return nil
	case "revoke":
		if len(args) != 1 {
			return usageError{"tokens revoke ID"}
		}
		if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
			return usageError{"tokens revoke: ID must be a number"}
		}
		if err := c.do(ctx, "DELETE", "/me/tokens/"+args[0], nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s revoked\n", args[0])
		return nil
	}
	return usageError{"tokens: list, create or revoke"}
}

type noticeView struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Recipient  string     `json:"recipient"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body"`
	BodySHA256 string     `json:"bodySha256"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"createdAt"`
	SentAt     *time.Time `json:"sentAt"`
}

func cmdNotices(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/notices?limit=100", nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var page struct{ Items []noticeView }
		_ = json.Unmarshal(raw, &page)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDATE\tSTATUS\tSUBJECT")
		for _, n := range page.Items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", n.ID, fmtTime(&n.CreatedAt), n.Status, n.Subject)
		}
		return tw.Flush()
	case "show":
		if len(args) != 1 {
			return usageError{"notices show ID"}
		}
		if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
			return usageError{"notices show: ID must be a number"}
		}
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/notices/"+args[0], nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var n noticeView
		_ = json.Unmarshal(raw, &n)
		fmt.Fprintf(stdout, "Subject: %s\nTo: %s\nDate: %s\nStatus: %s (sent %s)\nSHA-256: %s\n\n%s", n.Subject, n.Recipient,
			fmtTime(&n.CreatedAt), n.Status, fmtTime(n.SentAt), n.BodySHA256, n.Body)
		return nil
	}
	return usageError{"notices: list or show ID"}
}
