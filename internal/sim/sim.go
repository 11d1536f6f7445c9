// Package sim simulates the MiMo AI Studio web upstream (aistudio.xiaomimimo.com)
// for tests and for the gateway's demo mode.
//
// It speaks the upstream wire format: the SSE chat endpoint with its
// dialogId/message/usage/finish frames, inline <think> tags with NUL bytes,
// native tool-name events and citation markers; model discovery; the
// three-step upload; and conversation save/delete. Every POST is checked for
// the upstream's cookies and xiaomichatbot_ph query parameter.
//
// Each chat call is answered by a named Scenario, selected by a [sim:NAME]
// directive in the query text, by the caller's userId, or by default.
package sim

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// DefaultScenario is used when nothing else selects one; "" means "plain".
	DefaultScenario string
	// UserScenarios maps a userId cookie to the scenario that answers it.
	UserScenarios map[string]string
	// Scenarios adds scenarios or overrides built-in ones. Nil entries are ignored.
	Scenarios map[string]Scenario
	// Drip is the delay between frames of the "slow" scenario; 0 means 50ms.
	Drip time.Duration
	// Accounts, if not empty, are the only credentials accepted.
	Accounts []Account
	// MaxQueryChars, if positive, makes every query longer than this many
	// characters answered by the "too_long" scenario unless a directive
	// selects another one.
	MaxQueryChars int
	// KeepRequests, if positive, bounds how many recent chat requests are
	// kept for Requests; 0 keeps all of them.
	KeepRequests int
	// Logf, if set, receives one line per handled call. It never sees credentials.
	Logf func(format string, args ...any)
}

// Account is one set of upstream credentials.
type Account struct{ UserID, ServiceToken, PH string }

// Server is the simulated upstream. It implements http.Handler and is safe
// for concurrent use.
type Server struct {
	opts      Options
	drip      time.Duration
	scenarios map[string]Scenario
	accounts  map[Account]bool
	mux       *http.ServeMux

	mu       sync.Mutex
	requests []Received
	uploads  []*Upload
	objects  map[string]*Upload
	saved    []SavedConversation
	deleted  []string
}

var _ http.Handler = (*Server)(nil)

// New returns a Server with the built-in scenarios plus opts.Scenarios.
func New(opts Options) *Server {
	s := &Server{
		opts:      opts,
		drip:      opts.Drip,
		scenarios: make(map[string]Scenario),
		objects:   make(map[string]*Upload),
		mux:       http.NewServeMux(),
	}
	if s.drip <= 0 {
		s.drip = 50 * time.Millisecond
	}
	s.addBuiltins()
	for name, sc := range opts.Scenarios {
		if sc != nil {
			s.scenarios[name] = sc
		}
	}
	if len(opts.Accounts) > 0 {
		s.accounts = make(map[Account]bool, len(opts.Accounts))
		for _, a := range opts.Accounts {
			s.accounts[a] = true
		}
	}

	s.mux.HandleFunc("POST /open-apis/bot/chat", s.chat)
	s.mux.HandleFunc("GET /open-apis/bot/config", s.botConfig)
	s.mux.HandleFunc("POST /open-apis/resource/genUploadInfo", s.genUploadInfo)
	s.mux.HandleFunc("POST /open-apis/resource/parse", s.parse)
	s.mux.HandleFunc("PUT /sim/upload/{name}", s.putObject)
	s.mux.HandleFunc("GET /sim/resource/{name}", s.getObject)
	s.mux.HandleFunc("POST /open-apis/chat/conversation/save", s.saveConversation)
	s.mux.HandleFunc("POST /open-apis/chat/conversation/delete", s.deleteConversations)
	return s
}

// ServeHTTP routes a request to the simulated endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Scenarios returns the sorted names of every scenario the server knows.
func (s *Server) Scenarios() []string {
	return slices.Sorted(maps.Keys(s.scenarios))
}

// HasScenario reports whether name is a known scenario.
func (s *Server) HasScenario(name string) bool {
	_, ok := s.scenarios[name]
	return ok
}

// Requests returns a snapshot of the chat requests received, oldest first.
// The returned values share their maps and slices with the server's record
// and must not be modified.
func (s *Server) Requests() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := s.requests
	if n := s.opts.KeepRequests; n > 0 && len(reqs) > n {
		reqs = reqs[len(reqs)-n:]
	}
	return slices.Clone(reqs)
}

// Uploads returns a snapshot of the uploads, in genUploadInfo order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, len(s.uploads))
	for i, u := range s.uploads {
		out[i] = *u
	}
	return out
}

// SavedConversations returns the conversation/save calls received, in order.
func (s *Server) SavedConversations() []SavedConversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saved)
}

// DeletedConversations returns every conversation id passed to
// conversation/delete, in order.
func (s *Server) DeletedConversations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deleted)
}

// Reset forgets every recorded request, upload and conversation call.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.uploads = nil
	s.objects = make(map[string]*Upload)
	s.saved = nil
	s.deleted = nil
}

// record appends one chat request, trimming the log when KeepRequests bounds it.
func (s *Server) record(rec Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
	if n := s.opts.KeepRequests; n > 0 && len(s.requests) >= 2*n {
		// Amortised trim: keep the newest n.
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-n:]...)
		clear(s.requests[n:cap(s.requests)])
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}
