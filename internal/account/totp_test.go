package account_test

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/account"
)

// rfcSecret is the SHA-1 key of the RFC 6238 appendix B test vectors, base32 encoded as
// authenticator apps receive it.
var rfcSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))

func TestTOTPCodeRFC6238(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B gives 8 digits; itsgow uses the last 6 (the same truncation modulo 10^6).
	tests := []struct {
		unix int64
		rfc8 string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		t.Run(tt.rfc8, func(t *testing.T) {
			t.Parallel()
			step := account.TOTPStep(time.Unix(tt.unix, 0))
			if want := tt.unix / 30; step != want {
				t.Fatalf("TOTPStep(%d) = %d, want %d", tt.unix, step, want)
			}
			got, err := account.TOTPCode(rfcSecret, step)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.rfc8[2:]; got != want {
				t.Errorf("TOTPCode(step %d) = %q, want %q", step, got, want)
			}
			// Secrets are accepted in lower case and with spaces around them.
			lower, err := account.TOTPCode(" "+strings.ToLower(rfcSecret)+" ", step)
			if err != nil || lower != got {
				t.Errorf("TOTPCode(lower-case secret) = %q, %v; want %q", lower, err, got)
			}
		})
	}
	if step := account.TOTPStep(time.Unix(59, 0)); step != 1 {
		t.Errorf("TOTPStep(59s) = %d, want 1", step)
	}
}

func TestTOTPCodeBadSecret(t *testing.T) {
	t.Parallel()
	if _, err := account.TOTPCode("not base32!", 1); err == nil {
		t.Error("TOTPCode with a malformed secret: want an error")
	}
}

func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111109, 0) // step 37037036, 29 s into it
	cur := account.TOTPStep(now)
	code := func(step int64) string {
		c, err := account.TOTPCode(rfcSecret, step)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		code     string
		lastStep int64
		want     int64
	}{
		{"current step", code(cur), 0, cur},
		{"previous step (skew)", code(cur - 1), 0, cur - 1},
		{"next step (skew)", code(cur + 1), 0, cur + 1},
		{"two steps back", code(cur - 2), 0, 0},
		{"two steps ahead", code(cur + 2), 0, 0},
		{"spaces ignored", code(cur)[:3] + " " + code(cur)[3:], 0, cur},
		{"surrounding blanks ignored", " " + code(cur) + "\n", 0, cur},
		{"wrong code", wrongCode(code(cur-1), code(cur), code(cur+1)), 0, 0},
		{"too short", code(cur)[:5], 0, 0},
		{"too long", code(cur) + "0", 0, 0},
		{"empty", "", 0, 0},
		{"current step already used", code(cur), cur, 0},
		{"previous step at or before last step", code(cur - 1), cur - 1, 0},
		{"last step before it", code(cur), cur - 1, cur},
		{"next step after a used current step", code(cur + 1), cur, cur + 1},
		{"used step ahead refuses everything", code(cur + 1), cur + 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := account.VerifyTOTP(rfcSecret, tt.code, now, tt.lastStep); got != tt.want {
				t.Errorf("VerifyTOTP(%q, lastStep %d) = %d, want %d", tt.code, tt.lastStep, got, tt.want)
			}
		})
	}
}

// wrongCode returns a 6-digit code different from every code in avoid.
func wrongCode(avoid ...string) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := true
		for _, a := range avoid {
			ok = ok && c != a
		}
		if ok {
			return c
		}
	}
	panic("unreachable: four candidates, at most three codes to avoid")
}

func TestNewTOTPSecret(t *testing.T) {
	t.Parallel()
	a, err := account.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := account.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two secrets are equal: %q", a)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(a)
	if err != nil || len(key) != 20 {
		t.Errorf("secret %q decodes to %d bytes (%v), want 20", a, len(key), err)
	}
	if _, err := account.TOTPCode(a, 1); err != nil {
		t.Errorf("TOTPCode(new secret): %v", err)
	}
}

func TestTOTPURL(t *testing.T) {
	t.Parallel()
	got := account.TOTPURL("ITSGOW", "jeanne@example.fr", rfcSecret)
	want := "otpauth://totp/ITSGOW:jeanne@example.fr?algorithm=SHA1&digits=6&issuer=ITSGOW&period=30&secret=" + rfcSecret
	if got != want {
		t.Errorf("TOTPURL:\n got %s\nwant %s", got, want)
	}
}
