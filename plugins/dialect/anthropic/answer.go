package anthropic

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"github.com/mimo2api/mimo2api/internal/sse"
	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/tokens"
)

// blockKind is the type of a content block.
type blockKind uint8

const (
	blockText blockKind = iota + 1
	blockThinking
	blockToolUse
)

// block is one content block of the answer.
type block struct {
	kind blockKind
	// text is the text of a text block or the reasoning of a thinking block.
	text []byte
	// id, name and input describe a tool_use block; input is a JSON object.
	id, name, input string
}

// answer assembles one response from canonical events into content blocks. When enc is set
// (streaming), every change is also written as stream events as it happens, so that the
// accumulated stream equals the non-streaming Message.
type answer struct {
	m   *Messages
	req *plugin.Request
	hex string // 24 hex digits of the message and request ids
	enc *sse.Encoder
	buf []byte

	blocks []block
	open   bool // the last block is open
	tools  int  // tool_use blocks

	stop     stopper
	stopSeq  string // the sequence that stopped the answer
	finished bool   // an EventFinish arrived; later content is ignored
	finish   plugin.FinishReason
	usage    plugin.Usage
	input    int // estimated input tokens, -1 until computed
}

func (m *Messages) newAnswer(req *plugin.Request) *answer {
	return &answer{m: m, req: req, hex: m.id(), buf: make([]byte, 0, 512), stop: stopper{seqs: req.Stop}, input: -1}
}

// add applies one event. done reports that a stop sequence ended the answer: the caller must
// stop consuming the stream, which cancels the upstream call.
func (a *answer) add(ev plugin.Event) (done bool, err error) {
	switch ev.Kind {
	case plugin.EventText:
		if a.finished || ev.Text == "" {
			return false, nil
		}
		out, seq := a.stop.feed(ev.Text)
		if err := a.text(out); err != nil {
			return false, err
		}
		if seq != "" {
			a.stopSeq = seq
			return true, nil
		}
	case plugin.EventReasoning:
		if a.finished || ev.Text == "" {
			return false, nil
		}
		if err := a.flushText(); err != nil {
			return false, err
		}
		return false, a.thinking(ev.Text)
	case plugin.EventToolCall:
		if a.finished || ev.Call == nil {
			return false, nil
		}
		if err := a.flushText(); err != nil {
			return false, err
		}
		return false, a.toolUse(ev.Call)
	case plugin.EventUsage:
		if ev.Usage != nil {
			a.usage = *ev.Usage
		}
	case plugin.EventHeartbeat:
		if a.enc != nil {
			return false, a.ping()
		}
	case plugin.EventFinish:
		if !a.finished {
			a.finished, a.finish = true, ev.Finish
		}
	}
	return false, nil
}

// end closes the answer: held-back text is released (unless a stop sequence ended it), the
// open block is closed, and an answer without any block gets an empty text block.
func (a *answer) end() error {
	if err := a.flushText(); err != nil {
		return err
	}
	if len(a.blocks) == 0 {
		if err := a.start(block{kind: blockText}); err != nil {
			return err
		}
	}
	return a.closeBlock()
}

func (a *answer) text(t string) error {
	if t == "" {
		return nil
	}
	if !a.isOpen(blockText) {
		if err := a.closeBlock(); err != nil {
			return err
		}
		if err := a.start(block{kind: blockText}); err != nil {
			return err
		}
	}
	b := &a.blocks[len(a.blocks)-1]
	b.text = append(b.text, t...)
	if a.enc == nil {
		return nil
	}
	return a.delta(`{"type":"text_delta","text":`, t)
}

func (a *answer) thinking(t string) error {
	if !a.isOpen(blockThinking) {
		if err := a.closeBlock(); err != nil {
			return err
		}
		if err := a.start(block{kind: blockThinking}); err != nil {
			return err
		}
	}
	b := &a.blocks[len(a.blocks)-1]
	b.text = append(b.text, t...)
	if a.enc == nil {
		return nil
	}
	return a.delta(`{"type":"thinking_delta","thinking":`, t)
}

func (a *answer) toolUse(c *plugin.ToolCall) error {
	if err := a.closeBlock(); err != nil {
		return err
	}
	id := c.ID
	if id == "" {
		id = "toolu_" + a.hex + "_" + strconv.Itoa(a.tools)
	}
	a.tools++
	b := block{kind: blockToolUse, id: id, name: c.Name, input: toolInput(c.Arguments)}
	if err := a.start(b); err != nil {
		return err
	}
	if a.enc != nil {
		if err := a.delta(`{"type":"input_json_delta","partial_json":`, b.input); err != nil {
			return err
		}
	}
	return a.closeBlock()
}

