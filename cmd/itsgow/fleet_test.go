package main

import (
	"regexp"
	"strings"
	"testing"
)

// `itsgow servers` and `itsgow server ...` against `serve --demo`: the demo server at
// 198.18.0.10, a reboot and a rescue as tasks, a console opened, shown and closed, a reinstall
// refused without --yes and with an unknown image, and a restart that keeps the delivered server (the simulated machine is
// restored from the store).
func TestFleetCLI(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	base, creds, stop := startDemo(t, data)
	tok := creds["customer"]["token"]
	out, code := cli(t, base, tok, "servers")
	if code != 0 || !strings.Contains(out, "198.18.0.10") || !strings.Contains(out, "active") {
		t.Fatalf("servers (%d): %s", code, out)
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s+ns`).FindStringSubmatch(out)[1]
	if out, code := cli(t, base, tok, "server", "show", id); code != 0 || !strings.Contains(out, "debian-13") || !strings.Contains(out, "2001:db8:1000:1::/64") {
		t.Fatalf("show (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "reboot", id, "--type", "hard"); code != 0 || !strings.Contains(out, "reboot") {
		t.Fatalf("reboot (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "reinstall", id, "--image", "debian-12"); code != 2 || !strings.Contains(out, "--yes") {
		t.Fatalf("reinstall without --yes (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "reinstall", id, "--image", "templeos", "--yes"); code != 1 || !strings.Contains(out, "unknown_os_image") {
		t.Fatalf("reinstall unknown image (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "console", id); code != 0 || !strings.Contains(out, "graphical") || !strings.Contains(out, "(shown once)") ||
		!strings.Contains(out, "expires") {
		t.Fatalf("console (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "console", id, "--show"); code != 0 || strings.Contains(out, "password") || !strings.Contains(out, "username") {
		t.Fatalf("console --show (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "console", id, "--close"); code != 0 || !strings.Contains(out, "console closed") {
		t.Fatalf("console --close (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "console", id, "--show"); code != 1 || !strings.Contains(out, "no_console") {
		t.Fatalf("console --show after close (%d): %s", code, out)
	}
	if out, code := cli(t, base, tok, "server", "reboot", "abc"); code != 2 {
		t.Fatalf("bad id (%d): %s", code, out)
	}
	stop()
	base2, _, stop2 := startDemo(t, data)
	defer stop2()
	if out, code := cli(t, base2, tok, "server", "show", id, "--json"); code != 0 || !strings.Contains(out, `"state": "active"`) {
		t.Fatalf("after restart (%d): %s", code, out)
	}
}
