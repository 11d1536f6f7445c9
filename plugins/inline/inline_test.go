package inline

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	_ "github.com/mimo2api/mimo2api/plugins/selector"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

var (
	pngData = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01one")
	png2    = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02two")
	gifData = []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00")
	wavData = []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00")
)

// fixture is a loaded stage in front of a simulator.
type fixture struct {
	sim  *sim.Server
	host *plugintest.Host
	st   *Media
}

func newFixture(t *testing.T, with string) *fixture {
	t.Helper()
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	h := plugintest.NewHost(t)
	h.Set.UpstreamURL = srv.URL
	if with == "" {
		with = `{"settle":"0s"}`
	}
	return &fixture{sim: s, host: h, st: plugintest.Load[*Media](t, h, ID, with)}
}

func (f *fixture) account() *plugin.Account { return f.host.Pool.Accounts()[0] }

// seen is what the rest of the chain saw.
type seen struct {
	query  string
	medias []map[string]any
	calls  int
}

// run handles a request with the given messages and model and records what next saw.
func (f *fixture) run(t *testing.T, ctx context.Context, acct *plugin.Account, model string, msgs ...plugin.Message) (*plugin.Exchange, *seen, error) {
	t.Helper()
	ex := plugintest.NewExchange("/v1/chat/completions", "{}")
	ex.Request = &plugin.Request{Model: model, Messages: msgs}
	ex.Account = acct
	var s seen
	err := f.st.Handle(ctx, ex, func(ctx context.Context, ex *plugin.Exchange) error {
		s.calls++
		s.query = mimo.Flatten(ex.Request.Messages)
		raws, _ := upstream.MultiMedias.Get(ex)
		for _, raw := range raws {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("descriptor %s: %v", raw, err)
			}
			s.medias = append(s.medias, m)
		}
		return plugintest.Reply(plugin.Event{Kind: plugin.EventText, Text: "ok"})(ctx, ex)
	})
	return ex, &s, err
}

func user(parts ...plugin.Part) plugin.Message {
	return plugin.Message{Role: plugin.RoleUser, Parts: parts}
}

func text(s string) plugin.Part { return plugin.Part{Kind: plugin.PartText, Text: s} }

func image(mt string, b []byte) plugin.Part {
	return plugin.Part{Kind: plugin.PartImage, MIME: mt, Data: b}
}

func file(name, mt string, b []byte) plugin.Part {
	return plugin.Part{Kind: plugin.PartFile, Name: name, MIME: mt, Data: b}
}

func TestImageUploaded(t *testing.T) {
	f := newFixture(t, "")
	msgs := []plugin.Message{user(text("What is this?"), image("image/png", pngData))}
	ex, s, err := f.run(t, t.Context(), f.account(), "mimo-v2.5", msgs...)
	if err != nil {
		t.Fatal(err)
	}
	if s.query != "user: What is this? [image 1]" {
		t.Errorf("query = %q", s.query)
	}
	ups := f.sim.Uploads()
	if len(ups) != 1 || len(s.medias) != 1 {
		t.Fatalf("%d uploads, %d descriptors", len(ups), len(s.medias))
	}
	m := s.medias[0]
	if m["mediaType"] != "image" || m["fileUrl"] != ups[0].ResourceURL || m["url"] != ups[0].ParseID || ups[0].ParseModel != "mimo-v2.5" {
		t.Errorf("descriptor %v for upload %+v", m, ups[0])
	}
	if ex.Request.Messages[0].Parts[1].Kind != plugin.PartImage {
		t.Error("the request's messages were not restored after the chain")
	}
	if _, ok := upstream.MultiMedias.Get(ex); ok {
		t.Error("upstream.MultiMedias left set after the chain")
	}
}

