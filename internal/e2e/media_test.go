package e2e

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/mimo2api/mimo2api/internal/conf"
	_ "github.com/mimo2api/mimo2api/plugins/inline"
)

// withMedia puts inline.media into the chat route, after the selector; uploads skip the
// upstream's settle pause.
func withMedia(bc *conf.Bootstrap) {
	for i := range bc.Routes {
		if bc.Routes[i].Name == "openai-chat" {
			bc.Routes[i].Chain = []conf.Entry{
				{Use: "auth.apikey"},
				{Use: "dialect.openai_chat"},
				{Use: "select.round_robin"},
				{Use: "inline.media", With: json.RawMessage(`{"settle":"0s"}`)},
				{Use: "upstream.mimo"},
			}
		}
	}
}

var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func imagePart(url string) openai.ChatCompletionContentPartUnionParam {
	return openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: url})
}

func pngDataURL() string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(tinyPNG)
}

func TestMediaImageDataURL(t *testing.T) {
	e := start(t, setup{mutate: withMedia})
	c := e.client()
	_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model: "mimo-v2.5",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("What is this?"), imagePart(pngDataURL())}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ups := e.sim.Uploads()
	if len(ups) != 1 || !ups[0].Put || string(ups[0].Data) != string(tinyPNG) || ups[0].ParseModel != "mimo-v2.5" {
		t.Fatalf("uploads = %+v", ups)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 || len(reqs[0].MultiMedias) != 1 {
		t.Fatalf("upstream chat requests %d", len(reqs))
	}
	var m struct{ MediaType, FileURL, ObjectName, URL string }
	if err := json.Unmarshal(reqs[0].MultiMedias[0], &m); err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "image" || m.FileURL != ups[0].ResourceURL || m.ObjectName != ups[0].ObjectName || m.URL != ups[0].ParseID {
		t.Errorf("multiMedias[0] = %s, upload %+v", reqs[0].MultiMedias[0], ups[0])
	}
	if reqs[0].Query != "user: What is this? [image 1]" {
		t.Errorf("query = %q", reqs[0].Query)
	}
}

func TestMediaSameImageUploadedOnce(t *testing.T) {
	e := start(t, setup{mutate: withMedia})
	c := e.client()
	history := []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("Look"), imagePart(pngDataURL())}),
	}
	for turn := range 3 {
		resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "mimo-v2.5", Messages: history})
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		history = append(history, openai.AssistantMessage(resp.Choices[0].Message.Content),
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("And now?"), imagePart(pngDataURL())}))
	}
	if n := len(e.sim.Uploads()); n != 1 {
		t.Errorf("the same image was uploaded %d times over three turns, want 1", n)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d upstream requests", len(reqs))
	}
	for i, r := range reqs {
		if len(r.MultiMedias) != 1 || string(r.MultiMedias[0]) != string(reqs[0].MultiMedias[0]) {
			t.Errorf("turn %d sent %d descriptors", i, len(r.MultiMedias))
		}
	}
	if !strings.Contains(reqs[2].Query, "user: And now? [image 1]") {
		t.Errorf("turn 3 query = %q", reqs[2].Query)
	}
}

func TestMediaRefused(t *testing.T) {
	tests := []struct {
		name string
		part openai.ChatCompletionContentPartUnionParam
		msg  string
	}{
		{"unsupported type", imagePart("data:image/bmp;base64," + base64.StdEncoding.EncodeToString([]byte("BM\x00\x00\x00\x00"))),
			"unsupported media type image/bmp"},
		{"loopback URL", imagePart("http://127.0.0.1/latest/secret.png"), "image URL refused: address 127.0.0.1 is not public"},
		{"zip file", openai.FileContentPart(openai.ChatCompletionContentPartFileFileParam{
			Filename: openai.String("a.zip"), FileData: openai.String("data:application/zip;base64," + base64.StdEncoding.EncodeToString([]byte("PK\x03\x04\x00\x00")))}),
			"unsupported media type application/zip"},
	}
	e := start(t, setup{mutate: withMedia})
	c := e.client()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
				Model: "mimo-v2.5",
				Messages: []openai.ChatCompletionMessageParamUnion{
					openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("Hi"), tt.part}),
				},
			})
			apiErr, ok := errors.AsType[*openai.Error](err)
			if !ok {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, tt.msg) {
				t.Errorf("status %d message %q, want 400 containing %q", apiErr.StatusCode, apiErr.Message, tt.msg)
			}
		})
	}
	if n, r := len(e.sim.Uploads()), len(e.sim.Requests()); n != 0 || r != 0 {
		t.Errorf("%d uploads and %d chat requests reached the upstream", n, r)
	}
}
