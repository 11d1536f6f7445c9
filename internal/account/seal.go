package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SealedPrefix marks a sealed value.
const SealedPrefix = "enc:v1:"

// KeyEnv is the environment variable holding the base64 encoded 32-byte sealing key.
const KeyEnv = "MIMO_SECRET_KEY"

// KeyFile is the name of the key file created in the data directory when KeyEnv is unset.
const KeyFile = "secret.key"

// Sealer encrypts secrets at rest with AES-256-GCM.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("account: the sealing key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// DecodeKey decodes a base64 key (standard or URL alphabet, padded or not).
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != 32 {
				return nil, fmt.Errorf("account: %s must encode 32 bytes, got %d", KeyEnv, len(k))
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("account: %s is not valid base64", KeyEnv)
}

// LoadSealer returns the Sealer of the key in KeyEnv, or, when that is unset, of the key in
// dataDir/secret.key, which is created (mode 0600, random key) when missing. Back the key file
// up together with accounts.json: sealed values cannot be opened without it.
func LoadSealer(getenv func(string) string, dataDir string) (*Sealer, error) {
	if v := getenv(KeyEnv); v != "" {
		k, err := DecodeKey(v)
		if err != nil {
			return nil, err
		}
		return NewSealer(k)
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, 32)
		rand.Read(k) // never fails (Go 1.24+)
		enc := base64.StdEncoding.EncodeToString(k)
		if err := writeFileAtomic(path, []byte(enc+"\n")); err != nil {
			return nil, fmt.Errorf("account: creating %s: %w", path, err)
		}
		return NewSealer(k)
	}
	if err != nil {
		return nil, fmt.Errorf("account: reading the key file: %w", err)
	}
	k, err := DecodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("account: %s: %w", path, err)
	}
	return NewSealer(k)
}

// Seal encrypts plain into "enc:v1:<base64(nonce||ciphertext)>".
func (s *Sealer) Seal(plain string) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce) // never fails (Go 1.24+)
	out := s.aead.Seal(nonce, nonce, []byte(plain), nil)
	return SealedPrefix + base64.StdEncoding.EncodeToString(out)
}

// ErrOpen reports a sealed value that cannot be opened: a different key or a damaged value.
var ErrOpen = errors.New("account: a sealed value cannot be opened (wrong " + KeyEnv + " or damaged file)")

// Open decrypts a sealed value. A value without the prefix is returned as is, so that plaintext
// files can be migrated.
func (s *Sealer) Open(v string) (string, error) {
	rest, ok := strings.CutPrefix(v, SealedPrefix)
	if !ok {
		return v, nil
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", ErrOpen
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// IsSealed reports whether v is a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, SealedPrefix) }