func TestPlaceholdersAndOrder(t *testing.T) {
	f := newFixture(t, "")
	msgs := []plugin.Message{
		{Role: plugin.RoleSystem, Parts: []plugin.Part{text("be brief")}},
		user(image("image/png", pngData), text("and"), image("image/jpg", gifData)),
		plugin.TextMessage(plugin.RoleAssistant, "Two images."),
		user(text("again"), image("", pngData), file("dir/notes.md", "text/markdown", []byte("# notes")),
			file("", "application/pdf", []byte("%PDF-1.7\n\x00\x01")), file("[x]\n.txt", "", []byte("plain"))),
	}
	_, s, err := f.run(t, t.Context(), f.account(), "mimo-v2.5", msgs...)
	if err != nil {
		t.Fatal(err)
	}
	want := "system: be brief\nuser: [image 1] and [image 2]\nassistant: Two images.\n" +
		"user: again [image 1] [file 1: notes.md] [file 2: file.pdf] [file 3: x.txt]"
	if s.query != want {
		t.Errorf("query:\n%s\nwant:\n%s", s.query, want)
	}
	var got [][2]any
	for _, m := range s.medias {
		got = append(got, [2]any{m["mediaType"], m["name"]})
	}
	ups := f.sim.Uploads()
	wantMedia := [][2]any{{"image", ups[0].FileName}, {"image", ups[1].FileName}, {"file", "notes.md"}, {"file", "file.pdf"}, {"file", "x.txt"}}
	if diff := cmp.Diff(wantMedia, got); diff != "" {
		t.Errorf("descriptors (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(ups[1].FileName, ".gif") {
		t.Errorf("the gif labelled image/jpg was uploaded as %q; its bytes decide", ups[1].FileName)
	}
}

func TestSameImageUploadedOnce(t *testing.T) {
	f := newFixture(t, "")
	history := []plugin.Message{user(text("look"), image("image/png", pngData))}
	for turn := range 3 {
		_, s, err := f.run(t, t.Context(), f.account(), "mimo-v2.5", history...)
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		if len(s.medias) != 1 {
			t.Fatalf("turn %d sent %d descriptors", turn, len(s.medias))
		}
		history = append(history, plugin.TextMessage(plugin.RoleAssistant, "a cat"), user(text("more?")))
	}
	if n := len(f.sim.Uploads()); n != 1 {
		t.Errorf("%d uploads over three turns, want 1", n)
	}
	// Another account uploads its own copy.
	other := &plugin.Account{ID: "1002", UserID: "1002", ServiceToken: "test-service-token-0002", PH: "test-ph-0002=="}
	if _, _, err := f.run(t, t.Context(), other, "mimo-v2.5", history...); err != nil {
		t.Fatal(err)
	}
	if ups := f.sim.Uploads(); len(ups) != 2 || ups[1].UserID != "1002" {
		t.Errorf("uploads = %d; the second account must upload with its own cookies", len(ups))
	}
}

func TestRetryOnAnotherAccountSeesMedia(t *testing.T) {
	f := newFixture(t, "")
	accts := []*plugin.Account{
		{ID: "a", UserID: "1", ServiceToken: "tok-1", PH: "ph-1"},
		{ID: "b", UserID: "2", ServiceToken: "tok-2", PH: "ph-2"},
	}
	f.host.Pool = data.NewPool(accts, data.PoolOptions{})
	sel := plugintest.Load[plugin.Stage](t, f.host, "select.round_robin", "")
	ex := plugintest.NewExchange("/", "{}")
	ex.Request = &plugin.Request{Model: "mimo-v2.5", Messages: []plugin.Message{user(image("image/png", pngData))}}
	var queries []string
	var medias []int
	err := sel.Handle(t.Context(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		return f.st.Handle(ctx, ex, func(ctx context.Context, ex *plugin.Exchange) error {
			queries = append(queries, mimo.Flatten(ex.Request.Messages))
			m, _ := upstream.MultiMedias.Get(ex)
			medias = append(medias, len(m))
			if len(queries) == 1 {
				return &plugin.Error{Status: 503, Code: plugin.CodeOverloaded, Retryable: true, Message: "busy"}
			}
			return plugintest.Reply()(ctx, ex)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"user: [image 1]", "user: [image 1]"}, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 1}, medias); diff != "" {
		t.Errorf("descriptors per attempt (-want +got):\n%s", diff)
	}
	if ups := f.sim.Uploads(); len(ups) != 2 || ups[0].UserID == ups[1].UserID {
		t.Errorf("want one upload per account, got %d", len(ups))
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name   string
		model  string
		part   plugin.Part
		status int
		msg    string
	}{
		{"bmp", "mimo-v2.5", image("image/bmp", []byte("BM\x00\x00\x00\x00")), 400, "unsupported media type image/bmp"},
		{"svg", "mimo-v2.5", image("image/svg+xml", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")), 400, "unsupported media type"},
		{"fake png", "mimo-v2.5", image("image/png", []byte("hello")), 400, "not a valid png image"},
		{"audio on a text model", "mimo-v2.5-pro", plugin.Part{Kind: plugin.PartAudio, MIME: "audio/wav", Data: wavData}, 400, "needs an omni model"},
		{"ogg audio", "mimo-v2-omni", plugin.Part{Kind: plugin.PartAudio, MIME: "audio/ogg", Data: []byte("OggS\x00")}, 400, "unsupported media type audio/ogg"},
		{"zip", "mimo-v2.5", file("a.zip", "application/zip", []byte("PK\x03\x04\x00\x00")), 400, "unsupported media type application/zip"},
		{"video", "mimo-v2.5", file("a.mp4", "video/mp4", []byte("\x00\x00\x00\x18ftypmp42")), 400, "unsupported media type video/mp4"},
		{"too large", "mimo-v2.5", image("image/png", append(pngData, make([]byte, 100)...)), 413, "larger than 64 bytes"},
		{"private URL", "mimo-v2.5", plugin.Part{Kind: plugin.PartImage, URL: "http://127.0.0.1/x.png"}, 400, "image URL refused: address 127.0.0.1 is not public"},
		{"metadata URL", "mimo-v2.5", plugin.Part{Kind: plugin.PartFile, URL: "http://169.254.169.254/latest/meta-data"}, 400, "file URL refused: address 169.254.169.254 is not public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, `{"settle":"0s","max_bytes":64}`)
			_, s, err := f.run(t, t.Context(), f.account(), tt.model, user(text("hi"), tt.part))
			e, ok := errors.AsType[*plugin.Error](err)
			if !ok || e.Status != tt.status || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("err = %v, want %d containing %q", err, tt.status, tt.msg)
			}
			if s.calls != 0 || len(f.sim.Uploads()) != 0 {
				t.Errorf("next called %d times, %d uploads", s.calls, len(f.sim.Uploads()))
			}
		})
	}
}

func TestAudioOnOmni(t *testing.T) {
	f := newFixture(t, "")
	_, s, err := f.run(t, t.Context(), f.account(), "mimo-v2-omni", user(plugin.Part{Kind: plugin.PartAudio, MIME: "audio/x-wav", Data: wavData}))
	if err != nil {
		t.Fatal(err)
	}
	if s.query != "user: [audio 1]" || len(s.medias) != 1 || s.medias[0]["mediaType"] != "audio" || s.medias[0]["audioTrackUrl"] != s.medias[0]["fileUrl"] {
		t.Errorf("query %q descriptors %v", s.query, s.medias)
	}
}

func TestFetchedURL(t *testing.T) {
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(gifData)
	}))
	t.Cleanup(img.Close)
	f := newFixture(t, `{"settle":"0s","allow_private":true}`)
	_, s, err := f.run(t, t.Context(), f.account(), "mimo-v2.5", user(plugin.Part{Kind: plugin.PartImage, URL: img.URL + "/cat?sig=1"}))
	if err != nil {
		t.Fatal(err)
	}
	ups := f.sim.Uploads()
	if len(ups) != 1 || string(ups[0].Data) != string(gifData) || !strings.HasSuffix(ups[0].FileName, ".gif") || s.query != "user: [image 1]" {
		t.Errorf("uploads %+v query %q", ups, s.query)
	}
}

