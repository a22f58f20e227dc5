package main

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/itsgow/itsgow/internal/app"
)

// The configuration is loaded in four layers: defaults, the YAML file, ITSGOW_* environment
// variables, then flags. Every leaf is addressed by its dotted YAML path (http.addr); the
// environment variable of a path is ITSGOW_ + the path upper-cased with dots as underscores
// (ITSGOW_HTTP_ADDR). Durations accept Go syntax plus a "d" suffix for days (7d, 26h, 90s).

var durationType = reflect.TypeOf(time.Duration(0))

var textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// isStruct reports a struct that is a mapping of keys: not a duration, and not a value written
// as text (netip.Addr, netip.Prefix: encoding.TextUnmarshaler).
func isStruct(v reflect.Value) bool {
	return v.Kind() == reflect.Struct && v.Type() != durationType && !reflect.PointerTo(v.Type()).Implements(textUnmarshalerType)
}

// loadConfig applies the YAML file (if any) and the environment over the defaults.
func loadConfig(path string, environ []string) (app.Config, error) {
	cfg := app.DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := applyYAML(&cfg, b); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// applyYAML decodes a YAML document over cfg; unknown keys are errors naming the key.
func applyYAML(cfg *app.Config, b []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil // empty file
	}
	return setNode(reflect.ValueOf(cfg).Elem(), doc.Content[0], "")
}

func setNode(v reflect.Value, n *yaml.Node, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isStruct(v) {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: must be a mapping", orRoot(path))
		}
		fields := structFields(v)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			f, ok := fields[key]
			if !ok {
				return fmt.Errorf("unknown key %s (line %d)", join(path, key), n.Content[i].Line)
			}
			if err := setNode(f, n.Content[i+1], join(path, key)); err != nil {
				return err
			}
		}
		return nil
	}
	if v.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
				return nil
			}
			return fmt.Errorf("%s: must be a list", path)
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := setNode(out.Index(i), item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: must be a single value", path)
	}
	return setScalar(v, n.Value, path)
}

func setScalar(v reflect.Value, s, path string) error {
	bad := func(what string) error { return fmt.Errorf("%s: %q is not %s", path, s, what) }
	if v.Type() == durationType {
		d, err := parseDuration(s)
		if err != nil {
			return bad("a duration (e.g. 90s, 26h, 7d)")
		}
		v.SetInt(int64(d))
		return nil
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshalerType) {
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("%s: %q: %v", path, s, err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return bad("an integer")
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return bad("a non-negative integer")
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("a number")
		}
		v.SetFloat(f)
	case reflect.Slice:
		// from the environment: comma-separated
		parts := []string{}
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		out := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setScalar(out.Index(i), p, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
	default:
		return fmt.Errorf("%s: unsupported type %s", path, v.Type())
	}
	return nil
}

// parseDuration accepts Go durations plus whole days ("7d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var days time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, errors.New("bad day count")
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return days + d, nil
}

// structFields maps yaml keys to fields, flattening ",inline" embedded structs.
func structFields(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, fv := range structFields(v.Field(i)) {
				out[k] = fv
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = v.Field(i)
	}
	return out
}

type leaf struct {
	path   string
	v      reflect.Value
	secret bool
}

// leaves lists every leaf of the tree in declaration order.
func leaves(v reflect.Value, path string, secret bool, out *[]leaf) {
	if isStruct(v) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			sec := f.Tag.Get("secret") == "true"
			if strings.Contains(opts, "inline") {
				leaves(v.Field(i), path, sec, out)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			leaves(v.Field(i), join(path, name), sec, out)
		}
		return
	}
	*out = append(*out, leaf{path, v, secret})
}

func envName(path string) string {
	return "ITSGOW_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// applyEnv sets leaves from ITSGOW_* variables. Variables that name no key are ignored (the
// CLI's ITSGOW_URL and ITSGOW_TOKEN share the prefix).
func applyEnv(cfg *app.Config, environ []string) error {
	var ls []leaf
	leaves(reflect.ValueOf(cfg).Elem(), "", false, &ls)
	byEnv := map[string]leaf{}
	for _, l := range ls {
		byEnv[envName(l.path)] = l
	}
	for _, kv := range environ {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "ITSGOW_") {
			continue
		}
		l, ok := byEnv[k]
		if !ok {
			continue
		}
		if err := setScalar(l.v, val, k); err != nil {
			return err
		}
	}
	return nil
}

// dumpConfig renders the effective configuration as YAML with secrets redacted.
func dumpConfig(cfg app.Config) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	if err := dumpNode(root, reflect.ValueOf(cfg)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

func dumpNode(m *yaml.Node, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			if err := dumpNode(m, v.Field(i)); err != nil {
				return err
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fv := v.Field(i)
		var val *yaml.Node
		switch {
		case f.Tag.Get("secret") == "true":
			s := ""
			if !fv.IsZero() {
				s = "REDACTED"
			}
			val = scalarNode(s)
		case isStruct(fv):
			val = &yaml.Node{Kind: yaml.MappingNode}
			if err := dumpNode(val, fv); err != nil {
				return err
			}
		case fv.Kind() == reflect.Slice:
			val = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for j := range fv.Len() {
				item := fv.Index(j)
				if isStruct(item) { // a list of mappings (netguard.bgp.peers)
					m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
					if err := dumpNode(m, item); err != nil {
						return err
					}
					val.Content = append(val.Content, m)
					continue
				}
				val.Content = append(val.Content, scalarNode(formatScalar(item)))
			}
		default:
			val = scalarNode(formatScalar(fv))
		}
		m.Content = append(m.Content, scalarNode(name), val)
	}
	return nil
}

func scalarNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func formatScalar(v reflect.Value) string {
	if v.Type() == durationType {
		return formatDuration(time.Duration(v.Int()))
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		if v.Kind() == reflect.Struct && v.IsZero() {
			return "" // the zero netip.Addr, not "invalid IP"
		}
		b, err := m.MarshalText()
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v.Interface())
}

// formatDuration prints whole days from a week on as "7d" and the rest in Go syntax without zero units.
func formatDuration(d time.Duration) string {
	if d >= 7*24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	for _, z := range []string{"h0m0s", "m0s"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z[1:])
		}
	}
	return s
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// configKeys lists every key with its environment variable (for docs and `config keys`).
func configKeys() []string {
	cfg := app.DefaultConfig()
	var ls []leaf
	leaves(reflect.ValueOf(&cfg).Elem(), "", false, &ls)
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%-48s %s", l.path, envName(l.path)))
	}
	sort.Strings(out)
	return out
}
