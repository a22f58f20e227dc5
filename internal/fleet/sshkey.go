package fleet

import (
	"crypto/rsa"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/itsgow/itsgow/internal/errs"
)

// NormalizeSSHKey checks an OpenSSH public key (one line of authorized_keys: type, base64,
// optional comment) and returns it normalised. It refuses private keys, several keys, unknown
// types and RSA keys under 2048 bits.
func NormalizeSSHKey(field, key string) (string, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return "", nil
	}
	bad := func(msg string) error { return errs.Fields(errs.FieldError{Field: field, Message: msg}) }
	if strings.Contains(key, "PRIVATE KEY") {
		return "", bad("is a private key: paste the public key (id_ed25519.pub), never the private one")
	}
	if strings.ContainsAny(key, "\r\n") {
		return "", bad("must be a single public key on one line")
	}
	if len(key) > 16<<10 {
		return "", bad("is too long")
	}
	pub, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(key))
	if err != nil || len(rest) > 0 || len(options) > 0 {
		return "", bad("is not an OpenSSH public key (ssh-ed25519, ecdsa-sha2-*, ssh-rsa)")
	}
	if ck, ok := pub.(ssh.CryptoPublicKey); ok {
		if r, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && r.N.BitLen() < 2048 {
			return "", bad("is an RSA key under 2048 bits")
		}
	}
	out := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		out += " " + comment
	}
	return out, nil
}
