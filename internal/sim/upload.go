package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"
	"unicode/utf8"
)

// Upload is one file that went through the simulated upload pipeline:
// genUploadInfo, PUT to the returned uploadUrl, then resource/parse.
type Upload struct {
	ObjectName     string
	FileName       string // as declared to genUploadInfo
	FileContentMD5 string // as declared to genUploadInfo; "" when omitted
	UploadURL      string
	ResourceURL    string
	UserID         string

	Put         bool   // the PUT arrived
	ContentType string // of the PUT
	Data        []byte // the PUT body

	Parsed     int    // number of successful parse calls
	ParseModel string // model of the last parse call
	ParseID    string // data.id answered by parse
	TokenUsage int    // data.tokenUsage answered by parse
}

// mediaTokens is the tokenUsage parse reports for non-text files.
const mediaTokens = 106

func (s *Server) genUploadInfo(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	var req struct {
		FileName       string `json:"fileName"`
		FileContentMd5 string `json:"fileContentMd5"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, 400, "sim: invalid genUploadInfo body: "+err.Error())
		return
	}
	if req.FileName == "" {
		fail(w, http.StatusOK, 400, "fileName is required")
		return
	}
	name := newID() + safeExt(req.FileName)
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	sig := newID()
	up := &Upload{
		ObjectName:     name,
		FileName:       req.FileName,
		FileContentMD5: req.FileContentMd5,
		UploadURL: base + "/sim/upload/" + name + "?GalaxyAccessKeyId=SIM&Expires=" +
			strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + "&Signature=" + sig,
		ResourceURL: base + "/sim/resource/" + name,
		UserID:      account(r).UserID,
	}
	s.mu.Lock()
	s.uploads = append(s.uploads, up)
	s.objects[name] = up
	s.mu.Unlock()
	s.logf("sim: genUploadInfo object=%s", name)

	type info struct {
		UploadURL   string `json:"uploadUrl"`
		ResourceURL string `json:"resourceUrl"`
		ObjectName  string `json:"objectName"`
	}
	writeJSON(w, http.StatusOK, result{Msg: "success", Data: info{up.UploadURL, up.ResourceURL, name}})
}

// putObject stores the bytes of a presigned upload. The URL must be used
// exactly as genUploadInfo returned it (its Signature is checked).
func (s *Server) putObject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	up := s.objects[name]
	if up == nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	if want, _ := url.Parse(up.UploadURL); want.Query().Get("Signature") != r.URL.Query().Get("Signature") {
		http.Error(w, "Signature Does Not Match", http.StatusForbidden)
		return
	}
	up.Put, up.ContentType, up.Data = true, r.Header.Get("Content-Type"), body
	w.WriteHeader(http.StatusOK)
}

// getObject serves an uploaded file at its resourceUrl.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	up := s.objects[r.PathValue("name")]
	var data []byte
	if up != nil && up.Put {
		data = up.Data
	}
	s.mu.Unlock()
	if data == nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func (s *Server) parse(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	q := r.URL.Query()
	name, fileURL, model := q.Get("objectName"), q.Get("fileUrl"), q.Get("model")

	s.mu.Lock()
	defer s.mu.Unlock()
	up := s.objects[name]
	switch {
	case up == nil:
		fail(w, http.StatusOK, 404, "object not found")
		return
	case fileURL != up.ResourceURL:
		fail(w, http.StatusOK, 400, "fileUrl does not match objectName")
		return
	case model == "":
		fail(w, http.StatusOK, 400, "model is required")
		return
	case len(up.Data) == 0:
		fail(w, http.StatusOK, 6002, "file is empty")
		return
	}
	if up.ParseID == "" {
		up.ParseID = newID()
		up.TokenUsage = mediaTokens
		if isText(up.Data) {
			up.TokenUsage = (len(up.Data) + 3) / 4
		}
	}
	up.Parsed++
	up.ParseModel = model
	s.logf("sim: parse object=%s model=%s", name, model)

	type parsed struct {
		ID         string `json:"id"`
		TokenUsage int    `json:"tokenUsage"`
	}
	writeJSON(w, http.StatusOK, result{Msg: "success", Data: parsed{up.ParseID, up.TokenUsage}})
}

// safeExt returns the extension of name if it is short and alphanumeric.
func safeExt(name string) string {
	ext := path.Ext(name)
	if len(ext) < 2 || len(ext) > 10 {
		return ""
	}
	for _, c := range ext[1:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return ""
		}
	}
	return ext
}

func isText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}
