package conf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-kratos/kratos/v2/config/file"
	"github.com/go-kratos/kratos/v2/encoding"
	_ "github.com/go-kratos/kratos/v2/encoding/json" // registers the json codec
	_ "github.com/go-kratos/kratos/v2/encoding/yaml" // registers the yaml codec
)

// Load reads the configuration at path (a file, or a directory whose files are merged in name
// order, later files replacing what earlier ones set), decodes it strictly and applies
// environment overrides from getenv (os.Getenv when nil). It reads through kratos' file source
// and codecs but starts no file watcher: reloads are explicit (SIGHUP, admin API) and always
// start from a fresh load.
func Load(path string, getenv func(string) string) (*Bootstrap, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	kvs, err := file.NewSource(path).Load()
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	merged := map[string]any{}
	for _, kv := range kvs {
		codec := encoding.GetCodec(kv.Format)
		if codec == nil {
			continue // not a configuration file (README, backups ...)
		}
		var m map[string]any
		if err := codec.Unmarshal(kv.Value, &m); err != nil {
			return nil, fmt.Errorf("config %s: %w", kv.Key, err)
		}
		merge(merged, m)
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	bc, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := bc.ApplyEnv(getenv); err != nil {
		return nil, err
	}
	bc.Defaults()
	bc.Source = path
	return bc, nil
}

// merge copies src into dst: nested maps merge, everything else (lists included) is replaced.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// Decode strictly decodes a JSON configuration.
func Decode(raw []byte) (*Bootstrap, error) {
	var bc Bootstrap
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&bc); err != nil {
		return nil, err
	}
	return &bc, nil
}

// ApplyEnv applies the MIMO_* environment overrides.
func (bc *Bootstrap) ApplyEnv(getenv func(string) string) error {
	if v := getenv("MIMO_HTTP_ADDR"); v != "" {
		bc.Server.Addr = v
	}
	if v := getenv("MIMO_UPSTREAM_URL"); v != "" {
		bc.Upstream.BaseURL = v
		bc.Upstream.Demo = false
	}
	if v := getenv("MIMO_API_KEYS"); v != "" {
		bc.Auth.APIKeys = splitList(v)
	}
	if v := getenv("MIMO_DATA_DIR"); v != "" {
		bc.Data.Dir = v
	}
	if v := getenv("MIMO_ADMIN_KEY"); v != "" {
		bc.Admin.Key = v
	}
	if v := getenv("MIMO_DEMO"); v != "" {
		bc.Upstream.Demo = v == "1" || strings.EqualFold(v, "true")
	}
	if v := strings.TrimSpace(getenv("MIMO_ACCOUNTS")); v != "" {
		var accts []Account
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&accts); err != nil {
			// Never echo the value: it holds cookies.
			return errors.New(`MIMO_ACCOUNTS must be a JSON array of {"user_id","service_token","xiaomichatbot_ph"} objects`)
		}
		for i, a := range accts {
			if a.UserID == "" || a.ServiceToken == "" || a.PH == "" {
				return fmt.Errorf("MIMO_ACCOUNTS[%d]: user_id, service_token and xiaomichatbot_ph are all required", i)
			}
		}
		bc.Accounts = accts
		bc.Upstream.Demo = false
	}
	return nil
}

// Defaults fills in unset values.
func (bc *Bootstrap) Defaults() {
	if bc.Server.Addr == "" {
		bc.Server.Addr = "127.0.0.1:8080"
	}
	if bc.Server.MaxBodyBytes <= 0 {
		bc.Server.MaxBodyBytes = 32 << 20
	}
	if bc.Upstream.BaseURL == "" {
		bc.Upstream.BaseURL = "https://aistudio.xiaomimimo.com"
	}
	if bc.Data.Dir == "" {
		bc.Data.Dir = "data"
	}
	for i := range bc.Accounts {
		bc.Accounts[i] = bc.Accounts[i].trimmed()
	}
}

// FallbackModels are the MiMo web models plugins default to when the configuration names none
// and discovery has not answered yet.
var FallbackModels = []string{"mimo-v2.5-pro", "mimo-v2.5", "mimo-v2-flash", "mimo-v2-omni"}

// ModelList returns the static model list, or FallbackModels.
func (bc *Bootstrap) ModelList() []string {
	if len(bc.Models) > 0 {
		return bc.Models
	}
	return FallbackModels
}

func (a Account) trimmed() Account {
	unq := func(s string) string { return strings.Trim(strings.TrimSpace(s), `"`) }
	return Account{UserID: unq(a.UserID), ServiceToken: unq(a.ServiceToken), PH: unq(a.PH)}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
