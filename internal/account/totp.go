package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238 TOTP uses HMAC-SHA1; authenticator apps expect it
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 defaults that every authenticator app supports).
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
	totpSkew   = 1 // accept one step before and after
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret, base32 encoded.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// TOTPCode computes the code of a step.
func TOTPCode(secret string, step int64) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimSpace(secret)))
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000), nil
}

// TOTPStep returns the step number of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// VerifyTOTP checks code at now and returns the matching step (0 when it does not match).
// Steps at or before lastStep are refused, so a code is never accepted twice.
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) int64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0
	}
	cur := TOTPStep(now)
	for d := -totpSkew; d <= totpSkew; d++ {
		s := cur + int64(d)
		if s <= lastStep {
			continue
		}
		want, err := TOTPCode(secret, s)
		if err == nil && hmac.Equal([]byte(want), []byte(code)) {
			return s
		}
	}
	return 0
}

// TOTPURL is the otpauth:// URL that authenticator apps scan.
func TOTPURL(issuer, email, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	return "otpauth://totp/" + url.PathEscape(issuer+":"+email) + "?" + v.Encode()
}
