package sieve

import "testing"

func TestFence(t *testing.T) {
	tests := []struct {
		name string
		in   string
		open bool
	}{
		{"no fence", "text\nmore", false},
		{"open backticks", "```go\ncode", true},
		{"open tildes", "~~~\ncode", true},
		{"two backticks", "``not a fence\n", false},
		{"inline triple", "see ```x``` here\n", false},
		{"closed", "```\ncode\n```\nafter", false},
		{"closing run not yet ended", "```\ncode\n```", true},
		{"closing with blanks", "```\ncode\n```  \n", false},
		{"closer shorter", "````\ncode\n```\n", true},
		{"closer longer", "```\ncode\n`````\n", false},
		{"closer other char", "```\ncode\n~~~\n", true},
		{"closer with text", "```\ncode\n``` x\n", true},
		{"nested", "````\n```\ninner\n```\n", true},
		{"nested closed", "````\n```\ninner\n```\n````\n", false},
		{"indented three", "   ```\ncode", true},
		{"indented four", "    ```\ncode", true},
		{"tab indented", "\t```\ncode", true},
		{"info with backtick", "```a`b\ncode", false},
		{"info pending", "```go", false},
		{"tilde info with backtick", "~~~a`b\ncode", true},
		{"closer indented four", "```\ncode\n    ```\n", true},
		{"closer indented three", "```\ncode\n   ```\n", false},
		{"mid-line", "a ```\ncode", false},
		{"opener at end", "```", false},
		{"opener ended by newline", "```\n", true},
		{"crlf", "```\r\ncode\r\n```\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var whole fence
			for rest := tt.in; rest != ""; {
				rest = rest[whole.advance(rest):]
			}
			if whole.open != tt.open {
				t.Errorf("open = %v, want %v", whole.open, tt.open)
			}
			var bytewise fence
			for i := range len(tt.in) {
				bytewise.advance(tt.in[i : i+1])
			}
			if bytewise != whole {
				t.Errorf("byte-wise state %+v, whole %+v", bytewise, whole)
			}
		})
	}
}
