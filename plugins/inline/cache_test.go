package inline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func key(n byte) cacheKey { return cacheKey{account: "a", sum: [32]byte{n}} }

func TestCacheLRUAndTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCache(2, time.Minute)
	c.now = func() time.Time { return now }
	c.put(key(1), json.RawMessage(`1`))
	c.put(key(2), json.RawMessage(`2`))
	if _, ok := c.get(key(1)); !ok { // 1 becomes the most recent
		t.Fatal("1 missing")
	}
	c.put(key(3), json.RawMessage(`3`))
	if _, ok := c.get(key(2)); ok {
		t.Error("2 should have been evicted as least recently used")
	}
	if v, ok := c.get(key(1)); !ok || string(v) != "1" {
		t.Errorf("1 = %s, %v", v, ok)
	}
	if c.len() != 2 {
		t.Errorf("len = %d", c.len())
	}
	other := cacheKey{account: "b", sum: [32]byte{1}}
	if _, ok := c.get(other); ok {
		t.Error("the cache must be per account")
	}
	now = now.Add(time.Minute)
	if _, ok := c.get(key(1)); ok {
		t.Error("1 should have expired")
	}
	if c.len() != 1 {
		t.Errorf("expired entry kept: len = %d", c.len())
	}
	c.put(key(3), json.RawMessage(`33`)) // refresh
	now = now.Add(30 * time.Second)
	if v, ok := c.get(key(3)); !ok || string(v) != "33" {
		t.Errorf("3 = %s, %v", v, ok)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		kind     plugin.PartKind
		declared string
		file     string
		data     string
		model    string
		want     string
		err      string
	}{
		{"png", plugin.PartImage, "image/png", "", "\x89PNG\r\n\x1a\n", "m", "image/png", ""},
		{"jpeg by bytes", plugin.PartImage, "", "", "\xff\xd8\xff\xe0", "m", "image/jpeg", ""},
		{"webp", plugin.PartImage, "image/webp", "", "RIFF\x00\x00\x00\x00WEBPVP8 ", "m", "image/webp", ""},
		{"image file", plugin.PartFile, "image/gif", "a.gif", "GIF89a", "m", "image/gif", ""},
		{"text file", plugin.PartFile, "text/markdown", "a.md", "# hi", "m", "text/plain", ""},
		{"json file", plugin.PartFile, "application/json; charset=utf-8", "", `{"a":1}`, "m", "text/plain", ""},
		{"code with vendor type", plugin.PartFile, "application/x-go", "", "package main", "m", "text/plain", ""},
		{"octet-stream text", plugin.PartFile, "application/octet-stream", "", "just text", "m", "text/plain", ""},
		{"pdf by name", plugin.PartFile, "application/octet-stream", "r.pdf", "%PDF-1.4", "m", "application/pdf", ""},
		{"mp3", plugin.PartAudio, "audio/mpeg", "", "ID3\x03", "mimo-v2-omni", "audio/mpeg", ""},
		{"wav sniffed", plugin.PartAudio, "", "", "RIFF\x00\x00\x00\x00WAVEfmt ", "mimo-v2-omni", "audio/wav", ""},
		{"audio file on text model", plugin.PartFile, "audio/mp3", "", "ID3\x03", "mimo-v2.5", "", "needs an omni model"},
		{"binary", plugin.PartFile, "", "", "\x00\x01\x02\x03", "m", "", "unsupported media type application/octet-stream"},
		{"text as image", plugin.PartImage, "text/plain", "", "hello", "m", "", "unsupported media type text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := classify(tt.kind, tt.declared, tt.file, []byte(tt.data), tt.model)
			if tt.err != "" {
				if err == nil || err.Status != 400 || !strings.Contains(err.Message, tt.err) {
					t.Fatalf("classify = %q, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("classify = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
