package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// cmdCommerce runs the commerce client commands: itsgow catalog | order | orders | invoices |
// contract | contracts.
func cmdCommerce(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	rest, jsonOut := jsonFlag(args)
	switch rest[0] {
	case "catalog":
		c, err := newPublicClient(environ)
		if err != nil {
			return err
		}
		return cmdCatalog(ctx, c, rest[1:], stdout, jsonOut)
	case "orders":
		rest = append([]string{"order", "list"}, rest[1:]...)
	case "contracts":
		rest = append([]string{"contract", "list"}, rest[1:]...)
	}
	c, err := newAPIClient(environ)
	if err != nil {
		return err
	}
	switch rest[0] {
	case "order":
		return cmdOrder(ctx, c, rest[1:], stdout, jsonOut)
	case "invoices":
		return cmdInvoices(ctx, c, rest[1:], stdout, jsonOut)
	case "contract":
		return cmdContract(ctx, c, rest[1:], stdout, jsonOut)
	}
	return usageError{"unknown command " + rest[0]}
}

// newPublicClient is a client that may lack a token (the catalogue is public).
func newPublicClient(environ []string) (*apiClient, error) {
	base := strings.TrimRight(envLookup(environ, "ITSGOW_URL"), "/")
	if base == "" {
		return nil, usageError{"set ITSGOW_URL (serve --demo prints it)"}
	}
	return &apiClient{base: base, token: envLookup(environ, "ITSGOW_TOKEN"), hc: &http.Client{Timeout: 30 * time.Second}}, nil
}

// doKey is do with an Idempotency-Key header (when key is not empty).
func (c *apiClient) doKey(ctx context.Context, method, path, key string, in, out any) error {
	if key == "" {
		return c.do(ctx, method, path, in, out)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var p apiError
		if json.Unmarshal(body, &p) != nil || p.Status == 0 {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return &p
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = body
		return nil
	}
	return json.Unmarshal(body, out)
}

func euros(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

type planView struct {
	Code     string `json:"code"`
	Range    string `json:"range"`
	Hardware struct {
		CPU    string `json:"cpu"`
		Cores  int    `json:"cores"`
		RAMGiB int    `json:"ramGiB"`
		NIC    string `json:"nic"`
	} `json:"hardware"`
	SupportLevel string `json:"supportLevel"`
	Prices       []struct {
		DurationMonths int   `json:"durationMonths"`
		SetupCents     int64 `json:"setupCents"`
		RecurringCents int64 `json:"recurringCents"`
	} `json:"prices"`
	Stock       string `json:"stock"`
	ETA         int    `json:"deliveryEstimateHours"`
	Datacenters []struct {
		Code  string `json:"code"`
		Stock string `json:"stock"`
	} `json:"datacenters"`
}

func cmdCatalog(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	rng := fs.String("range", "", "only this range")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	path := "/catalog/plans"
	if *rng != "" {
		path += "?range=" + *rng
	}
	var raw json.RawMessage
	if err := c.do(ctx, "GET", path, nil, &raw); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(stdout, raw)
	}
	var page struct{ Items []planView }
	if err := json.Unmarshal(raw, &page); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLAN\tRANGE\tHARDWARE\tSUPPORT\tPRICES (EUR excl. VAT /month, setup)\tSTOCK")
	for _, p := range page.Items {
		var prices []string
		for _, x := range p.Prices {
			prices = append(prices, fmt.Sprintf("%dm %s+%s", x.DurationMonths, euros(x.RecurringCents), euros(x.SetupCents)))
		}
		stock := p.Stock
		if p.ETA > 0 {
			stock += fmt.Sprintf(" (~%dh)", p.ETA)
		}
		for _, d := range p.Datacenters {
			stock += " " + d.Code + ":" + d.Stock
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %dc %dGiB %s\t%s\t%s\t%s\n", p.Code, p.Range, p.Hardware.CPU, p.Hardware.Cores, p.Hardware.RAMGiB,
			p.Hardware.NIC, p.SupportLevel, strings.Join(prices, "  "), stock)
	}
	return tw.Flush()
}

type orderView struct {
	ID                int64      `json:"id"`
	Status            string     `json:"status"`
	DryRun            bool       `json:"dryRun"`
	PlanCode          string     `json:"planCode"`
	DurationMonths    int        `json:"durationMonths"`
	OSImage           string     `json:"osImage"`
	TotalExclTaxCents int64      `json:"totalExclTaxCents"`
	TaxCents          int64      `json:"taxCents"`
	TotalInclTaxCents int64      `json:"totalInclTaxCents"`
	VATScheme         string     `json:"vatScheme"`
	CreatedAt         *time.Time `json:"createdAt"`
	PaidAt            *time.Time `json:"paidAt"`
	DeliveryDeadline  *time.Time `json:"deliveryDeadline"`
	SecondsToDeadline int64      `json:"secondsToDeadline"`
	LateCancellable   bool       `json:"lateCancellable"`
	Lines             []struct {
		Description string `json:"description"`
		Quantity    int64  `json:"quantity"`
		UnitCents   int64  `json:"unitCents"`
		VAT         int    `json:"vatRateBasisPoints"`
		TotalCents  int64  `json:"totalCents"`
	} `json:"lines"`
}

func printOrder(w io.Writer, o orderView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if o.DryRun {
		fmt.Fprintln(tw, "order form preview (dry run, nothing stored)")
	} else {
		fmt.Fprintf(tw, "order\t%d\nstatus\t%s\n", o.ID, o.Status)
	}
	fmt.Fprintf(tw, "plan\t%s, %d months, %s\n", o.PlanCode, o.DurationMonths, o.OSImage)
	for _, l := range o.Lines {
		fmt.Fprintf(tw, "  %s\t%d × %s\t= %s (VAT %d.%02d%%)\n", l.Description, l.Quantity, euros(l.UnitCents), euros(l.TotalCents), l.VAT/100, l.VAT%100)
	}
	fmt.Fprintf(tw, "total excl. VAT\t%s EUR\nVAT (%s)\t%s EUR\ntotal due\t%s EUR\n", euros(o.TotalExclTaxCents), o.VATScheme, euros(o.TaxCents), euros(o.TotalInclTaxCents))
	if o.PaidAt != nil {
		fmt.Fprintf(tw, "paid\t%s\n", fmtTime(o.PaidAt))
	}
	if o.DeliveryDeadline != nil {
		left := "passed"
		if o.SecondsToDeadline > 0 {
			left = (time.Duration(o.SecondsToDeadline) * time.Second).String() + " left"
		}
		fmt.Fprintf(tw, "delivery by\t%s (%s)\n", fmtTime(o.DeliveryDeadline), left)
	}
	if o.LateCancellable {
		fmt.Fprintf(tw, "late\tcancel with a full refund: itsgow order cancel %d\n", o.ID)
	}
	return tw.Flush()
}

// optionFlags collects --option code[=quantity].
type optionFlags []map[string]any

func (o *optionFlags) String() string { return "" }

func (o *optionFlags) Set(s string) error {
	code, q, found := strings.Cut(s, "=")
	m := map[string]any{"code": code}
	if found {
		n, err := strconv.Atoi(q)
		if err != nil {
			return fmt.Errorf("quantity of %s must be a number", code)
		}
		m["quantity"] = n
	}
	*o = append(*o, m)
	return nil
}

func orderID(args []string, what string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usageError{"order " + what + " ID"}
	}
	if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
		return "", nil, usageError{"order " + what + ": ID must be a number"}
	}
	return args[0], args[1:], nil
}

