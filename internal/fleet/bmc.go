package fleet

import "log/slog"

// BMC says how to reach a server's management controller.
type BMC struct {
	Address  string // host, host:port or URL
	Username string
	Password Secret
	Driver   string // "redfish", "ipmi", "simlab"
}

// LogValue logs the BMC without its password.
func (b BMC) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("address", b.Address),
		slog.String("username", b.Username),
		slog.String("password", redacted),
		slog.String("driver", b.Driver),
	)
}

const redacted = "[redacted]"

// Secret is a credential. It prints, logs and marshals as "[redacted]"; the code that needs
// the value converts it explicitly with string(s), which keeps every use greppable.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", so that %#v does not leak it either.
func (Secret) GoString() string { return redacted }

// LogValue logs "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]", so that JSON, YAML and text encoders never write the
// value. Storing a secret (encrypted) is the store's explicit job.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
