package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// TokenID identifies an API token.
type TokenID int64

// Token is an API token as stored: only its hash is kept.
type Token struct {
	ID         TokenID
	AccountID  ID
	Name       string
	Prefix     string // first characters, shown to recognise it
	Hash       string
	Scopes     []Scope
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Active reports whether the token may be used at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// tokenPrefix marks itsgow tokens so that secret scanners can find leaked ones.
const tokenPrefix = "itg_"

// newSecret returns a random secret with a prefix, and its hash.
func newSecret(prefix string) (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("random: %w", err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret), nil
}

// HashSecret hashes a token or session secret for storage and lookup. The secrets carry 256
// random bits, so a fast hash is enough (no stretching needed).
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken tells an API token from garbage without touching the store.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, tokenPrefix) && len(s) == len(tokenPrefix)+43
}
