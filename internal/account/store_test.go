package account

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := testSealer(t)
	v := s.Seal(tok)
	if !IsSealed(v) || strings.Contains(v, tok) {
		t.Fatalf("sealed = %q", v)
	}
	if v == s.Seal(tok) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := s.Open(v)
	if err != nil || got != tok {
		t.Fatalf("open = %q, %v", got, err)
	}
	if got, err := s.Open("plain"); err != nil || got != "plain" {
		t.Errorf("plaintext passes through: %q, %v", got, err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(v); !errors.Is(err, ErrOpen) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := s.Open(SealedPrefix + "!!"); !errors.Is(err, ErrOpen) {
		t.Errorf("damaged value: %v", err)
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestLoadSealer(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	tests := []struct {
		name, env string
		wantErr   bool
	}{
		{"std", key, false},
		{"raw url", base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), false},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), true},
		{"not base64", "***", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSealer(func(string) string { return tt.env }, t.TempDir())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), tt.env) {
				t.Error("the error echoes the key")
			}
		})
	}
	t.Run("key file", func(t *testing.T) {
		dir := t.TempDir()
		noEnv := func(string) string { return "" }
		a, err := LoadSealer(noEnv, dir)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, KeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, %v", fi, err)
		}
		b, err := LoadSealer(noEnv, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := b.Open(a.Seal("x")); err != nil || got != "x" {
			t.Fatal("the key file is not reused")
		}
	})
}

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st := NewStore(dir, testSealer(t))
	if es, err := st.Load(); err != nil || len(es) != 0 {
		t.Fatalf("empty store = %v, %v", es, err)
	}
	c := Credentials{UserID: uid, ServiceToken: tok, PH: ph}
	if replaced, err := st.Put(Entry{Credentials: c}); err != nil || replaced {
		t.Fatalf("put = %v, %v", replaced, err)
	}
	if _, err := st.Put(Entry{Credentials: Credentials{UserID: "42", ServiceToken: "t2-token-value", PH: "ph2-value"}}); err != nil {
		t.Fatal(err)
	}
	c.ServiceToken = tok + "new"
	if replaced, err := st.Put(Entry{Credentials: c}); err != nil || !replaced {
		t.Fatalf("upsert = %v, %v", replaced, err)
	}
	if ok, err := st.SetDisabled("42", true); err != nil || !ok {
		t.Fatalf("disable = %v, %v", ok, err)
	}
	if ok, _ := st.SetDisabled("nobody", true); ok {
		t.Error("disabled an unknown account")
	}

	raw, err := os.ReadFile(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(tok)) || bytes.Contains(raw, []byte(ph)) || !bytes.Contains(raw, []byte(SealedPrefix)) {
		t.Fatalf("the file holds plaintext secrets:\n%s", raw)
	}
	fi, _ := os.Stat(st.Path())
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", fi.Mode())
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}

	es, err := NewStore(dir, testSealer(t)).Load()
	if err != nil || len(es) != 2 {
		t.Fatalf("reload = %v, %v", len(es), err)
	}
	if es[0].UserID != uid || es[0].ServiceToken.Reveal() != tok+"new" || es[0].PH.Reveal() != ph || es[0].AddedAt.IsZero() {
		t.Errorf("entry 0 = %v", es[0])
	}
	if !es[1].Disabled {
		t.Error("entry 1 lost its disabled flag")
	}
	if ok, err := st.Delete(uid); err != nil || !ok {
		t.Fatalf("delete = %v, %v", ok, err)
	}
	if es, _ := st.Load(); len(es) != 1 || es[0].UserID != "42" {
		t.Errorf("after delete: %v", es)
	}

	other, _ := NewSealer(bytes.Repeat([]byte{9}, 32))
	if _, err := NewStore(dir, other).Load(); !errors.Is(err, ErrOpen) {
		t.Errorf("load with the wrong key: %v", err)
	}
}
