package discovery

import (
	"slices"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		id   string
		want Kind
	}{
		{"mimo-v2.5-pro", KindChat},
		{"mimo-v2.5-tts-voiceclone", KindTTS},
		{"MiMo-V2.5-ASR", KindASR},
		{"mimo-v2-omni", KindChat},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := Classify(tt.id); got != tt.want {
				t.Errorf("Classify(%q) = %s, want %s", tt.id, got, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		id   string
		want []int
	}{
		{"mimo-v2.5-pro", []int{2, 5}},
		{"mimo-v2-flash", []int{2}},
		{"mimo-v10.0.1", []int{10, 0, 1}},
		{"mimo-v2.-x", []int{2}},
		{"preview", nil},
		{"dev-model", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := version(tt.id); !slices.Equal(got, tt.want) {
				t.Errorf("version(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestNewest(t *testing.T) {
	var in []Model
	for _, id := range []string{"mimo-v2.5-pro", "mimo-v2-flash", "mimo-v2.5", "mimo-v10-mini", "mimo-v2.5-tts", "mimo-v2-tts", "custom", "mimo-v2.5-asr"} {
		in = append(in, Model{ID: id, Kind: Classify(id)})
	}
	var got []string
	for _, m := range newest(in) {
		got = append(got, m.ID)
	}
	want := []string{"mimo-v10-mini", "mimo-v2.5-tts", "custom", "mimo-v2.5-asr"}
	if !slices.Equal(got, want) {
		t.Errorf("newest = %v, want %v", got, want)
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		id       string
		ctx, out int
	}{
		{"mimo-v2.5-pro", 1048576, 131072},
		{"mimo-v2-pro", 1048576, 131072},
		{"mimo-v2.5", 1048576, 131072},
		{"mimo-v2-flash", 262144, 65536},
		{"mimo-v2-omni", 262144, 131072},
		{"other", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if c, o := Limits(tt.id); c != tt.ctx || o != tt.out {
				t.Errorf("Limits(%q) = %d, %d; want %d, %d", tt.id, c, o, tt.ctx, tt.out)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []Model
		wantErr bool
	}{
		{
			name: "ng list wins",
			body: `{"code":0,"data":{"modelConfigList":[{"model":"old-v1"}],"modelConfigListNg":[
				{"name":"Pro","model":"mimo-v2.5-pro","isDefault":true,"generation":{"maxTokens":65536}},
				{"model":"mimo-v2.5-pro"},
				{"model":"mimo-v2.5-tts","generation":{"maxTokens":8192}},
				{"model":""}]}}`,
			want: []Model{
				{ID: "mimo-v2.5-pro", Name: "Pro", Kind: KindChat, ContextWindow: 1048576, MaxOutput: 65536, Default: true},
				{ID: "mimo-v2.5-tts", Kind: KindTTS, MaxOutput: 8192},
			},
		},
		{
			name: "fallback to modelConfigList",
			body: `{"code":0,"data":{"modelConfigList":[{"model":"mimo-v2-flash"}]}}`,
			want: []Model{{ID: "mimo-v2-flash", Kind: KindChat, ContextWindow: 262144, MaxOutput: 65536}},
		},
		{name: "error code", body: `{"code":500,"msg":"x"}`, wantErr: true},
		{name: "empty", body: `{"code":0,"data":{}}`, wantErr: true},
		{name: "not json", body: `<html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
