package mimo

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01pixels")

// sleeps records the pauses an upload asks for, without sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// front puts handler overrides in front of a simulator: an override that returns false lets the
// simulator answer.
func front(t *testing.T, opts sim.Options, override func(w http.ResponseWriter, r *http.Request) bool) (*sim.Server, *Client) {
	t.Helper()
	s := sim.New(opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if override != nil && override(w, r) {
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return s, &Client{BaseURL: srv.URL, HTTP: srv.Client()}
}

func TestUploadImage(t *testing.T) {
	var putCookies, putCT []string
	var mu sync.Mutex
	s, c := front(t, sim.Options{}, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			mu.Lock()
			putCookies = append(putCookies, r.Header.Get("Cookie"))
			putCT = append(putCT, r.Header.Get("Content-Type"))
			mu.Unlock()
		}
		return false
	})
	var sl sleeps
	m, err := c.UploadWith(t.Context(), testAccount(), UploadFile{Name: "ignored.png", MIME: "image/jpeg", Data: pngBytes, Model: "mimo-v2.5-pro"},
		UploadOptions{Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	ups := s.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads", len(ups))
	}
	up := ups[0]
	sum := md5.Sum(pngBytes)
	if !up.Put || up.ContentType != "application/octet-stream" || !bytes.Equal(up.Data, pngBytes) ||
		up.FileContentMD5 != hex.EncodeToString(sum[:]) || up.Parsed != 1 || up.ParseModel != "mimo-v2.5-pro" || up.UserID != "1001" {
		t.Errorf("upstream saw put=%v type=%q md5=%q parsed=%d model=%q user=%q", up.Put, up.ContentType, up.FileContentMD5, up.Parsed, up.ParseModel, up.UserID)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}\.jpg$`).MatchString(m.Name) || up.FileName != m.Name {
		t.Errorf("name = %q, declared %q; want <hex>.jpg", m.Name, up.FileName)
	}
	want := Media{MediaType: "image", FileURL: up.ResourceURL, Name: m.Name, Size: len(pngBytes), Status: "completed",
		ObjectName: up.ObjectName, TokenUsage: 106, URL: up.ParseID}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("media (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{DefaultSettle}, sl.got()); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if putCookies[0] != "" || putCT[0] != "application/octet-stream" {
		t.Errorf("PUT cookie %q type %q: the storage must get no cookies", putCookies[0], putCT[0])
	}
	var raw map[string]any
	if err := json.Unmarshal(m.Raw(), &raw); err != nil || raw["compressedVideoUrl"] != "" || raw["audioTrackUrl"] != "" || raw["url"] != up.ParseID {
		t.Errorf("raw = %s (%v)", m.Raw(), err)
	}
}

func TestUploadKinds(t *testing.T) {
	tests := []struct {
		name                string
		file                UploadFile
		wantType, wantName  string
		wantTokens          int
		audioTrack, hexName bool
	}{
		{"text file keeps its name", UploadFile{Name: "dir/notes.md", MIME: "text/markdown", Data: []byte("# hello world!")},
			"file", "notes.md", 4, false, false},
		{"unnamed text file", UploadFile{MIME: "text/plain", Data: []byte("abc")}, "file", "file.txt", 1, false, false},
		{"pdf", UploadFile{Name: `C:\x\report.pdf`, MIME: "application/pdf", Data: []byte("%PDF-1.7\x00\x01")}, "file", "report.pdf", 106, false, false},
		{"mp3", UploadFile{Name: "a.mp3", MIME: "audio/mpeg", Data: []byte("ID3\x00\x01")}, "audio", ".mp3", 106, true, true},
		{"wav", UploadFile{MIME: "audio/x-wav", Data: []byte("RIFF\x00\x01WAVE")}, "audio", ".wav", 106, true, true},
		{"webp", UploadFile{MIME: "image/webp", Data: []byte("RIFF\x00\x01WEBPVP8")}, "image", ".webp", 106, false, true},
		{"video", UploadFile{MIME: "video/mp4", Data: []byte("\x00\x00\x00\x18ftypmp42")}, "video", ".mp4", 106, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := front(t, sim.Options{}, nil)
			var sl sleeps
			m, err := c.UploadWith(t.Context(), testAccount(), tt.file, UploadOptions{Sleep: sl.sleep, Settle: -1})
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != tt.wantType || m.TokenUsage != tt.wantTokens || m.Size != len(tt.file.Data) {
				t.Errorf("type %q tokens %d size %d, want %q %d %d", m.MediaType, m.TokenUsage, m.Size, tt.wantType, tt.wantTokens, len(tt.file.Data))
			}
			if tt.hexName && (len(m.Name) != 32+len(tt.wantName) || !strings.HasSuffix(m.Name, tt.wantName)) ||
				!tt.hexName && m.Name != tt.wantName {
				t.Errorf("name = %q, want %q", m.Name, tt.wantName)
			}
			if (m.AudioTrackURL == m.FileURL) != tt.audioTrack {
				t.Errorf("audioTrackUrl = %q, fileUrl = %q", m.AudioTrackURL, m.FileURL)
			}
			if ups := s.Uploads(); len(ups) != 1 || ups[0].FileName != m.Name || ups[0].ParseModel != DefaultUploadModel {
				t.Errorf("uploads = %+v", ups)
			}
			if n := len(sl.got()); n != 0 {
				t.Errorf("%d sleeps with settle disabled", n)
			}
		})
	}
}

func TestUploadSignatureRetry(t *testing.T) {
	tests := []struct {
		name     string
		rejects  int // PUTs rejected before the storage accepts
		wantErr  bool
		wantGens int
	}{
		{"once", 1, false, 2},
		{"twice", 2, false, 3},
		{"always", 100, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			puts := 0
			s, c := front(t, sim.Options{}, func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPut {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				puts++
				if puts > tt.rejects {
					return false
				}
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>Signature Does Not Match</Message></Error>`))
				return true
			})
			acct := testAccount()
			m, err := c.UploadWith(t.Context(), acct, UploadFile{MIME: "image/png", Data: pngBytes, Model: "m"}, UploadOptions{Sleep: (&sleeps{}).sleep})
			ups := s.Uploads()
			if len(ups) != tt.wantGens {
				t.Errorf("%d genUploadInfo calls, want %d", len(ups), tt.wantGens)
			}
			noSecrets(t, err)
			if tt.wantErr {
				e, ok := errors.AsType[*plugin.Error](err)
				if !ok || e.Code != plugin.CodeUpstream || !e.Retryable || !strings.Contains(e.Message, "signature") {
					t.Fatalf("err = %v; want a retryable upstream (not credential) error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			last := ups[len(ups)-1]
			if m.ObjectName != last.ObjectName || !last.Put || last.Parsed != 1 {
				t.Errorf("media object %q, last upload %+v", m.ObjectName, last)
			}
		})
	}
}

