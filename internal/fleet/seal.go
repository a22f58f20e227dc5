package fleet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts secrets at rest (BMC passwords, root passwords waiting to be shown) with
// AES-256-GCM under a key from the configuration (fleet.secrets_key_file). A sealed value is
// "v1:" + base64(nonce | ciphertext); the key id is not stored, so rotating the key means
// re-sealing (documented in docs/fleet.md).
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives the AES key from key material of at least 16 bytes (SHA-256 of it, so a
// passphrase or 32 random bytes both work).
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) < 16 {
		return nil, errors.New("fleet secrets key: at least 16 bytes")
	}
	sum := sha256.Sum256(key)
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts s; the empty secret seals to "".
func (k *Sealer) Seal(s Secret) (string, error) {
	if s == "" {
		return "", nil
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out := k.aead.Seal(nonce, nonce, []byte(string(s)), nil)
	return "v1:" + base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrUnseal is a sealed value that does not open with the configured key.
var ErrUnseal = errors.New("sealed secret does not open with the configured key (fleet.secrets_key_file changed?)")

// Open decrypts a sealed value.
func (k *Sealer) Open(sealed string) (Secret, error) {
	if sealed == "" {
		return "", nil
	}
	b64, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", ErrUnseal
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	ns := k.aead.NonceSize()
	if err != nil || len(raw) < ns {
		return "", ErrUnseal
	}
	plain, err := k.aead.Open(nil, raw[:ns], raw[ns:], nil)
	if err != nil {
		return "", ErrUnseal
	}
	return Secret(plain), nil
}

// newPassword makes a random password of 20 characters from an alphabet without look-alikes.
func newPassword() Secret {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return Secret(b)
}