// flushText emits the text held back by the stop sequence matcher.
func (a *answer) flushText() error {
	if a.stopSeq != "" {
		return nil
	}
	return a.text(a.stop.flush())
}

func (a *answer) isOpen(k blockKind) bool {
	return a.open && a.blocks[len(a.blocks)-1].kind == k
}

// start opens a new block.
func (a *answer) start(b block) error {
	a.blocks = append(a.blocks, b)
	a.open = true
	if a.enc == nil {
		return nil
	}
	a.buf = append(a.buf[:0], `{"type":"content_block_start","index":`...)
	a.buf = strconv.AppendInt(a.buf, int64(len(a.blocks)-1), 10)
	a.buf = append(a.buf, `,"content_block":`...)
	switch b.kind {
	case blockText:
		a.buf = append(a.buf, `{"type":"text","text":""}`...)
	case blockThinking:
		a.buf = append(a.buf, `{"type":"thinking","thinking":"","signature":""}`...)
	case blockToolUse:
		a.buf = append(a.buf, `{"type":"tool_use","id":`...)
		a.buf = dialectkit.AppendString(a.buf, b.id)
		a.buf = append(a.buf, `,"name":`...)
		a.buf = dialectkit.AppendString(a.buf, b.name)
		a.buf = append(a.buf, `,"input":{}}`...)
	}
	a.buf = append(a.buf, '}')
	return a.emit("content_block_start")
}

// closeBlock closes the open block; a thinking block gets its signature first.
func (a *answer) closeBlock() error {
	if !a.open {
		return nil
	}
	a.open = false
	if a.enc == nil {
		return nil
	}
	b := &a.blocks[len(a.blocks)-1]
	if b.kind == blockThinking {
		if err := a.delta(`{"type":"signature_delta","signature":`, signature(b.text)); err != nil {
			return err
		}
	}
	a.buf = append(a.buf[:0], `{"type":"content_block_stop","index":`...)
	a.buf = strconv.AppendInt(a.buf, int64(len(a.blocks)-1), 10)
	a.buf = append(a.buf, '}')
	return a.emit("content_block_stop")
}

// delta writes a content_block_delta for the last block; head opens the delta object up to the
// value, which is the JSON string of v.
func (a *answer) delta(head, v string) error {
	a.buf = append(a.buf[:0], `{"type":"content_block_delta","index":`...)
	a.buf = strconv.AppendInt(a.buf, int64(len(a.blocks)-1), 10)
	a.buf = append(a.buf, `,"delta":`...)
	a.buf = append(a.buf, head...)
	a.buf = dialectkit.AppendString(a.buf, v)
	a.buf = append(a.buf, "}}"...)
	return a.emit("content_block_delta")
}

// emit writes a.buf as the data of an event named name.
func (a *answer) emit(name string) error {
	return a.enc.Encode(sse.Event{Event: name, Data: a.buf})
}

// stopReason returns the Anthropic stop reason.
func (a *answer) stopReason() string {
	switch {
	case a.stopSeq != "":
		return "stop_sequence"
	case a.tools > 0:
		return "tool_use"
	case a.finish == plugin.FinishLength:
		return "max_tokens"
	case a.finish == plugin.FinishStopSequence:
		return "stop_sequence"
	}
	return "end_turn"
}

// inputTokens returns the upstream's prompt tokens, or the gateway's estimate.
func (a *answer) inputTokens() int {
	if a.usage.PromptTokens > 0 {
		return a.usage.PromptTokens
	}
	if a.input < 0 {
		a.input = tokens.Request(a.m.tok, a.req)
	}
	return a.input
}

// outputTokens returns the upstream's completion tokens, or an estimate over the answer's
// blocks when the upstream reported none or the answer was cut by a stop sequence.
func (a *answer) outputTokens() int {
	if a.usage.CompletionTokens > 0 && a.stopSeq == "" {
		return a.usage.CompletionTokens
	}
	if a.m.tok == nil {
		return 0
	}
	n := 0
	for i := range a.blocks {
		b := &a.blocks[i]
		if len(b.text) > 0 {
			n += a.m.tok.Count(string(b.text))
		}
		if b.kind == blockToolUse {
			n += a.m.tok.Count(b.name) + a.m.tok.Count(b.input)
		}
	}
	return n
}

// signature returns the opaque signature of a thinking block: a digest of its text. Clients
// send it back with the block; the gateway does not check it.
func signature(thinking []byte) string {
	h := sha256.New()
	h.Write([]byte("mimo2api.thinking.v1\x00"))
	h.Write(thinking)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
