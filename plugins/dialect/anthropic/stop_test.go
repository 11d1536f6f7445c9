package anthropic

import (
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestStopper(t *testing.T) {
	tests := []struct {
		name    string
		seqs    []string
		deltas  []string
		want    string // the emitted text, deltas separated by |
		wantSeq string
	}{
		{"no sequences", nil, []string{"a", "b"}, "a|b", ""},
		{"in one delta", []string{"END"}, []string{"abcENDdef"}, "abc", "END"},
		{"split across deltas", []string{"END"}, []string{"abcE", "N", "Dxyz"}, "abc||", "END"},
		{"false prefix released", []string{"END"}, []string{"abcE", "Nx", "yz"}, "abc|ENx|yz", ""},
		{"prefix held until flush", []string{"END"}, []string{"abEN"}, "ab|EN", ""},
		{"earliest of several", []string{"zz", "b"}, []string{"abczz"}, "a", "b"},
		{"longest at same position", []string{"ab", "abc"}, []string{"xabcd"}, "x", "abc"},
		{"at start", []string{"x"}, []string{"xyz"}, "", "x"},
		{"overlapping prefix", []string{"aab"}, []string{"xa", "a", "a", "b!"}, "x||a|", "aab"},
		{"multibyte", []string{"。结束"}, []string{"好的。", "结", "束了"}, "好的||", "。结束"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stopper{seqs: tt.seqs}
			var out []string
			seq := ""
			for _, d := range tt.deltas {
				var o string
				o, seq = s.feed(d)
				out = append(out, o)
				if seq != "" {
					break
				}
			}
			if seq == "" {
				out = append(out, s.flush())
				if out[len(out)-1] == "" {
					out = out[:len(out)-1]
				}
			}
			if got := strings.Join(out, "|"); got != tt.want || seq != tt.wantSeq {
				t.Errorf("emitted %q seq %q, want %q %q", got, seq, tt.want, tt.wantSeq)
			}
		})
	}
}

// TestStopSequenceStopsConsuming checks that the dialect stops pulling events once a stop
// sequence matched, in both modes, so that the upstream call is abandoned.
func TestStopSequenceStopsConsuming(t *testing.T) {
	m := newMessages(t, `{}`)
	for _, stream := range []bool{true, false} {
		pulled := 0
		s := func(yield func(plugin.Event, error) bool) {
			for _, d := range []string{"Hello ", "ST", "OP", " never", " seen"} {
				pulled++
				if !yield(text(d), nil) {
					return
				}
			}
			t.Error("the stream was consumed to its end")
		}
		req := &plugin.Request{Model: "mimo-v2.5", Stream: stream, Stop: []string{"STOP"}}
		resp, body := render(t, m, req, s)
		if resp.StatusCode != 200 || pulled != 3 {
			t.Errorf("stream=%v: status %d, pulled %d events, want 3", stream, resp.StatusCode, pulled)
		}
		if strings.Contains(body, "never") || !strings.Contains(body, `"stop_sequence":"STOP"`) {
			t.Errorf("stream=%v: body %s", stream, body)
		}
	}
}

func TestMessageHook(t *testing.T) {
	m := newMessages(t, `{}`)
	for _, stream := range []bool{true, false} {
		var got []string
		ex := newExchange()
		ex.Request = &plugin.Request{Model: "claude-x", Stream: stream}
		ex.Response.Events = plugin.Events(reasoning("r"), text("hi"), call("call_1", "f", `{"a":1}`), usage(5, 6), finish(plugin.FinishToolCalls))
		MessageHook.Set(ex, func(msg []byte) { got = append(got, string(msg)) })
		writeExchange(t, m, ex)
		want := `{"id":"msg_` + testHex + `","type":"message","role":"assistant","model":"claude-x","content":[` +
			`{"type":"thinking","thinking":"r","signature":"` + signature([]byte("r")) + `"},{"type":"text","text":"hi"},` +
			`{"type":"tool_use","id":"call_1","name":"f","input":{"a":1}}],"stop_reason":"tool_use","stop_sequence":null,` +
			`"usage":{"input_tokens":5,"output_tokens":6}}`
		if len(got) != 1 || got[0] != want {
			t.Errorf("stream=%v: hook got %q\nwant %q", stream, got, want)
		}
	}
	// A failed answer is not handed to the hook.
	ex := newExchange()
	ex.Request = &plugin.Request{Model: "claude-x", Stream: true}
	ex.Response.Events = func(yield func(plugin.Event, error) bool) {
		if yield(text("a"), nil) {
			yield(plugin.Event{}, plugin.Errorf(502, plugin.CodeUpstream, "cut"))
		}
	}
	MessageHook.Set(ex, func([]byte) { t.Error("hook called for a failed answer") })
	writeExchange(t, m, ex)
}

func TestCollect(t *testing.T) {
	m := newMessages(t, `{}`)
	req := &plugin.Request{Model: "claude-x", Stop: []string{"!"}}
	got, err := m.Collect(req, plugin.Events(text("Hi!"), text(" more")))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"msg_` + testHex + `","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hi"}],` +
		`"stop_reason":"stop_sequence","stop_sequence":"!","usage":{"input_tokens":3,"output_tokens":1}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := m.Collect(req, plugin.ErrorStream(plugin.BadRequest("x"))); err == nil {
		t.Error("Collect hid the stream's error")
	}
}
