// Package usage counts requests and tokens per model and account for the admin API.
package usage

import (
	"cmp"
	"slices"
	"sync"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Recorder records the usage of finished requests.
type Recorder interface {
	// Record counts one request of model on account with its token usage (u may be nil).
	Record(model, account string, u *plugin.Usage)
}

// Counts are the totals of one model and account.
type Counts struct {
	Requests         int64
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
}

func (c *Counts) add(o Counts) {
	c.Requests += o.Requests
	c.PromptTokens += o.PromptTokens
	c.CompletionTokens += o.CompletionTokens
	c.TotalTokens += o.TotalTokens
}

// Row is the totals of one model and account.
type Row struct {
	Model   string
	Account string
	Counts
}

type key struct{ model, account string }

// Memory is an in-memory Recorder; counts start at zero with each process.
type Memory struct {
	mu sync.Mutex
	m  map[key]*Counts
}

var _ Recorder = (*Memory)(nil)

// NewMemory returns an empty recorder.
func NewMemory() *Memory { return &Memory{m: make(map[key]*Counts)} }

// Record implements Recorder. The total is prompt + completion when u has no total.
func (r *Memory) Record(model, account string, u *plugin.Usage) {
	d := Counts{Requests: 1}
	if u != nil {
		d.PromptTokens, d.CompletionTokens, d.TotalTokens = int64(u.PromptTokens), int64(u.CompletionTokens), int64(u.TotalTokens)
		if d.TotalTokens == 0 {
			d.TotalTokens = d.PromptTokens + d.CompletionTokens
		}
	}
	k := key{model, account}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.m[k]
	if c == nil {
		c = new(Counts)
		r.m[k] = c
	}
	c.add(d)
}

// Summary returns one row per model and account, sorted by model then account, and the total.
func (r *Memory) Summary() (rows []Row, total Counts) {
	r.mu.Lock()
	rows = make([]Row, 0, len(r.m))
	for k, c := range r.m {
		rows = append(rows, Row{Model: k.model, Account: k.account, Counts: *c})
		total.add(*c)
	}
	r.mu.Unlock()
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Model, b.Model), cmp.Compare(a.Account, b.Account))
	})
	return rows, total
}

// Reset clears the counts.
func (r *Memory) Reset() {
	r.mu.Lock()
	clear(r.m)
	r.mu.Unlock()
}
