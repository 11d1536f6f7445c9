package mimoml

import (
	"slices"
	"strings"
	"testing"
)

// simulateSieve splits s the way the streaming sieve does (StartIndex,
// BlockEnd, Parse per block) on the complete text.
func simulateSieve(s string, ts *Toolset) (calls []Call, text string) {
	for {
		i := StartIndex(s)
		if i < 0 {
			return calls, text + s
		}
		text += s[:i]
		end, ok := BlockEnd(s[i:])
		if !ok {
			end = len(s) - i
		}
		c, v := Parse(s[i:i+end], ts)
		for _, call := range c {
			if !slices.Contains(calls, call) {
				calls = append(calls, call)
			}
		}
		text += v
		s = s[i+end:]
	}
}

// TestSieveAgreesWithParse: block-by-block parsing finds the calls Parse
// finds on the whole text (the sieve may additionally find calls of a
// later strategy that Parse skips once an earlier one matched).
func TestSieveAgreesWithParse(t *testing.T) {
	for _, c := range loadGolden(t) {
		if strings.IndexByte(c.input, 0) >= 0 {
			continue // Parse drops NUL bytes only where it parses
		}
		ts := NewToolset(c.tools)
		want, vis := Parse(c.input, ts)
		got, text := simulateSieve(c.input, ts)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: sieve misses %v (got %v)", c.name, w, got)
			}
		}
		if len(got) == len(want) && text != vis {
			t.Errorf("%s: sieve text %q, Parse visible %q", c.name, text, vis)
		}
	}
}
