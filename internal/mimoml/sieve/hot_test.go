package sieve

import (
	"testing"
	"unsafe"
)

// TestPlainChunkNoCopy: a plain prose chunk is released as the very same string, without
// allocating.
func TestPlainChunkNoCopy(t *testing.T) {
	chunks := split(prose, 40)
	s := New(testTools)
	dst := make([]Out, 0, 4)
	for _, c := range chunks {
		dst = s.Feed(dst[:0], c)
		if len(dst) != 1 || dst[0].Text != c {
			t.Fatalf("Feed(%q) = %+v, want the chunk back", c, dst)
		}
		if unsafe.StringData(dst[0].Text) != unsafe.StringData(c) {
			t.Fatalf("Feed(%q) copied the chunk", c)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		dst = s.Feed(dst[:0], chunks[i%len(chunks)])
		i++
	})
	if allocs != 0 {
		t.Fatalf("plain Feed allocates %v times per chunk", allocs)
	}
}

func TestSpecial(t *testing.T) {
	tests := []struct {
		in        string
		lineStart bool
		want      bool
	}{
		{"plain words here ", true, false},
		{"tool", false, false},
		{"tool", true, true},
		{"  To", true, true},
		{"  To", false, false},
		{"ends with tool", true, false},
		{"ends with\n t", false, true},
		{"ends with\nthe end", false, true},
		{"ends with\nand", false, false},
		{"ends with\n", false, true},
		{"ends with at", true, false},
		{"a < b", false, true},
		{"{}", false, true},
		{"[x] snake_case", false, false},
		{"```", false, true},
		{"~~~", false, true},
		{"中文，标点", false, false},
		{"", true, true},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := special(tt.in, tt.lineStart); got != tt.want {
			t.Errorf("special(%q, %v) = %v, want %v", tt.in, tt.lineStart, got, tt.want)
		}
	}
}

func TestFullRunes(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"北", 3},
		{"北"[:1], 0},
		{"a北"[:3], 1},
		{"a🎉"[:4], 1},
		{"a🎉", 5},
		{"a\xff", 2},
		{"a\x80\x80\x80\x80", 5},
	}
	for _, tt := range tests {
		if got := fullRunes(tt.in); got != tt.want {
			t.Errorf("fullRunes(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