func cmdOrder(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	show := func(raw json.RawMessage) error {
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var o orderView
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		return printOrder(stdout, o)
	}
	switch sub {
	case "create":
		fs := flag.NewFlagSet("order create", flag.ContinueOnError)
		plan := fs.String("plan", "", "plan code (itsgow catalog)")
		months := fs.Int("months", 12, "rental duration in months")
		osImage := fs.String("os", "debian-12", "OS image")
		dc := fs.String("datacenter", "", "datacenter (optional)")
		vat := fs.String("vat-number", "", "EU VAT number of a company (reverse charge)")
		immediate := fs.Bool("immediate", false, "consumer: ask for delivery within the withdrawal period")
		dry := fs.Bool("dry-run", false, "preview the order form only")
		key := fs.String("idempotency-key", "", "make a retry safe: the same key answers the same order")
		var opts optionFlags
		fs.Var(&opts, "option", "option code[=quantity], repeatable")
		if err := fs.Parse(args); err != nil {
			return usageError{err.Error()}
		}
		if opts == nil {
			opts = optionFlags{}
		}
		body := map[string]any{"items": []any{map[string]any{"planCode": *plan, "durationMonths": *months, "osImage": *osImage,
			"datacenter": *dc, "options": opts}}, "dryRun": *dry, "vatNumber": *vat, "immediateDelivery": *immediate}
		var raw json.RawMessage
		if err := c.doKey(ctx, "POST", "/orders", *key, body, &raw); err != nil {
			return err
		}
		return show(raw)
	case "list":
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/orders?limit=100", nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var page struct{ Items []orderView }
		_ = json.Unmarshal(raw, &page)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDATE\tPLAN\tTOTAL (EUR)\tSTATUS\tDELIVERY BY\tLEFT")
		for _, o := range page.Items {
			left := "-"
			if o.SecondsToDeadline > 0 {
				left = (time.Duration(o.SecondsToDeadline) * time.Second).String()
			} else if o.LateCancellable {
				left = "late: cancellable"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s %dm\t%s\t%s\t%s\t%s\n", o.ID, fmtTime(o.CreatedAt), o.PlanCode, o.DurationMonths,
				euros(o.TotalInclTaxCents), o.Status, fmtTime(o.DeliveryDeadline), left)
		}
		return tw.Flush()
	case "show":
		id, _, err := orderID(args, "show")
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/orders/"+id, nil, &raw); err != nil {
			return err
		}
		return show(raw)
	case "pay":
		id, rest, err := orderID(args, "pay")
		if err != nil {
			return err
		}
		fs := flag.NewFlagSet("order pay", flag.ContinueOnError)
		method := fs.String("method", "sandbox", "transfer or sandbox")
		card := fs.String("card", "", "sandbox card number (4242424242424242 pays, 4000000000000002 is declined)")
		key := fs.String("idempotency-key", "", "make a retry safe")
		if err := fs.Parse(rest); err != nil {
			return usageError{err.Error()}
		}
		var raw json.RawMessage
		if err := c.doKey(ctx, "POST", "/orders/"+id+"/pay", *key, map[string]string{"method": *method, "card": *card}, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var p struct {
			ID          int64  `json:"id"`
			Method      string `json:"method"`
			Status      string `json:"status"`
			AmountCents int64  `json:"amountCents"`
			Reference   string `json:"reference"`
			IBAN        string `json:"iban"`
			BIC         string `json:"bic"`
		}
		_ = json.Unmarshal(raw, &p)
		fmt.Fprintf(stdout, "payment %d (%s) of %s EUR: %s\n", p.ID, p.Method, euros(p.AmountCents), p.Status)
		if p.Method == "transfer" {
			fmt.Fprintf(stdout, "transfer it to IBAN %s (BIC %s) with the reference %s; the 7-day delivery deadline starts when it arrives\n", p.IBAN, p.BIC, p.Reference)
		} else {
			fmt.Fprintf(stdout, "the card provider answers in a moment: itsgow order show %s\n", id)
		}
		return nil
	case "cancel", "withdraw":
		id, _, err := orderID(args, sub)
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := c.do(ctx, "POST", "/orders/"+id+"/"+sub, nil, &raw); err != nil {
			return err
		}
		return show(raw)
	}
	return usageError{"order: create, list, show, pay, cancel or withdraw"}
}

