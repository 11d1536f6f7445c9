package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type uploadInfo struct {
	Code int `json:"code"`
	Data struct {
		UploadURL   string `json:"uploadUrl"`
		ResourceURL string `json:"resourceUrl"`
		ObjectName  string `json:"objectName"`
	} `json:"data"`
}

type parseResult struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data struct {
		ID         string `json:"id"`
		TokenUsage int    `json:"tokenUsage"`
	} `json:"data"`
}

func genUpload(t *testing.T, base, fileName string) uploadInfo {
	t.Helper()
	status, body := authed(t, "POST", base+"/open-apis/resource/genUploadInfo?"+phParam,
		[]byte(`{"fileName":"`+fileName+`","fileContentMd5":"abc"}`))
	var info uploadInfo
	if err := json.Unmarshal(body, &info); err != nil || status != 200 || info.Code != 0 {
		t.Fatalf("genUploadInfo: %d %s %v", status, body, err)
	}
	return info
}

func put(t *testing.T, u string, data []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func parseFile(t *testing.T, base, fileURL, object, model string) parseResult {
	t.Helper()
	q := url.Values{"fileUrl": {fileURL}, "objectName": {object}, "model": {model}, "xiaomichatbot_ph": {testPH}}
	status, body := authed(t, "POST", base+"/open-apis/resource/parse?"+q.Encode(), []byte("{}"))
	var res parseResult
	if err := json.Unmarshal(body, &res); err != nil || status != 200 {
		t.Fatalf("parse: %d %s %v", status, body, err)
	}
	return res
}

func TestUploadRoundTrip(t *testing.T) {
	s, ts := start(t, Options{})
	info := genUpload(t, ts.URL, "notes.txt")
	d := info.Data
	if !strings.HasPrefix(d.UploadURL, ts.URL+"/sim/upload/"+d.ObjectName+"?") ||
		d.ResourceURL != ts.URL+"/sim/resource/"+d.ObjectName || !strings.HasSuffix(d.ObjectName, ".txt") {
		t.Fatalf("upload info %+v", d)
	}
	data := []byte("hello, file")
	if status := put(t, d.UploadURL, data); status != 200 {
		t.Fatalf("PUT status %d", status)
	}
	res := parseFile(t, ts.URL, d.ResourceURL, d.ObjectName, "mimo-v2.5")
	if res.Code != 0 || !hexID.MatchString(res.Data.ID) || res.Data.TokenUsage != 3 {
		t.Fatalf("parse result %+v", res)
	}
	again := parseFile(t, ts.URL, d.ResourceURL, d.ObjectName, "mimo-v2.5")
	if again.Data != res.Data {
		t.Errorf("second parse %+v, want the same as %+v", again.Data, res.Data)
	}

	resp, err := http.Get(d.ResourceURL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("resource GET %q %v, want %q", got, err, data)
	}

	ups := s.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads", len(ups))
	}
	u := ups[0]
	gotUp := []any{u.ObjectName, u.FileName, u.FileContentMD5, u.UserID, u.Put, u.ContentType, string(u.Data), u.Parsed, u.ParseModel, u.ParseID}
	wantUp := []any{d.ObjectName, "notes.txt", "abc", testUser, true, "application/octet-stream", "hello, file", 2, "mimo-v2.5", res.Data.ID}
	if diff := cmp.Diff(wantUp, gotUp); diff != "" {
		t.Errorf("recorded upload (-want +got):\n%s", diff)
	}
	s.Reset()
	if n := len(s.Uploads()); n != 0 {
		t.Errorf("%d uploads after Reset", n)
	}
}

func TestUploadMediaTokens(t *testing.T) {
	_, ts := start(t, Options{})
	d := genUpload(t, ts.URL, "a.png").Data
	put(t, d.UploadURL, []byte{0x89, 'P', 'N', 'G', 0, 0xff})
	if res := parseFile(t, ts.URL, d.ResourceURL, d.ObjectName, "mimo-v2.5"); res.Data.TokenUsage != mediaTokens {
		t.Errorf("tokenUsage %d, want %d", res.Data.TokenUsage, mediaTokens)
	}
}

