package sieve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo2api/mimo2api/internal/mimoml"
)

// FuzzSieve checks that the sieve never panics, that cutting the input into three chunks
// changes nothing, and that without tools the output is the input.
func FuzzSieve(f *testing.F) {
	for _, tc := range sieveCases {
		f.Add(tc.in, uint(len(tc.in)/3), uint(len(tc.in)/2))
	}
	f.Add("```\n<|MiMoML|tool_calls>\n```\n", uint(2), uint(5))
	f.Add("<|MiMoML|tool_calls><|MiMoML|tool_calls></|MiMoML|tool_calls>", uint(7), uint(30))
	f.Fuzz(func(t *testing.T, data string, cut1, cut2 uint) {
		if len(data) > 1<<12 {
			return
		}
		a, b := 0, 0
		if len(data) > 0 {
			a, b = int(cut1%uint(len(data)+1)), int(cut2%uint(len(data)+1))
		}
		a, b = min(a, b), max(a, b)
		chunks := []string{data[:a], data[a:b], data[b:]}

		whole := deliver(t, testTools, data)
		if diff := cmp.Diff(whole, deliver(t, testTools, chunks...), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("chunked delivery differs (-whole +chunked):\n%s", diff)
		}
		if got := deliver(t, nil, chunks...); got.Text != data || len(got.Calls) != 0 {
			t.Fatalf("pass-through changed the text: %q", got.Text)
		}
		// Without any marker and any fence the text must come out unchanged.
		if mimoml.StartIndex(data) < 0 && !strings.ContainsAny(data, "`~") {
			if whole.Text != data || len(whole.Calls) != 0 {
				t.Fatalf("text without markup changed: %q -> %+v", data, whole)
			}
		}
	})
}
