package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// maxBody bounds every request body the simulator reads.
const maxBody = 64 << 20

// Received records one chat call.
type Received struct {
	Path     string
	RawQuery string
	Header   http.Header
	Cookies  map[string]string

	MsgID          string
	ConversationID string
	Query          string
	Model          string

	EnableThinking  bool
	ReasoningEffort string
	WebSearchStatus string
	Temperature     *float64 // nil when the request omits it
	TopP            *float64 // nil when the request omits it

	MultiMedias []json.RawMessage
	Body        []byte

	// Scenario is the scenario that answered, or "" if the call was
	// rejected before one was chosen (bad credentials, bad body, unknown name).
	Scenario string
}

// A Scenario produces the response for one chat call.
type Scenario func(req *Received) Reply

// chatBody is the upstream chat request.
type chatBody struct {
	MsgID          string `json:"msgId"`
	ConversationID string `json:"conversationId"`
	Query          string `json:"query"`
	ModelConfig    struct {
		EnableThinking  bool     `json:"enableThinking"`
		WebSearchStatus string   `json:"webSearchStatus"`
		Model           string   `json:"model"`
		Temperature     *float64 `json:"temperature"`
		TopP            *float64 `json:"topP"`
		ReasoningEffort string   `json:"reasoning_effort"`
	} `json:"modelConfig"`
	MultiMedias []json.RawMessage `json:"multiMedias"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	rec := Received{
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Cookies:  cookieMap(r),
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	rec.Body = body
	if err != nil {
		s.record(rec)
		fail(w, http.StatusBadRequest, 400, "sim: reading body: "+err.Error())
		return
	}
	if !s.authorized(r) {
		s.record(rec)
		s.logf("sim: chat rejected: missing or wrong credentials")
		writeUnauthorized(w)
		return
	}
	var cb chatBody
	if err := json.Unmarshal(body, &cb); err != nil {
		s.record(rec)
		fail(w, http.StatusBadRequest, 400, "sim: invalid chat body: "+err.Error())
		return
	}
	rec.MsgID, rec.ConversationID, rec.Query = cb.MsgID, cb.ConversationID, cb.Query
	mc := cb.ModelConfig
	rec.Model, rec.EnableThinking, rec.ReasoningEffort = mc.Model, mc.EnableThinking, mc.ReasoningEffort
	rec.WebSearchStatus, rec.Temperature, rec.TopP = mc.WebSearchStatus, mc.Temperature, mc.TopP
	rec.MultiMedias = cb.MultiMedias
	if rec.MsgID == "" || rec.ConversationID == "" {
		s.record(rec)
		fail(w, http.StatusBadRequest, 400, "sim: msgId and conversationId are required")
		return
	}

	name := s.scenarioName(&rec)
	sc, ok := s.scenarios[name]
	if !ok {
		s.record(rec)
		msg := fmt.Sprintf("sim: unknown scenario %q (known: %s)", name, strings.Join(s.Scenarios(), ", "))
		s.logf("%s", msg)
		fail(w, http.StatusBadRequest, 400, msg)
		return
	}
	rec.Scenario = name
	s.record(rec)
	s.logf("sim: chat conversation=%s model=%s scenario=%s", rec.ConversationID, rec.Model, name)

	req := rec // the scenario gets its own copy of the recorded fields
	s.writeReply(w, r, sc(&req))
}

// scenarioName picks the scenario for a request: the last [sim:NAME]
// directive in the query, then MaxQueryChars, UserScenarios,
// DefaultScenario and finally "plain".
func (s *Server) scenarioName(rec *Received) string {
	if name, ok := directive(rec.Query); ok {
		return name
	}
	if n := s.opts.MaxQueryChars; n > 0 && utf8.RuneCountInString(rec.Query) > n {
		return "too_long"
	}
	if name, ok := s.opts.UserScenarios[rec.Cookies["userId"]]; ok {
		return name
	}
	if s.opts.DefaultScenario != "" {
		return s.opts.DefaultScenario
	}
	return "plain"
}

// directive returns NAME of the last well-formed [sim:NAME] in q.
func directive(q string) (string, bool) {
	const open = "[sim:"
	for {
		i := strings.LastIndex(q, open)
		if i < 0 {
			return "", false
		}
		rest := q[i+len(open):]
		if j := strings.IndexByte(rest, ']'); j > 0 && !strings.ContainsAny(rest[:j], " \t\r\n[") {
			return rest[:j], true
		}
		q = q[:i]
	}
}

// writeReply writes rep, flushing after every frame and stopping as soon as
// the client goes away.
func (s *Server) writeReply(w http.ResponseWriter, r *http.Request, rep Reply) {
	h := w.Header()
	for k, v := range rep.Header {
		h[k] = v
	}
	if rep.Status != 0 {
		writeBody(w, rep.Status, rep.Body)
		return
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return
	}

	ctx := r.Context()
	id := newID()
	var (
		buf   []byte
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i, f := range rep.Frames {
		if rep.CutAfter > 0 && i == rep.CutAfter {
			break
		}
		if i > 0 && rep.Drip > 0 {
			if timer == nil {
				timer = time.NewTimer(rep.Drip)
			} else {
				timer.Reset(rep.Drip)
			}
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		buf = appendFrame(buf[:0], id, f)
		if _, err := w.Write(buf); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if rep.CutAfter > 0 {
		// Abort without ending the chunked body: the client sees an unexpected EOF.
		panic(http.ErrAbortHandler)
	}
}

// appendFrame appends the wire form of f: id:, event: and data: lines with
// no space after the colon, then a blank line.
func appendFrame(b []byte, id string, f Frame) []byte {
	if f.Raw != "" {
		return append(b, f.Raw...)
	}
	b = append(b, "id:"...)
	b = append(b, id...)
	b = append(b, '\n')
	if f.Event != "" {
		b = append(b, "event:"...)
		b = append(b, f.Event...)
		b = append(b, '\n')
	}
	data := f.Data
	for {
		line, rest, more := strings.Cut(data, "\n")
		b = append(b, "data:"...)
		b = append(b, line...)
		b = append(b, '\n')
		if !more {
			break
		}
		data = rest
	}
	return append(b, '\n')
}
