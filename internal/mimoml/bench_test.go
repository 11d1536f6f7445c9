package mimoml

import (
	"strings"
	"testing"
)

func BenchmarkParseProse(b *testing.B) {
	ts := NewToolset(defaultTools)
	text := strings.Repeat("The quick brown fox jumps over the lazy dog; 2 + 2 = 4, and that is fine.\n", 200)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if calls, _ := Parse(text, ts); calls != nil {
			b.Fatal("unexpected calls")
		}
	}
}

func BenchmarkParseProseWithMarkup(b *testing.B) {
	ts := NewToolset(defaultTools)
	text := strings.Repeat("Compare a < b with <b>bold</b> and {braces}; see `<tool_calls>` in code.\n", 200)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if calls, _ := Parse(text, ts); calls != nil {
			b.Fatal("unexpected calls")
		}
	}
}

func BenchmarkParseToolHeavy(b *testing.B) {
	ts := NewToolset(defaultTools)
	var sb strings.Builder
	sb.WriteString("Let me do several things.\n<|MiMoML|tool_calls>\n")
	for i := 0; i < 8; i++ {
		sb.WriteString(`<|MiMoML|invoke name="write_file">
<|MiMoML|parameter name="path"><![CDATA[/tmp/file.go]]></|MiMoML|parameter>
<|MiMoML|parameter name="content"><![CDATA[package main

func main() { println("hello <world> & ]] friends") }
]]></|MiMoML|parameter>
</|MiMoML|invoke>
<|MiMoML|invoke name="search">
<|MiMoML|parameter name="query"><![CDATA[weather]]></|MiMoML|parameter>
<|MiMoML|parameter name="tags"><item>a</item><item>b</item></|MiMoML|parameter>
</|MiMoML|invoke>
`)
	}
	sb.WriteString("</|MiMoML|tool_calls>")
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if calls, _ := Parse(text, ts); len(calls) != 2 {
			b.Fatalf("calls = %d", len(calls))
		}
	}
}

func BenchmarkStartIndexProse(b *testing.B) {
	text := strings.Repeat("Plain streamed prose with a < b and {x}.\n", 100)
	b.ReportAllocs()
	for b.Loop() {
		if StartIndex(text) >= 0 {
			b.Fatal("unexpected marker")
		}
	}
}
