package sim

import (
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"
)

// addBuiltins registers the built-in scenarios.
func (s *Server) addBuiltins() {
	fixed := func(rep Reply) Scenario { return func(*Received) Reply { return rep } }
	status := func(code int, body string) Scenario { return fixed(Reply{Status: code, Body: body}) }

	s.scenarios["plain"] = fixed(Reply{Frames: plainFrames()})
	s.scenarios["echo"] = echo
	s.scenarios["reasoning"] = fixed(Reply{Frames: reasoningFrames()})
	s.scenarios["tool_call"] = fixed(Reply{Frames: toolCallFrames()})
	s.scenarios["tool_result"] = toolResult
	s.scenarios["agent"] = agent
	s.scenarios["agent_namespace"] = agentNamespace
	s.scenarios["error_event"] = fixed(Reply{Frames: []Frame{
		DialogID("8170797"), ErrorEvent("服务器繁忙，请稍后再试"), Finish(),
	}})
	s.scenarios["empty"] = fixed(Reply{Frames: []Frame{DialogID("8170797"), Message(""), Finish()}})
	s.scenarios["http401"] = status(http.StatusUnauthorized, UnauthorizedBody)
	s.scenarios["http429"] = status(http.StatusTooManyRequests, `{"code":429,"msg":"too many requests"}`)
	s.scenarios["http500"] = status(http.StatusInternalServerError, `{"code":500,"msg":"internal server error"}`)
	s.scenarios["http503"] = status(http.StatusServiceUnavailable, `{"code":503,"msg":"service unavailable"}`)
	s.scenarios["cut"] = fixed(Reply{
		Frames:   Text("Hello", " there", ", this answer", " never ends"),
		CutAfter: 5, // dialogId, empty message and three deltas
	})
	s.scenarios["slow"] = fixed(Reply{Frames: plainFrames(), Drip: s.drip})
	s.scenarios["large"] = func(*Received) Reply { return Reply{Frames: Text(largeDeltas()...)} }
	s.scenarios["too_long"] = fixed(Reply{Frames: Text(TooLongText[:12], TooLongText[12:])})
}

// plainFrames is the plain answer of the protocol reference: "Hello there!"
// after a webSearch native marker, with a (citation:1) marker, usage 12/3/15.
func plainFrames() []Frame {
	return []Frame{
		DialogID("8170797"),
		Message(""),
		Message("webSearch"),
		Message("Hello"),
		Message(" there(citation:1)!"),
		Usage(12, 3),
		Finish(),
	}
}

// reasoningFrames split the <think> tag across frames, with NUL bytes after
// both tags; the answer is "The answer is 4.".
func reasoningFrames() []Frame {
	return []Frame{
		DialogID("30193626"),
		Message("<thi"),
		Message("nk>\x00Let me add 2 and 2"),
		Message(".</think>\x00The answer"),
		Message(" is 4."),
		{Event: "usage", Data: `{"promptTokens":20,"completionTokens":14,"totalTokens":34}`},
		Finish(),
	}
}

// toolCallFrames carry a MiMoML get_weather call split across frames.
func toolCallFrames() []Frame {
	return []Frame{
		DialogID("42"),
		Message("I'll check.\n<|MiM"),
		Message("oML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北"),
		Message("京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>"),
		{Event: "usage", Data: `{"promptTokens":410,"completionTokens":60,"totalTokens":470}`},
		Finish(),
	}
}

// echo answers with the last line of the query, four characters per delta,
// so whitespace lands on delta edges unchanged.
func echo(req *Received) Reply {
	line := strings.TrimRight(req.Query, "\r\n")
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	return Reply{Frames: Text(chunkRunes(line, 4)...)}
}

// toolResult answers "The tool said: <text>" when a tool: line follows the
// last user: line of the query, and calls get_weather otherwise. The text is
// the last such line without "tool:" and its [tool_result id=...] tag.
func toolResult(req *Received) Reply {
	text, ok := lastToolResult(req.Query)
	if !ok {
		return Reply{Frames: toolCallFrames()}
	}
	return Reply{Frames: Text(chunkRunes("The tool said: "+text, 8)...)}
}

func lastToolResult(query string) (string, bool) {
	lines := strings.Split(query, "\n")
	start := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "user:") {
			start = i + 1
		}
	}
	at := -1
	for i := start; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "tool:") {
			at = i
		}
	}
	if at < 0 {
		return "", false
	}
	text := strings.TrimSpace(strings.TrimPrefix(lines[at], "tool:"))
	switch {
	case strings.HasPrefix(text, "<|MiMoML|tool_result"):
		// The MiMoML form spans lines: <|MiMoML|tool_result call_id="…">\ncontent\n</|MiMoML|tool_result>
		rest := strings.Join(lines[at:], "\n")
		if i := strings.Index(rest, ">"); i >= 0 {
			rest = rest[i+1:]
		}
		if j := strings.Index(rest, "</|MiMoML|tool_result>"); j >= 0 {
			rest = rest[:j]
		}
		text = strings.TrimSpace(rest)
	case strings.HasPrefix(text, "[tool_result"):
		if i := strings.IndexByte(text, ']'); i >= 0 {
			text = strings.TrimSpace(text[i+1:])
		}
	}
	return text, true
}

// chunkRunes splits s into pieces of at most n runes.
func chunkRunes(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end, count := 0, 0
		for end < len(s) && count < n {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
			count++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// largeDeltas returns 256 deltas of 4 KiB each: 1 MiB of ASCII text.
var largeDeltas = sync.OnceValue(func() []string {
	const size, count = 4 << 10, 256
	line := "The quick brown fox jumps over the lazy dog. "
	text := strings.Repeat(line, size*count/len(line)+1)[:size*count]
	out := make([]string, count)
	for i := range out {
		out[i] = text[i*size : (i+1)*size]
	}
	return out
})