func cmdInvoices(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		var raw, rawCN json.RawMessage
		if err := c.do(ctx, "GET", "/invoices?limit=100", nil, &raw); err != nil {
			return err
		}
		if err := c.do(ctx, "GET", "/credit-notes?limit=100", nil, &rawCN); err != nil {
			return err
		}
		if jsonOut {
			if err := printJSON(stdout, raw); err != nil {
				return err
			}
			return printJSON(stdout, rawCN)
		}
		type inv struct {
			ID                int64     `json:"id"`
			Kind              string    `json:"kind"`
			Number            string    `json:"number"`
			Status            string    `json:"status"`
			IssuedAt          time.Time `json:"issuedAt"`
			DueAt             time.Time `json:"dueAt"`
			TotalInclTaxCents int64     `json:"totalInclTaxCents"`
			CreditsNumber     string    `json:"creditsNumber"`
		}
		var a, b struct{ Items []inv }
		_ = json.Unmarshal(raw, &a)
		_ = json.Unmarshal(rawCN, &b)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNUMBER\tKIND\tISSUED\tDUE\tTOTAL (EUR)\tSTATUS")
		for _, v := range append(a.Items, b.Items...) {
			kind := v.Kind
			if v.CreditsNumber != "" {
				kind += " of " + v.CreditsNumber
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Number, kind, v.IssuedAt.Format("2006-01-02"), v.DueAt.Format("2006-01-02"),
				euros(v.TotalInclTaxCents), v.Status)
		}
		return tw.Flush()
	case "pdf":
		if len(args) == 0 {
			return usageError{"invoices pdf ID [--out FILE]"}
		}
		id := args[0]
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return usageError{"invoices pdf: ID must be a number"}
		}
		fs := flag.NewFlagSet("invoices pdf", flag.ContinueOnError)
		out := fs.String("out", "", "file to write (default: the invoice number .pdf; - for standard output)")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		var meta struct{ Number string }
		if err := c.do(ctx, "GET", "/invoices/"+id, nil, &meta); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := c.do(ctx, "GET", "/invoices/"+id+"/pdf", nil, &raw); err != nil {
			return err
		}
		if *out == "-" {
			_, err := stdout.Write(raw)
			return err
		}
		name := *out
		if name == "" {
			name = meta.Number + ".pdf"
		}
		if err := os.WriteFile(name, raw, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "invoice %s written to %s (%d bytes)\n", meta.Number, name, len(raw))
		return nil
	}
	return usageError{"invoices: list or pdf ID"}
}