func TestUploadParseRetries(t *testing.T) {
	tests := []struct {
		name       string
		failures   int    // parse calls answered with answer before the simulator answers
		answer     string // failing answer
		status     int
		wantSleeps []time.Duration
		wantCode   plugin.Code
		wantStatus int
	}{
		{"succeeds on the third attempt", 2, `{"code":1,"msg":"processing","data":null}`, 200,
			[]time.Duration{2 * time.Second, 2 * time.Second, DefaultSettle}, "", 0},
		{"server errors are retried", 1, `oops`, 502,
			[]time.Duration{2 * time.Second, DefaultSettle}, "", 0},
		{"gives up after five", 100, `{"code":0,"msg":"success","data":{}}`, 200,
			[]time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}, plugin.CodeUpstream, 502},
		{"empty file is not retried", 100, `{"code":6002,"msg":"empty"}`, 200, nil, plugin.CodeInvalidRequest, 400},
		{"credentials are not retried", 100, `{"code":401,"msg":"login"}`, 401, nil, plugin.CodeUpstreamAuth, 503},
		{"auth envelope is not retried", 100, `{"code":401,"msg":"login"}`, 200, nil, plugin.CodeUpstreamAuth, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			_, c := front(t, sim.Options{}, func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/resource/parse") {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls > tt.failures {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.answer))
				return true
			})
			var sl sleeps
			_, err := c.UploadWith(t.Context(), testAccount(), UploadFile{MIME: "image/png", Data: pngBytes, Model: "m"}, UploadOptions{Sleep: sl.sleep})
			if diff := cmp.Diff(tt.wantSleeps, sl.got()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			noSecrets(t, err)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := errors.AsType[*plugin.Error](err)
			if !ok || e.Code != tt.wantCode || e.Status != tt.wantStatus {
				t.Fatalf("err = %v, want %s %d", err, tt.wantCode, tt.wantStatus)
			}
		})
	}
}

