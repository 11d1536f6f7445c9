package mimo

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const (
	genUploadInfoPath = "/open-apis/resource/genUploadInfo"
	parsePath         = "/open-apis/resource/parse"
	// uploadUserAgent is the shorter User-Agent the web app sends on upload calls.
	uploadUserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"
	// maxUploadAnswer bounds the JSON answers of genUploadInfo and parse.
	maxUploadAnswer = 64 << 10
)

// Upload defaults (protocol A.7).
const (
	DefaultParseAttempts = 5
	DefaultParseBackoff  = 2 * time.Second
	DefaultSettle        = 3 * time.Second
	DefaultPutRetries    = 2
	// DefaultUploadModel is the parse model when UploadFile.Model is empty.
	DefaultUploadModel = "mimo-v2.5"
	// mediaTokenUsage is the tokenUsage assumed for media when parse does not report one.
	mediaTokenUsage = 106
)

// Media types of a multiMedias element.
const (
	MediaImage = "image"
	MediaVideo = "video"
	MediaAudio = "audio"
	MediaFile  = "file"
)

// UploadFile is one file to upload.
type UploadFile struct {
	// Name is the client's file name; only files (not images, audio or video) keep it, and
	// "file.txt" is used when it is empty.
	Name string
	// MIME is the file's media type; it decides the mediaType and the extension of media names.
	MIME string
	Data []byte
	// Model is the model the file is parsed for (the request's upstream model).
	Model string
}

// Media is one element of the upstream chat request's multiMedias array.
type Media struct {
	MediaType          string `json:"mediaType"`
	FileURL            string `json:"fileUrl"`
	CompressedVideoURL string `json:"compressedVideoUrl"`
	AudioTrackURL      string `json:"audioTrackUrl"`
	Name               string `json:"name"`
	Size               int    `json:"size"`
	Status             string `json:"status"`
	ObjectName         string `json:"objectName"`
	TokenUsage         int    `json:"tokenUsage"`
	// URL is the id parse answered.
	URL string `json:"url"`
}

// Raw returns m encoded, ready for ChatRequest.MultiMedias.
func (m Media) Raw() json.RawMessage {
	b, _ := json.Marshal(m) // cannot fail: strings and ints only
	return b
}

