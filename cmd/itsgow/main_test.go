package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var urlRe = regexp.MustCompile(`Web interface\s+(http://127\.0\.0\.1:\d+)/login`)

// startDemo runs `itsgow serve --demo` in-process (with extraEnv added to its environment) and
// returns its URL and credentials.
func startDemo(t *testing.T, data string, extraEnv ...string) (string, map[string]map[string]string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	env := append([]string{"ITSGOW_ACCOUNTS_ARGON2_MEMORY_KIB=1024", "ITSGOW_ACCOUNTS_ARGON2_ITERATIONS=1", "ITSGOW_LOG_LEVEL=warn"}, extraEnv...)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", data, "--http-addr", "127.0.0.1:0"}, &out, &errOut, env)
	}()
	deadline := time.Now().Add(20 * time.Second)
	var base string
	for base == "" {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve --demo printed no URL: %s %s", out.String(), errOut.String())
		}
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	var raw map[string]json.RawMessage
	b, err := os.ReadFile(filepath.Join(data, "demo-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	creds := map[string]map[string]string{}
	for _, k := range []string{"customer", "staff"} {
		var m map[string]string
		if err := json.Unmarshal(raw[k], &m); err != nil {
			t.Fatalf("demo-credentials.json %s: %v", k, err)
		}
		creds[k] = m
	}
	stop := func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d: %s", code, errOut.String())
		}
	}
	return base, creds, stop
}

func cli(t *testing.T, base, token string, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, []string{"ITSGOW_URL=" + base, "ITSGOW_TOKEN=" + token})
	return out.String() + errOut.String(), code
}

func TestServeDemoAndCLI(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	base, creds, stop := startDemo(t, data)
	for _, k := range []string{"customer", "staff"} {
		for _, f := range []string{"email", "password", "token"} {
			if creds[k][f] == "" {
				t.Fatalf("demo-credentials.json lacks %s.%s", k, f)
			}
		}
	}
	tok := creds["customer"]["token"]
	out, code := cli(t, base, tok, "me")
	if code != 0 || !strings.Contains(out, "demo@itsgow.example") || !strings.Contains(out, "Martin Hébergement SARL") {
		t.Fatalf("itsgow me: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "tokens", "create", "--name", "ci", "--scopes", "notices:read")
	m := regexp.MustCompile(`itg_[A-Za-z0-9_-]{43}`).FindString(out)
	if code != 0 || m == "" {
		t.Fatalf("tokens create: %d %s", code, out)
	}
	out, code = cli(t, base, m, "notices")
	if code != 0 || !strings.Contains(out, "Bienvenue chez ITSGOW") || !strings.Contains(out, "ci") {
		t.Fatalf("notices with the new token: %d %s", code, out)
	}
	out, code = cli(t, base, m, "me")
	if code != 1 || !strings.Contains(out, "insufficient_scope") {
		t.Fatalf("me with a notices-only token: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "notices", "show", "1")
	if code != 0 || !strings.Contains(out, "Camille Martin") || !strings.Contains(out, "SHA-256") {
		t.Fatalf("notices show: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "tokens", "create", "--name", "", "--scopes", "root")
	if code != 1 || !strings.Contains(out, "scopes:") || !strings.Contains(out, "name:") {
		t.Fatalf("bad token create should list field errors: %d %s", code, out)
	}
	out, code = cli(t, base, tok, "tokens", "revoke", "abc")
	if code != 2 {
		t.Fatalf("revoke abc: %d %s", code, out)
	}
	stop()

	// A restart on the same data directory keeps the accounts, tokens and credentials.
	base2, creds2, stop2 := startDemo(t, data)
	defer stop2()
	if creds2["customer"]["token"] != tok {
		t.Fatal("demo credentials changed across a restart")
	}
	if out, code := cli(t, base2, m, "notices"); code != 0 || !strings.Contains(out, "Bienvenue") {
		t.Fatalf("token created before the restart: %d %s", code, out)
	}
}

func TestCLIWithoutEnvironment(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"me"}, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "ITSGOW_URL") {
		t.Fatalf("me without env: %d %s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"bogus"}, &out, &errOut, nil); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	env := []string{"ITSGOW_ADMIN_PASSWORD=correct horse battery", "ITSGOW_ACCOUNTS_ARGON2_MEMORY_KIB=1024", "ITSGOW_LOG_LEVEL=warn"}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"admin", "user", "create", "--data", data, "--staff", "--staff-roles", "noc,abuse", "--email", "Noc@Itsgow.example", "--name", "Nora"}, &out, &errOut, env)
	if code != 0 || !strings.Contains(out.String(), "created staff account") {
		t.Fatalf("admin user create: %d %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	code = run(context.Background(), []string{"admin", "token", "create", "--data", data, "--email", "noc@itsgow.example", "--name", "ops", "--scopes", "staff:read"}, &out, &errOut, env)
	if code != 0 || !strings.HasPrefix(out.String(), "itg_") {
		t.Fatalf("admin token create: %d %s %s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	code = run(context.Background(), []string{"admin", "user", "create", "--data", data, "--email", "bad", "--name", ""}, &out, &errOut, env)
	if code != 1 || !strings.Contains(errOut.String(), "email:") {
		t.Fatalf("invalid user: %d %s", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "--data", data}, &out, &errOut, env); code != 0 || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate: %d %s", code, out.String())
	}
}
