package mimoml

import (
	"encoding/json"
	"strings"
	"testing"
)

func addSeeds(f *testing.F) {
	f.Helper()
	for _, c := range loadGolden(f) {
		f.Add(c.input)
	}
	for _, m := range markerVariants {
		f.Add("x\n" + m)
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	ts := NewToolset(defaultTools)
	declared := map[string]bool{}
	for _, t := range defaultTools {
		declared[t.Name] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		calls, vis := Parse(s, ts)
		for _, c := range calls {
			if !declared[c.Name] {
				t.Fatalf("undeclared call name %q", c.Name)
			}
			var obj map[string]any
			if err := json.Unmarshal([]byte(c.Arguments), &obj); err != nil || obj == nil {
				t.Fatalf("arguments %q are not a JSON object: %v", c.Arguments, err)
			}
		}
		if len(vis) > len(s) {
			t.Fatalf("visible text grew: %q -> %q", s, vis)
		}
		if _, v := Parse(s, nil); v != s {
			t.Fatalf("Parse without tools changed the text")
		}
		if c := Clean(s); len(c) > len(s) {
			t.Fatalf("Clean grew the text")
		}
		if len(calls) > 0 {
			back, _ := Parse(RenderCalls(calls), ts)
			if len(back) == 0 {
				t.Fatalf("rendered calls do not parse back:\n%s", RenderCalls(calls))
			}
		}
	})
}

func FuzzMarkers(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1024 {
			return
		}
		p := PartialMarkerLen(s)
		if p < 0 || p > len(s) || p > MaxMarkerLen {
			t.Fatalf("PartialMarkerLen = %d out of range", p)
		}
		i := StartIndex(s)
		if i < -1 || i >= len(s) {
			t.Fatalf("StartIndex = %d out of range", i)
		}
		if i < 0 {
			return
		}
		// Hold-back guarantee: a marker that starts inside a prefix without
		// a complete marker is covered by that prefix's partial suffix. A
		// prefix ending in a backtick or tilde run is exempt: growing that
		// run can re-pair code spans and fences (a known limitation).
		for k := i + 1; k <= len(s); k++ {
			if c := s[k-1]; c == '`' || c == '~' {
				continue
			}
			if StartIndex(s[:k]) < 0 {
				if hold := PartialMarkerLen(s[:k]); hold < k-i {
					t.Fatalf("prefix %q: marker at %d not held back (hold %d)", s[:k], i, hold)
				}
			}
		}
		end, ok := BlockEnd(s[i:])
		if ok && (end <= 0 || end > len(s)-i) {
			t.Fatalf("BlockEnd = %d outside (0, %d]", end, len(s)-i)
		}
		// A decision, once made, never changes as the text grows.
		for k := 1; k <= len(s)-i; k++ {
			if e, o := BlockEnd(s[i : i+k]); o && (!ok || e != end) {
				t.Fatalf("BlockEnd(%q) = %d but full text gives %d, %v", s[i:i+k], e, end, ok)
			}
		}
		if ok {
			for _, tail := range []string{"", "\n", "</tool_calls>", strings.Repeat("x", 3)} {
				if e, o := BlockEnd(s[i:] + tail); !o || e != end {
					t.Fatalf("BlockEnd changed after appending %q", tail)
				}
			}
		}
	})
}