func TestUploadUnauthorized(t *testing.T) {
	s, c := front(t, sim.Options{Accounts: []sim.Account{{UserID: "9", ServiceToken: "other", PH: "other"}}}, nil)
	_, err := c.UploadWith(t.Context(), testAccount(), UploadFile{MIME: "image/png", Data: pngBytes}, UploadOptions{Sleep: (&sleeps{}).sleep})
	e, ok := errors.AsType[*plugin.Error](err)
	if !ok || e.Code != plugin.CodeUpstreamAuth || !e.Retryable {
		t.Fatalf("err = %v, want upstream_auth", err)
	}
	noSecrets(t, err)
	if n := len(s.Uploads()); n != 0 {
		t.Errorf("%d uploads recorded", n)
	}
}

func TestUploadRefusals(t *testing.T) {
	_, c := front(t, sim.Options{}, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/genUploadInfo") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"code":10001,"msg":"quota"}`))
			return true
		}
		return false
	})
	opts := UploadOptions{Sleep: (&sleeps{}).sleep}
	_, err := c.UploadWith(t.Context(), testAccount(), UploadFile{MIME: "image/png"}, opts)
	if e := plugin.AsError(err); e.Status != 400 {
		t.Errorf("empty file: %v", err)
	}
	_, err = c.UploadWith(t.Context(), nil, UploadFile{MIME: "image/png", Data: pngBytes}, opts)
	if e := plugin.AsError(err); e.Code != plugin.CodeNoAccount {
		t.Errorf("no account: %v", err)
	}
	_, err = c.UploadWith(t.Context(), testAccount(), UploadFile{MIME: "image/png", Data: pngBytes}, opts)
	if e := plugin.AsError(err); e.Code != plugin.CodeUpstream || !strings.Contains(e.Message, "code 10001") {
		t.Errorf("refused upload: %v", err)
	}
}

func TestUploadCancelled(t *testing.T) {
	_, c := front(t, sim.Options{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	sleep := func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := c.UploadWith(ctx, testAccount(), UploadFile{MIME: "image/png", Data: pngBytes}, UploadOptions{Sleep: sleep})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := c.UploadWith(ctx, testAccount(), UploadFile{MIME: "image/png", Data: pngBytes}, UploadOptions{Sleep: sleep}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: err = %v", err)
	}
}

func TestExtension(t *testing.T) {
	tests := map[string]string{
		"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
		"audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav", "video/mpeg": "mpeg",
		"video/quicktime": "mov", "image/svg+xml": "svg", "Image/PNG; q=1": "png", "": "bin", "weird": "bin",
		"application/x-tar": "tar", "image/../../x": "bin",
	}
	for in, want := range tests {
		if got := extension(in); got != want {
			t.Errorf("extension(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUploadURLUsedVerbatim(t *testing.T) {
	const uri = "/store/a%20b%2Fc.png?GalaxyAccessKeyId=K&Expires=1&Signature=a%2Bb%2F%3D%3D"
	var mu sync.Mutex
	var gotURI, gotParse string
	_, c := front(t, sim.Options{}, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/genUploadInfo"):
			w.Write([]byte(`{"code":0,"data":{"uploadUrl":"http://` + r.Host + uri + `","resourceUrl":"https://cdn.test/o/x.png?a=1&b=2","objectName":"x.png"}}`))
		case r.Method == http.MethodPut:
			gotURI = r.RequestURI
		case strings.HasSuffix(r.URL.Path, "/parse"):
			gotParse = r.URL.Query().Get("fileUrl") + " " + r.URL.Query().Get("objectName")
			w.Write([]byte(`{"code":0,"data":{"id":"pid","tokenUsage":7}}`))
		default:
			return false
		}
		return true
	})
	m, err := c.UploadWith(t.Context(), testAccount(), UploadFile{MIME: "image/png", Data: pngBytes}, UploadOptions{Settle: -1})
	if err != nil {
		t.Fatal(err)
	}
	if gotURI != uri {
		t.Errorf("PUT request URI = %q, want %q", gotURI, uri)
	}
	if gotParse != "https://cdn.test/o/x.png?a=1&b=2 x.png" || m.TokenUsage != 7 || m.URL != "pid" || m.FileURL != "https://cdn.test/o/x.png?a=1&b=2" {
		t.Errorf("parse saw %q; media %+v", gotParse, m)
	}
}
