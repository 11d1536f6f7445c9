package sim

import (
	"encoding/json"
	"io"
	"net/http"
)

// SavedConversation is one conversation/save call.
type SavedConversation struct {
	ConversationID string `json:"conversationId"`
	Title          string `json:"title"`
	Type           string `json:"type"`
}

func (s *Server) saveConversation(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	var c SavedConversation
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&c); err != nil {
		fail(w, http.StatusBadRequest, 400, "sim: invalid conversation/save body: "+err.Error())
		return
	}
	if c.ConversationID == "" {
		fail(w, http.StatusOK, 400, "conversationId is required")
		return
	}
	s.mu.Lock()
	s.saved = append(s.saved, c)
	s.mu.Unlock()
	s.logf("sim: conversation/save conversation=%s type=%s", c.ConversationID, c.Type)
	writeJSON(w, http.StatusOK, result{Msg: "success"})
}

// deleteConversations takes a JSON array of conversation ids, like the upstream.
func (s *Server) deleteConversations(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeUnauthorized(w)
		return
	}
	var ids []string
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&ids); err != nil || ids == nil {
		fail(w, http.StatusBadRequest, 400, "sim: conversation/delete body must be a JSON array of conversation ids")
		return
	}
	s.mu.Lock()
	s.deleted = append(s.deleted, ids...)
	s.mu.Unlock()
	s.logf("sim: conversation/delete count=%d", len(ids))
	writeJSON(w, http.StatusOK, result{Msg: "success"})
}
