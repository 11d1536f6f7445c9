package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ConfigPath is the upstream's model discovery endpoint.
const ConfigPath = "/open-apis/bot/config"

// FetchTimeout bounds one discovery call.
const FetchTimeout = 10 * time.Second

// maxConfigBody bounds the bot/config answer.
const maxConfigBody = 4 << 20

// modelConfig is the part of a bot/config model entry the catalog reads.
type modelConfig struct {
	Name       string `json:"name"`
	Model      string `json:"model"`
	IsDefault  bool   `json:"isDefault"`
	Generation struct {
		MaxTokens int `json:"maxTokens"`
	} `json:"generation"`
}

type configReply struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data struct {
		ModelConfigList   []modelConfig `json:"modelConfigList"`
		ModelConfigListNg []modelConfig `json:"modelConfigListNg"`
	} `json:"data"`
}

// Fetch calls GET baseURL/open-apis/bot/config without credentials and returns the announced
// models: modelConfigListNg (modelConfigList when that is empty), classified, with limits, and
// only the newest version series of each class. The call is bounded by FetchTimeout.
func Fetch(ctx context.Context, hc *http.Client, baseURL string) ([]Model, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	u := strings.TrimRight(baseURL, "/") + ConfigPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxConfigBody))
	if err != nil {
		return nil, fmt.Errorf("discovery: reading %s: %w", ConfigPath, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: %s answered HTTP %d", ConfigPath, resp.StatusCode)
	}
	return parseConfig(body)
}

// parseConfig decodes a bot/config answer into models.
func parseConfig(body []byte) ([]Model, error) {
	var r configReply
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("discovery: decoding %s: %w", ConfigPath, err)
	}
	if r.Code != 0 {
		return nil, fmt.Errorf("discovery: %s answered code %d", ConfigPath, r.Code)
	}
	entries := r.Data.ModelConfigListNg
	if len(entries) == 0 {
		entries = r.Data.ModelConfigList
	}
	seen := make(map[string]bool, len(entries))
	ms := make([]Model, 0, len(entries))
	for _, e := range entries {
		id := strings.TrimSpace(e.Model)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		m := Model{ID: id, Name: e.Name, Kind: Classify(id), Default: e.IsDefault}
		fill(&m, e.Generation.MaxTokens)
		ms = append(ms, m)
	}
	ms = newest(ms)
	if len(ms) == 0 {
		return nil, errors.New("discovery: " + ConfigPath + " announced no models")
	}
	return ms, nil
}

// fill sets a model's limits: the output limit from maxTokens when positive, and, for chat
// models, the rest from Limits.
func fill(m *Model, maxTokens int) {
	if m.Kind == KindChat {
		m.ContextWindow, m.MaxOutput = Limits(m.ID)
	}
	if maxTokens > 0 {
		m.MaxOutput = maxTokens
	}
}