func TestNoMediaPassesThrough(t *testing.T) {
	f := newFixture(t, "")
	ex, s, err := f.run(t, t.Context(), nil, "mimo-v2.5", plugin.TextMessage(plugin.RoleUser, "hi"))
	if err != nil || s.calls != 1 || s.query != "user: hi" || s.medias != nil {
		t.Fatalf("err %v calls %d query %q", err, s.calls, s.query)
	}
	if _, ok := upstream.MultiMedias.Get(ex); ok {
		t.Error("MultiMedias set without media")
	}
}

func TestNoAccount(t *testing.T) {
	f := newFixture(t, "")
	_, _, err := f.run(t, t.Context(), nil, "mimo-v2.5", user(image("image/png", pngData)))
	if e := plugin.AsError(err); e.Code != plugin.CodeInternal || !strings.Contains(e.Err.Error(), "after the selector") {
		t.Fatalf("err = %v", err)
	}
}

func TestTooManyParts(t *testing.T) {
	f := newFixture(t, `{"settle":"0s","max_parts":2}`)
	_, _, err := f.run(t, t.Context(), f.account(), "m", user(image("image/png", pngData), image("image/png", png2), image("image/gif", gifData)))
	if e := plugin.AsError(err); e.Status != 400 || !strings.Contains(e.Message, "too many media parts: 3") {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelled(t *testing.T) {
	f := newFixture(t, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, s, err := f.run(t, ctx, f.account(), "m", user(image("image/png", pngData)))
	if !errors.Is(err, context.Canceled) || s.calls != 0 {
		t.Fatalf("err = %v, calls = %d", err, s.calls)
	}
}

func TestUploadFailure(t *testing.T) {
	f := newFixture(t, "")
	bad := &plugin.Account{ID: "x", UserID: "x", ServiceToken: "", PH: "p"} // incomplete cookies: 401
	_, _, err := f.run(t, t.Context(), bad, "m", user(image("image/png", pngData)))
	if e := plugin.AsError(err); e.Code != plugin.CodeUpstreamAuth || !e.Retryable {
		t.Fatalf("err = %v", err)
	}
}

func TestConfig(t *testing.T) {
	h := plugintest.NewHost(t)
	h.Set.UpstreamURL = "http://upstream.test"
	st := plugintest.Load[*Media](t, h, ID, `{"allow_hosts":["img.internal"],"cache_ttl":"10m"}`)
	if st.MaxBytes != 20<<20 || st.Timeout.Std() != DefaultTimeout || st.CacheTTL.Std().Minutes() != 10 ||
		st.CacheSize != DefaultCacheSize || st.MaxParts != DefaultMaxParts || st.BaseURL != "http://upstream.test" || st.opts.Settle != 0 {
		t.Errorf("defaults: %+v", st)
	}
	for _, bad := range []string{`{"nope":1}`, `{"base_url":"ftp://x"}`, `{"max_bytes":-1}`, `{"cache_ttl":"-1s"}`} {
		if _, err := plugin.Load(ID, []byte(bad), h); err == nil {
			t.Errorf("config %s accepted", bad)
		}
	}
}

func TestSpanAttributes(t *testing.T) {
	f := newFixture(t, "")
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	msgs := []plugin.Message{user(image("image/png", pngData), image("image/png", png2))}
	if _, _, err := f.run(t, t.Context(), f.account(), "m", msgs...); err != nil {
		t.Fatal(err)
	}
	ctx, span := tp.Tracer("test").Start(t.Context(), "stage")
	if _, _, err := f.run(t, ctx, f.account(), "m", msgs...); err != nil {
		t.Fatal(err)
	}
	span.End()
	got := map[string]int64{}
	for _, kv := range rec.Ended()[0].Attributes() {
		got[string(kv.Key)] = kv.Value.AsInt64()
		if s := kv.Value.Emit(); strings.Contains(s, "http") || strings.Contains(s, "PNG") {
			t.Errorf("attribute %s = %q shows a URL or content", kv.Key, s)
		}
	}
	want := map[string]int64{"inline.media.count": 2, "inline.media.uploads": 0, "inline.media.fetches": 0, "inline.media.cache_hits": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
}
