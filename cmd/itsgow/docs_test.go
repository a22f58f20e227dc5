package main

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/app"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configuration.md")

// configReference renders docs/configuration.md from the configuration tree, so the reference
// cannot drift from the code.
func configReference() string {
	cfg := app.DefaultConfig()
	var ls []leaf
	leaves(reflect.ValueOf(&cfg).Elem(), "", false, &ls)
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Generated from the code by `go test ./cmd/itsgow -run TestConfigReference -update-docs`; do not edit.\n\n")
	b.WriteString("Layers: defaults, then the YAML file (`--config`), then the environment, then flags (`--data`, `--http-addr`, `--roles`).\n")
	b.WriteString("Unknown keys in the file are errors. Durations take `90s`, `26h`, `7d`; lists in the environment are comma-separated.\n")
	b.WriteString("Keys marked secret are printed as REDACTED by `itsgow config dump`.\n\n")
	b.WriteString("| Key | Environment variable | Default |\n|---|---|---|\n")
	for _, l := range ls {
		def := formatValue(l.v)
		if l.secret {
			def += " (secret)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", l.path, envName(l.path), def)
	}
	return b.String()
}

func formatValue(v reflect.Value) string {
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = formatScalar(v.Index(i))
		}
		return "`[" + strings.Join(parts, ", ") + "]`"
	}
	s := formatScalar(v)
	if s == "" {
		return "(empty)"
	}
	return "`" + s + "`"
}

func TestConfigReference(t *testing.T) {
	t.Parallel()
	got := configReference()
	path := "../../docs/configuration.md"
	if *updateDocs {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Fatalf("docs/configuration.md is out of date: run go test ./cmd/itsgow -run TestConfigReference -update-docs")
	}
}
