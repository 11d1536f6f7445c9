package mimo2apicmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mimo2api/mimo2api/plugins/all"
)

func runCmd(args []string, env map[string]string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidate(t *testing.T) {
	code, out, errOut := runCmd([]string{"validate", "-conf", "../../../configs"}, map[string]string{"MIMO_API_KEYS": "sk-x"})
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("shipped config: code %d out %q err %q", code, out, errOut)
	}
	dir := t.TempDir()
	bad := "auth: {api_keys: [sk-x]}\nroutes:\n  - name: chat\n    method: POST\n    path: /v1/chat/completions\n    chain:\n      - use: auth.apikey\n      - use: upstream.mimo\n      - use: dialect.openai_chat\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd([]string{"validate", "-conf", dir}, nil)
	want := `route "chat": chain[2] (dialect.openai_chat): is a request stage: place it before the terminal upstream.mimo`
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("code %d err %q, want %q", code, errOut, want)
	}
}

func TestProfiles(t *testing.T) {
	if p, err := ConfigPath("configs", ""); err != nil || p != "configs" {
		t.Fatalf("default profile: %q %v", p, err)
	}
	if p, err := ConfigPath("configs", "default"); err != nil || p != "configs" {
		t.Fatalf("named default: %q %v", p, err)
	}
	for _, bad := range []string{"../etc", "a/b", ".."} {
		if _, err := ConfigPath("configs", bad); err == nil {
			t.Errorf("profile %q accepted", bad)
		}
	}
	if _, err := ConfigPath(t.TempDir(), "missing"); err == nil {
		t.Error("a missing profile must be an error")
	}
}

func TestVersionAndUnknown(t *testing.T) {
	if code, out, _ := runCmd([]string{"version"}, nil); code != 0 || !strings.HasPrefix(out, "mimo2api ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, errOut := runCmd([]string{"frobnicate"}, nil); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown: %d %q", code, errOut)
	}
}
