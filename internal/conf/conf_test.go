package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadShipped(t *testing.T) {
	bc, err := Load("../../configs", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(bc.Routes) == 0 || bc.Routes[0].Name != "openai-chat" {
		t.Fatalf("routes = %+v", bc.Routes)
	}
	if got := bc.Routes[0].Timeouts.FirstByte.Std(); got != 120*time.Second {
		t.Errorf("first_byte = %v", got)
	}
	if bc.Upstream.BaseURL != "https://aistudio.xiaomimimo.com" || len(bc.Models) != 0 || len(bc.ModelList()) == 0 {
		t.Errorf("defaults: %+v static %v fallback %v (the shipped config discovers models)", bc.Upstream, bc.Models, bc.ModelList())
	}
}

func TestStrictDecoding(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "config.yaml", "server:\n  adr: 127.0.0.1:1\n")
	_, err := Load(dir, env(nil))
	if err == nil || !strings.Contains(err.Error(), `unknown field "adr"`) {
		t.Fatalf("err = %v: a misspelt key must be an error", err)
	}
}

func TestDirectoryMergeReplacesLists(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "models: [a, b]\nserver:\n  addr: 127.0.0.1:1\n  max_body_bytes: 10\n")
	writeFile(t, dir, "b.yaml", "models: [c]\nserver:\n  addr: 127.0.0.1:2\n")
	writeFile(t, dir, "README.md", "not config")
	if err := os.Mkdir(filepath.Join(dir, "profiles"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "profiles"), "x.yaml", "models: [ignored]\n")
	bc, err := Load(dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(bc.Models, ",") != "c" || bc.Server.Addr != "127.0.0.1:2" || bc.Server.MaxBodyBytes != 10 {
		t.Fatalf("merged = %v %+v", bc.Models, bc.Server)
	}
}

func TestEnvOverrides(t *testing.T) {
	bc, err := Load("../../configs", env(map[string]string{
		"MIMO_HTTP_ADDR":    "0.0.0.0:9999",
		"MIMO_UPSTREAM_URL": "http://127.0.0.1:1234",
		"MIMO_API_KEYS":     " sk-a , sk-b ,,",
		"MIMO_DATA_DIR":     "/tmp/mimo",
		"MIMO_ACCOUNTS":     `[{"user_id":"1","service_token":"\"tok\"","xiaomichatbot_ph":"ph=="}]`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if bc.Server.Addr != "0.0.0.0:9999" || bc.Upstream.BaseURL != "http://127.0.0.1:1234" || bc.Data.Dir != "/tmp/mimo" {
		t.Errorf("overrides: %+v %+v %+v", bc.Server, bc.Upstream, bc.Data)
	}
	if strings.Join(bc.Auth.APIKeys, "|") != "sk-a|sk-b" {
		t.Errorf("keys = %q", bc.Auth.APIKeys)
	}
	if len(bc.Accounts) != 1 || bc.Accounts[0].ServiceToken != "tok" || bc.Accounts[0].PH != "ph==" {
		t.Errorf("accounts = %+v (quotes must be stripped)", bc.Accounts)
	}
}

func TestBadAccountsNeverEchoed(t *testing.T) {
	for _, v := range []string{`not json secret-cookie-value`, `[{"user_id":"1","service_token":"secret-cookie-value"}]`} {
		_, err := Load("../../configs", env(map[string]string{"MIMO_ACCOUNTS": v}))
		if err == nil {
			t.Fatalf("MIMO_ACCOUNTS=%q accepted", v)
		}
		if strings.Contains(err.Error(), "secret-cookie-value") {
			t.Errorf("the error echoes the cookie: %v", err)
		}
	}
}
