package usage

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestMemory(t *testing.T) {
	r := NewMemory()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { r.Record("mimo-v2.5", "1001", &plugin.Usage{PromptTokens: 3, CompletionTokens: 2}) })
	}
	wg.Wait()
	r.Record("mimo-v2.5", "1002", &plugin.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 5})
	r.Record("mimo-v2.5-pro", "1001", nil)
	rows, total := r.Summary()
	want := []Row{
		{"mimo-v2.5", "1001", Counts{10, 30, 20, 50}},
		{"mimo-v2.5", "1002", Counts{1, 1, 1, 5}},
		{"mimo-v2.5-pro", "1001", Counts{1, 0, 0, 0}},
	}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if total != (Counts{12, 31, 21, 55}) {
		t.Errorf("total = %+v", total)
	}
	r.Reset()
	if rows, _ := r.Summary(); len(rows) != 0 {
		t.Errorf("after reset: %v", rows)
	}
}