func TestUploadFailures(t *testing.T) {
	_, ts := start(t, Options{})
	d := genUpload(t, ts.URL, "x.txt").Data

	if status := put(t, strings.Replace(d.UploadURL, "Signature=", "Signature=0", 1), []byte("x")); status != 403 {
		t.Errorf("PUT with a wrong signature: status %d, want 403", status)
	}
	if status := put(t, ts.URL+"/sim/upload/missing", []byte("x")); status != 404 {
		t.Errorf("PUT to an unknown object: status %d, want 404", status)
	}
	tests := []struct {
		name, fileURL, object, model string
		code                         int
	}{
		{"not uploaded yet", d.ResourceURL, d.ObjectName, "mimo-v2.5", 6002},
		{"unknown object", d.ResourceURL, "nope", "mimo-v2.5", 404},
		{"fileUrl is the upload url", d.UploadURL, d.ObjectName, "mimo-v2.5", 400},
		{"no model", d.ResourceURL, d.ObjectName, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := parseFile(t, ts.URL, tt.fileURL, tt.object, tt.model); res.Code != tt.code {
				t.Errorf("code %d (%s), want %d", res.Code, res.Msg, tt.code)
			}
		})
	}
	status, body := authed(t, "POST", ts.URL+"/open-apis/resource/genUploadInfo?"+phParam, []byte(`{}`))
	if status != 200 || !strings.Contains(string(body), `"code":400`) {
		t.Errorf("genUploadInfo without fileName: %d %s", status, body)
	}
}

func TestConversations(t *testing.T) {
	s, ts := start(t, Options{})
	status, body := authed(t, "POST", ts.URL+"/open-apis/chat/conversation/save?"+phParam,
		[]byte(`{"conversationId":"c1","title":"新对话","type":"tts"}`))
	if status != 200 || string(body) != `{"code":0,"msg":"success","data":null}` {
		t.Errorf("save: %d %s", status, body)
	}
	status, body = authed(t, "POST", ts.URL+"/open-apis/chat/conversation/delete?"+phParam, []byte(`["c1","c2"]`))
	if status != 200 || string(body) != `{"code":0,"msg":"success","data":null}` {
		t.Errorf("delete: %d %s", status, body)
	}
	if status, _ := authed(t, "POST", ts.URL+"/open-apis/chat/conversation/delete?"+phParam, []byte(`{"id":"c1"}`)); status != 400 {
		t.Errorf("delete with an object body: status %d, want 400", status)
	}
	if diff := cmp.Diff([]SavedConversation{{"c1", "新对话", "tts"}}, s.SavedConversations()); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c1", "c2"}, s.DeletedConversations()); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
}

func TestBotConfig(t *testing.T) {
	_, ts := start(t, Options{})
	resp, err := http.Get(ts.URL + "/open-apis/bot/config") // no credentials needed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data struct {
			List []map[string]json.RawMessage `json:"modelConfigList"`
			Ng   []map[string]json.RawMessage `json:"modelConfigListNg"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || cfg.Code != 0 || cfg.Msg != "success" {
		t.Fatalf("status %d code %d msg %q", resp.StatusCode, cfg.Code, cfg.Msg)
	}
	ids := func(list []map[string]json.RawMessage) []string {
		var out []string
		for _, m := range list {
			var id string
			if err := json.Unmarshal(m["model"], &id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	if diff := cmp.Diff(Models(), ids(cfg.Data.Ng)); diff != "" {
		t.Errorf("modelConfigListNg ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Models()[:4], ids(cfg.Data.List)); diff != "" {
		t.Errorf("modelConfigList ids (-want +got):\n%s", diff)
	}
	defaults := 0
	for _, m := range cfg.Data.Ng {
		var e struct {
			Name       string `json:"name"`
			IsDefault  *bool  `json:"isDefault"`
			IsOmni     *bool  `json:"isOmni"`
			Generation struct {
				MaxTokens int `json:"maxTokens"`
			} `json:"generation"`
			Features struct {
				Thinking *bool `json:"thinking"`
			} `json:"features"`
		}
		raw, _ := json.Marshal(m)
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if e.Name == "" || e.IsDefault == nil || e.IsOmni == nil || e.Generation.MaxTokens <= 0 || e.Features.Thinking == nil {
			t.Errorf("incomplete entry %s", raw)
		}
		if e.IsDefault != nil && *e.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default models, want 1", defaults)
	}
}
