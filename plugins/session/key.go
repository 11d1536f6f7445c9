package session

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
	"unicode"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// answerRunes bounds the start of an answer kept to recognise the client's copy of it.
const answerRunes = 64

// split returns the non-system messages and the system messages of msgs, in order.
func split(msgs []plugin.Message) (nonsys, sys []plugin.Message) {
	nonsys = make([]plugin.Message, 0, len(msgs))
	for _, m := range msgs {
		if m.Role == plugin.RoleSystem {
			sys = append(sys, m)
		} else {
			nonsys = append(nonsys, m)
		}
	}
	return nonsys, sys
}

// hasher hashes canonical messages: every field is written with its length, so distinct
// conversations cannot produce the same byte sequence.
type hasher struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
}

// newHasher returns a hasher seeded with the client's scope: its credential headers, so that
// two clients never share a conversation.
func newHasher(kind string, r *http.Request) *hasher {
	h := &hasher{h: sha256.New()}
	h.str(kind)
	if r != nil {
		h.str(r.Header.Get("Authorization"))
		h.str(r.Header.Get("X-Api-Key"))
	}
	return h
}

func (h *hasher) str(s string) {
	h.h.Write(h.buf[:binary.PutUvarint(h.buf[:], uint64(len(s)))])
	h.h.Write([]byte(s))
}

// message writes the role, the text parts, the kind and size of other parts, the tool calls
// (id, name, arguments) and the tool result's call id.
func (h *hasher) message(m *plugin.Message) {
	h.str(string(m.Role))
	for _, p := range m.Parts {
		switch p.Kind {
		case plugin.PartText:
			h.str("t")
			h.str(p.Text)
		default:
			h.str("m")
			h.str(p.MIME)
			h.str(p.URL)
			h.str(p.Name)
			h.h.Write(h.buf[:binary.PutUvarint(h.buf[:], uint64(len(p.Data)))])
		}
	}
	for _, c := range m.ToolCalls {
		h.str("c")
		h.str(c.ID)
		h.str(c.Name)
		h.str(c.Arguments)
	}
	h.str(m.ToolCallID)
}

// sum returns the hash of what was written so far; writing may go on.
func (h *hasher) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// prefixHashes returns the hash of msgs[:n] and of all of msgs, in one pass.
func prefixHashes(r *http.Request, msgs []plugin.Message, n int) (prefix, full string) {
	h := newHasher("fp", r)
	for i := range msgs {
		if i == n {
			prefix = h.sum()
		}
		h.message(&msgs[i])
	}
	full = h.sum()
	if n >= len(msgs) {
		prefix = full
	}
	return prefix, full
}

// systemHash hashes the system messages.
func systemHash(sys []plugin.Message) string {
	h := newHasher("sys", nil)
	for i := range sys {
		h.message(&sys[i])
	}
	return h.sum()
}

// idKey returns the store key of an explicit session id.
func idKey(r *http.Request, id string) string {
	h := newHasher("id", r)
	h.str(id)
	return "id:" + h.sum()
}

// lastAssistant returns the index of the last assistant message, or -1.
func lastAssistant(msgs []plugin.Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == plugin.RoleAssistant {
			return i
		}
	}
	return -1
}

// compact appends the runes of s that are not white space to b, up to answerRunes runes in b.
func compact(b []rune, s string) []rune {
	for _, r := range s {
		if len(b) >= answerRunes {
			break
		}
		if !unicode.IsSpace(r) {
			b = append(b, r)
		}
	}
	return b
}

// answerMatches reports whether the client's copy m of the upstream's answer starts like the
// recorded answer. Clients re-serialise answers (reasoning dropped, tool calls re-rendered by a
// prompt stage after the text), so only the start of the text, without white space, is
// compared.
func answerMatches(m *plugin.Message, answer string) bool {
	if m.Role != plugin.RoleAssistant {
		return false
	}
	if answer == "" {
		return true
	}
	return strings.HasPrefix(string(compact(nil, m.Text(""))), answer)
}
