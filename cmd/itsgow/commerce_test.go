package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCommerceCLI(t *testing.T) {
	t.Parallel()
	base, creds, stop := startDemo(t, t.TempDir())
	defer stop()
	tok := creds["customer"]["token"]
	out, code := cli(t, base, "", "catalog")
	if code != 0 || !strings.Contains(out, "ECO-1") || !strings.Contains(out, "ENTERPRISE") || !strings.Contains(out, "24m") {
		t.Fatalf("catalog (no token): %d %s", code, out)
	}
	out, code = cli(t, base, tok, "order", "create", "--plan", "PERF-1", "--months", "3", "--option", "extra-ipv4=2", "--dry-run")
	if code != 0 || !strings.Contains(out, "preview") || !strings.Contains(out, "total due") {
		t.Fatalf("dry run: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "order", "create", "--plan", "PERF-1", "--months", "2", "--option", "extra-ipv4=0")
	if code != 1 || !strings.Contains(out, "items[0].durationMonths") || !strings.Contains(out, "items[0].options[0].quantity") {
		t.Fatalf("bad order: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "order", "create", "--plan", "ECO-1", "--months", "1", "--idempotency-key", "cli-1")
	m := regexp.MustCompile(`order\s+(\d+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("order create: %d %s", code, out)
	}
	id := m[1]
	if again, _ := cli(t, base, tok, "order", "create", "--plan", "ECO-1", "--months", "1", "--idempotency-key", "cli-1"); !strings.Contains(again, "order  "+id) && !strings.Contains(again, "order\t"+id) && regexp.MustCompile(`order\s+(\d+)`).FindStringSubmatch(again)[1] != id {
		t.Fatalf("same key, another order: %s", again)
	}
	if out, code = cli(t, base, tok, "order", "pay", id, "--method", "sandbox"); code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("pay: %d %s", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ = cli(t, base, tok, "order", "show", id)
		if strings.Contains(out, "status  paid") || strings.Contains(out, "delivery by") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order not paid: %s", out)
		}
		time.Sleep(20 * time.Millisecond) //nolint:forbidigo // waits for the real runner of `serve`
	}
	out, code = cli(t, base, tok, "order", "cancel", id)
	if code != 1 || !strings.Contains(out, "not_late") {
		t.Fatalf("cancel before the deadline: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "orders")
	if code != 0 || !strings.Contains(out, "paid") {
		t.Fatalf("orders: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "invoices")
	inv := regexp.MustCompile(`(?m)^(\d+)\s+F\d{4}-000001`).FindStringSubmatch(out)
	if code != 0 || inv == nil {
		t.Fatalf("invoices: %d %s", code, out)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "inv.pdf")
	if out, code = cli(t, base, tok, "invoices", "pdf", inv[1], "--out", file); code != 0 {
		t.Fatalf("pdf: %d %s", code, out)
	}
	b, err := os.ReadFile(file)
	if err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("pdf file: %v %q", err, b[:min(len(b), 8)])
	}
	// the order's server is online (staff deliver it by hand): its contract is terminated at the
	// end of the term, and the termination withdrawn
	req, _ := http.NewRequest("POST", base+"/api/v1/staff/orders/"+id+"/delivered", strings.NewReader(`{"serverRef":"cli-1","mainIp":"198.18.0.99"}`))
	req.Header.Set("Authorization", "Bearer "+creds["staff"]["token"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 409 { // 409: the fleet delivered it first
		t.Fatalf("delivered: %d", resp.StatusCode)
	}
	out, code = cli(t, base, tok, "contracts")
	cm := regexp.MustCompile(`(?m)^(\d+)\s+ECO-1 1m.*automatic\s+active$`).FindStringSubmatch(out)
	if code != 0 || cm == nil {
		t.Fatalf("contracts: %d %s", code, out)
	}
	if out, code = cli(t, base, tok, "contract", "terminate", cm[1], "--at", "endOfTerm"); code != 0 || !strings.Contains(out, "itsgow contract keep "+cm[1]) {
		t.Fatalf("terminate at the end of the term: %d %s", code, out)
	}
	if out, code = cli(t, base, tok, "contract", "keep", cm[1]); code != 0 || !strings.Contains(out, "renewal     automatic") && !strings.Contains(out, "automatic") {
		t.Fatalf("keep: %d %s", code, out)
	}
	if out, code = cli(t, base, tok, "contract", "keep", cm[1]); code != 1 || !strings.Contains(out, "no_termination") {
		t.Fatalf("keep twice: %d %s", code, out)
	}
	if _, code = cli(t, base, tok, "contract", "keep"); code != 2 {
		t.Fatalf("keep without ID: %d", code)
	}
	if _, code = cli(t, base, tok, "order", "pay", "abc"); code != 2 {
		t.Fatalf("pay abc: %d", code)
	}
}