type contractView struct {
	ID                int64      `json:"id"`
	Plan              string     `json:"plan"`
	DurationMonths    int        `json:"durationMonths"`
	TermExclTaxCents  int64      `json:"termExclTaxCents"`
	Status            string     `json:"status"`
	ServerRef         string     `json:"serverRef"`
	StartedAt         *time.Time `json:"startedAt"`
	TermNo            int        `json:"termNo"`
	EndsAt            *time.Time `json:"endsAt"`
	TerminateAt       *time.Time `json:"terminateAt"`
	TerminatedAt      *time.Time `json:"terminatedAt"`
	TerminationReason string     `json:"terminationReason"`
	Renew             struct {
		Automatic bool `json:"automatic"`
	} `json:"renew"`
}

func (c contractView) renewal() string {
	switch {
	case c.Status == "terminated":
		return "-"
	case c.TerminateAt != nil:
		return "ends " + fmtTime(c.TerminateAt)
	case c.Renew.Automatic:
		return "automatic"
	}
	return "manual"
}

func printContract(w io.Writer, c contractView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "contract\t%d\nstatus\t%s\nplan\t%s, %d months, %s EUR excl. VAT per term (frozen, Art. 10)\n", c.ID, c.Status, c.Plan,
		c.DurationMonths, euros(c.TermExclTaxCents))
	fmt.Fprintf(tw, "server\t%s\nstarted\t%s\nterm\t%d, ends %s\nrenewal\t%s\n", c.ServerRef, fmtTime(c.StartedAt), c.TermNo, fmtTime(c.EndsAt), c.renewal())
	switch {
	case c.TerminatedAt != nil:
		fmt.Fprintf(tw, "terminated\t%s (%s)\n", fmtTime(c.TerminatedAt), c.TerminationReason)
	case c.TerminateAt != nil:
		fmt.Fprintf(tw, "termination\tat the end of the term; withdraw it before then: itsgow contract keep %d\n", c.ID)
	}
	return tw.Flush()
}

// cmdContract is itsgow contract list | show ID | terminate ID --at endOfTerm|now | keep ID.
func cmdContract(ctx context.Context, c *apiClient, args []string, stdout io.Writer, jsonOut bool) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	show := func(raw json.RawMessage) error {
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var v contractView
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		return printContract(stdout, v)
	}
	id := func(what string) (string, []string, error) {
		if len(args) == 0 {
			return "", nil, usageError{"contract " + what + " ID"}
		}
		if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
			return "", nil, usageError{"contract " + what + ": ID must be a number"}
		}
		return args[0], args[1:], nil
	}
	var raw json.RawMessage
	switch sub {
	case "list":
		if err := c.do(ctx, "GET", "/contracts?limit=100", nil, &raw); err != nil {
			return err
		}
		if jsonOut {
			return printJSON(stdout, raw)
		}
		var page struct{ Items []contractView }
		if err := json.Unmarshal(raw, &page); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPLAN\tSERVER\tSTARTED\tTERM ENDS\tRENEWAL\tSTATUS")
		for _, v := range page.Items {
			fmt.Fprintf(tw, "%d\t%s %dm\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Plan, v.DurationMonths, v.ServerRef, fmtTime(v.StartedAt),
				fmtTime(v.EndsAt), v.renewal(), v.Status)
		}
		return tw.Flush()
	case "show":
		n, _, err := id("show")
		if err != nil {
			return err
		}
		if err := c.do(ctx, "GET", "/contracts/"+n, nil, &raw); err != nil {
			return err
		}
		return show(raw)
	case "terminate":
		n, rest, err := id("terminate")
		if err != nil {
			return err
		}
		fs := flag.NewFlagSet("contract terminate", flag.ContinueOnError)
		at := fs.String("at", "endOfTerm", "endOfTerm (no renewal; withdrawable until then) or now (the server stops at once)")
		reason := fs.String("reason", "", "why (optional)")
		if err := fs.Parse(rest); err != nil {
			return usageError{err.Error()}
		}
		if err := c.do(ctx, "POST", "/contracts/"+n+"/termination", map[string]string{"at": *at, "reason": *reason}, &raw); err != nil {
			return err
		}
		return show(raw)
	case "keep":
		n, _, err := id("keep")
		if err != nil {
			return err
		}
		if err := c.do(ctx, "DELETE", "/contracts/"+n+"/termination", nil, &raw); err != nil {
			return err
		}
		return show(raw)
	}
	return usageError{"contract: list, show ID, terminate ID --at endOfTerm|now, or keep ID (withdraw a termination at the end of the term)"}
}
