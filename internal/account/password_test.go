package account_test

import (
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/account"
)

// light keeps password hashing fast in tests; production uses account.DefaultArgon2.
var light = account.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}

func TestPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pw   string
	}{
		{"ascii", "correct horse battery staple"},
		{"accents", "mot de passe très sûr à Noël"},
		{"dollar signs", "$argon2id$v=19$"},
		{"long", strings.Repeat("x", 1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := account.HashPassword(tt.pw, light)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
				t.Errorf("hash %q: want the PHC argon2id prefix with the given parameters", h)
			}
			ok, err := account.CheckPassword(tt.pw, h)
			if err != nil || !ok {
				t.Errorf("CheckPassword(right password) = %v, %v; want true, nil", ok, err)
			}
			ok, err = account.CheckPassword(tt.pw+"!", h)
			if err != nil || ok {
				t.Errorf("CheckPassword(wrong password) = %v, %v; want false, nil", ok, err)
			}
			h2, err := account.HashPassword(tt.pw, light)
			if err != nil {
				t.Fatal(err)
			}
			if h2 == h {
				t.Error("two hashes of the same password are equal: the salt is not random")
			}
		})
	}
}

func TestCheckPasswordMalformedHash(t *testing.T) {
	t.Parallel()
	good, err := account.HashPassword("correct horse battery staple", light)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	tests := []struct {
		name string
		hash string
	}{
		{"empty", ""},
		{"plain text", "correct horse battery staple"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", strings.Replace(good, "$argon2id$", "$argon2i$", 1)},
		{"missing part", strings.Join(parts[:5], "$")},
		{"extra part", good + "$x"},
		{"bad parameters", strings.Replace(good, "m=1024,t=1,p=1", "m=x,t=1,p=1", 1)},
		{"bad salt", strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$")},
		{"bad key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "!!!"}, "$")},
		{"empty key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], ""}, "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := account.CheckPassword("correct horse battery staple", tt.hash)
			if err == nil || ok {
				t.Errorf("CheckPassword(%q) = %v, %v; want false and an error", tt.hash, ok, err)
			}
		})
	}
}

func TestValidSIREN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"732829320", true},
		{"732829321", false},
		{"552100554", true},
		{"000000000", true}, // passes Luhn; the registry check is not this function's job
		{"73282932", false},
		{"7328293200", false},
		{"73282932a", false},
		{"732 829 320", false}, // callers strip spaces first
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := account.ValidSIREN(tt.in); got != tt.want {
				t.Errorf("ValidSIREN(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidVATNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"FR44732829320", true},
		{"FR00732829320", false}, // wrong key
		{"FR45732829320", false}, // wrong key
		{"FR44732829321", false}, // SIREN fails Luhn
		{"FR4473282932", false},  // too short for France
		{"FR447328293200", false},
		{"FRAB732829320", true}, // alphanumeric keys are not computed from the SIREN
		{"DE123456789", true},
		{"BE0123456789", true},
		{"fr44732829320", false}, // callers upper-case first
		{"F44732829320", false},
		{"DE1", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := account.ValidVATNumber(tt.in); got != tt.want {
				t.Errorf("ValidVATNumber(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