// UploadOptions tune the waits and retries of an upload. The zero value means the defaults.
type UploadOptions struct {
	// ParseAttempts bounds the parse calls (DefaultParseAttempts when 0).
	ParseAttempts int
	// ParseBackoff is the pause between parse attempts (DefaultParseBackoff when 0).
	ParseBackoff time.Duration
	// Settle is the pause after a successful parse while the upstream finishes processing the
	// file (DefaultSettle when 0; negative means none).
	Settle time.Duration
	// PutRetries is how many times the whole upload is repeated when the storage rejects the
	// presigned PUT with "Signature Does Not Match" (DefaultPutRetries when 0; negative means none).
	PutRetries int
	// Sleep pauses for d or until ctx is done; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o *UploadOptions) defaults() {
	if o.ParseAttempts <= 0 {
		o.ParseAttempts = DefaultParseAttempts
	}
	if o.ParseBackoff == 0 {
		o.ParseBackoff = DefaultParseBackoff
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	if o.PutRetries == 0 {
		o.PutRetries = DefaultPutRetries
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errSignature marks a presigned PUT the storage rejected; the whole upload may be repeated.
var errSignature = errors.New("the storage rejected the upload signature")

// Upload sends a file through the upstream's three-step upload with the account's cookies and
// returns its multiMedias descriptor. It uses the default UploadOptions.
func (c *Client) Upload(ctx context.Context, acct *plugin.Account, file UploadFile) (Media, error) {
	return c.UploadWith(ctx, acct, file, UploadOptions{})
}

// UploadWith is Upload with explicit options. The steps (protocol A.7): genUploadInfo with the
// file name and MD5; PUT of the bytes to the returned presigned uploadUrl, exactly as given and
// without cookies; parse, retried with a backoff until it answers an id; then a settle pause.
// Errors are *plugin.Error values: upstream_auth when the account's cookies are rejected, a
// retryable upstream error when the storage or parse fails (a signature mismatch is retried
// first and never blamed on the account's credentials), and 400 for an empty file.
func (c *Client) UploadWith(ctx context.Context, acct *plugin.Account, file UploadFile, o UploadOptions) (Media, error) {
	if acct == nil {
		return Media{}, &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodeNoAccount, Message: "no upstream account selected"}
	}
	if len(file.Data) == 0 {
		return Media{}, plugin.BadRequest("the file to upload is empty")
	}
	o.defaults()
	m := Media{
		MediaType: mediaType(file.MIME),
		Size:      len(file.Data),
		Status:    "completed",
	}
	m.Name = uploadName(m.MediaType, file)
	sum := md5.Sum(file.Data)
	md5hex := hex.EncodeToString(sum[:])

	var info uploadInfo
	for attempt := 0; ; attempt++ {
		var err error
		info, err = c.genUploadInfo(ctx, acct, m.Name, md5hex)
		if err != nil {
			return Media{}, err
		}
		err = c.put(ctx, info.UploadURL, file.Data)
		if err == nil {
			break
		}
		if !errors.Is(err, errSignature) || attempt >= max(o.PutRetries, 0) {
			return Media{}, err
		}
	}
	m.FileURL, m.ObjectName = info.ResourceURL, info.ObjectName
	if m.MediaType == MediaAudio {
		m.AudioTrackURL = info.ResourceURL
	}

	model := file.Model
	if model == "" {
		model = DefaultUploadModel
	}
	id, tokens, err := c.parse(ctx, acct, info, model, &o)
	if err != nil {
		return Media{}, err
	}
	m.URL = id
	switch {
	case tokens.Exists():
		m.TokenUsage = int(tokens.Int())
	case m.MediaType != MediaFile:
		m.TokenUsage = mediaTokenUsage
	}
	if o.Settle > 0 {
		if err := o.Sleep(ctx, o.Settle); err != nil {
			return Media{}, err
		}
	}
	return m, nil
}

// mediaType maps a MIME type to the multiMedias mediaType.
func mediaType(mimeType string) string {
	major, _, _ := strings.Cut(strings.ToLower(mimeType), "/")
	switch major {
	case "image":
		return MediaImage
	case "video":
		return MediaVideo
	case "audio":
		return MediaAudio
	}
	return MediaFile
}

// uploadName is "<random hex>.<ext>" for media, and the client's base name for files.
func uploadName(kind string, file UploadFile) string {
	if kind == MediaFile {
		name := file.Name
		if i := strings.LastIndexAny(name, `/\`); i >= 0 {
			name = name[i+1:]
		}
		name = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, name)
		if len(name) > 200 {
			name = truncate(name, 200-len(path.Ext(name))) + path.Ext(name)
		}
		if name == "" || name == "." || name == ".." {
			name = "file.txt"
		}
		return name
	}
	return NewID() + "." + extension(file.MIME)
}

// extension derives a file extension from a media type's subtype.
func extension(mimeType string) string {
	mt, _, _ := strings.Cut(strings.ToLower(mimeType), ";")
	_, sub, _ := strings.Cut(strings.TrimSpace(mt), "/")
	switch sub {
	case "jpeg", "pjpeg":
		return "jpg"
	case "mpeg", "mp3":
		if strings.HasPrefix(mt, "audio/") {
			return "mp3"
		}
		return "mpeg"
	case "x-wav", "wave", "vnd.wave":
		return "wav"
	case "quicktime":
		return "mov"
	case "svg+xml":
		return "svg"
	}
	sub = strings.TrimPrefix(sub, "x-")
	if sub == "" || len(sub) > 10 || strings.IndexFunc(sub, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) >= 0 {
		return "bin"
	}
	return sub
}

type uploadInfo struct {
	UploadURL, ResourceURL, ObjectName string
}

// genUploadInfo asks for a presigned upload URL.
func (c *Client) genUploadInfo(ctx context.Context, acct *plugin.Account, name, md5hex string) (uploadInfo, error) {
	body, err := json.Marshal(map[string]string{"fileName": name, "fileContentMd5": md5hex})
	if err != nil {
		return uploadInfo{}, err
	}
	answer, err := c.apiCall(ctx, acct, genUploadInfoPath, nil, body)
	if err != nil {
		return uploadInfo{}, err
	}
	if code := gjson.GetBytes(answer, "code"); code.Int() != 0 || !code.Exists() {
		return uploadInfo{}, answerError("upload request", answer)
	}
	d := gjson.GetBytes(answer, "data")
	info := uploadInfo{d.Get("uploadUrl").String(), d.Get("resourceUrl").String(), d.Get("objectName").String()}
	if info.UploadURL == "" || info.ResourceURL == "" || info.ObjectName == "" {
		return uploadInfo{}, &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: "the upstream upload request answered without an upload URL"}
	}
	return info, nil
}

// put stores the bytes at the presigned URL. No cookies: the URL is a storage host's.
func (c *Client) put(ctx context.Context, uploadURL string, data []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(data))
	if err != nil {
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: "the upstream answered an invalid upload URL"}
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.noRedirect().Do(req)
	if err != nil {
		return transportError(ctx, err, "the upload storage could not be reached")
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // let the connection be reused
		resp.Body.Close()
		return nil
	}
	text := readErrorBody(resp)
	if resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ReplaceAll(strings.ToLower(text), " ", ""), "signaturedoesnotmatch") {
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: "the upload storage rejected the upload signature", Err: errSignature}
	}
	return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
		Message: fmt.Sprintf("the upload storage answered HTTP %d", resp.StatusCode),
		Err:     fmt.Errorf("mimo: upload PUT: HTTP %d: %s", resp.StatusCode, text)}
}

// parse asks the upstream to process the stored file, retrying until it answers an id. It returns
// the id and data.tokenUsage (which may be absent).
func (c *Client) parse(ctx context.Context, acct *plugin.Account, info uploadInfo, model string, o *UploadOptions) (string, gjson.Result, error) {
	q := url.Values{"fileUrl": {info.ResourceURL}, "objectName": {info.ObjectName}, "model": {model}}
	var last *plugin.Error
	for attempt := range o.ParseAttempts {
		if attempt > 0 {
			if err := o.Sleep(ctx, o.ParseBackoff); err != nil {
				return "", gjson.Result{}, err
			}
		}
		answer, err := c.apiCall(ctx, acct, parsePath, q, []byte("{}"))
		if err != nil {
			e, ok := errors.AsType[*plugin.Error](err)
			if !ok || e.Code == plugin.CodeUpstreamAuth || e.Code == plugin.CodePermission || e.Code == plugin.CodeRateLimited {
				return "", gjson.Result{}, err
			}
			last = e
			continue
		}
		code := gjson.GetBytes(answer, "code")
		id := gjson.GetBytes(answer, "data.id").String()
		switch {
		case code.Exists() && code.Int() == 0 && id != "":
			return id, gjson.GetBytes(answer, "data.tokenUsage"), nil
		case code.Int() == 6002:
			return "", gjson.Result{}, &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest,
				Message: "the upstream says the uploaded file is empty"}
		}
		last = answerError("file parse", answer)
		if last.Code == plugin.CodeUpstreamAuth || last.Code == plugin.CodePermission {
			return "", gjson.Result{}, last
		}
	}
	return "", gjson.Result{}, &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
		Message: fmt.Sprintf("the upstream could not parse the uploaded file after %d attempts", o.ParseAttempts), Err: last}
}

// apiCall POSTs body to an upload API path with the account's cookies and returns the answer of
// an HTTP 200 (not yet checked for its code).
func (c *Client) apiCall(ctx context.Context, acct *plugin.Account, apiPath string, q url.Values, body []byte) ([]byte, error) {
	resp, err := c.post(ctx, acct, apiPath, q, body, "application/json, text/plain, */*", uploadUserAgent)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxUploadAnswer))
	if err != nil {
		return nil, transportError(ctx, err, "the upstream answer could not be read")
	}
	return answer, nil
}

// answerError converts a JSON envelope with a non-zero code. Codes that look like HTTP statuses
// are classified like statuses, so a 401 envelope blames the account's credentials.
func answerError(step string, answer []byte) *plugin.Error {
	code := int(gjson.GetBytes(answer, "code").Int())
	var e *plugin.Error
	if code >= 400 && code <= 599 {
		e = statusClass(code)
	} else {
		e = &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: fmt.Sprintf("the upstream %s failed (code %d)", step, code)}
	}
	e.Err = fmt.Errorf("mimo: %s: %s", step, truncate(string(answer), maxErrorText))
	return e
}

// transportError reports a failed round trip: ctx's error once ctx is done, else a retryable
// upstream error. The cause keeps no URL (upload URLs carry signatures, API URLs the ph).
func transportError(ctx context.Context, err error, msg string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true, Message: msg, Err: err}
}

// noRedirect returns the HTTP client without redirects and cookie jar.
func (c *Client) noRedirect() *http.Client {
	hc := http.DefaultClient
	if c.HTTP != nil {
		hc = c.HTTP
	}
	nr := *hc
	nr.CheckRedirect = useLastResponse
	nr.Jar = nil
	return &nr
}
