package sieve_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/internal/mimoml"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/prompt"
	"github.com/mimo2api/mimo2api/plugins/sieve"
)

// prose is an answer without markup; lines starting with 'T' and CJK text on purpose.
const prose = "The latest measurements show that the temperature in the northern valley rose " +
	"steadily through the afternoon, peaking shortly after three o'clock. Humidity stayed low, " +
	"so the heat felt bearable.\nTomorrow the front moves east and brings scattered showers; " +
	"pack an umbrella if you plan to walk to the station. 北京今天晴，气温二十度。\n"

// chunks cuts s into deltas of about n bytes without cutting runes, as the upstream does.
func chunks(s string, n int) []string {
	var out []string
	for s != "" {
		k := min(n, len(s))
		for k < len(s) && s[k]&0xC0 == 0x80 {
			k++
		}
		out, s = append(out, s[:k]), s[k:]
	}
	return out
}

// drain runs the filter over evs and counts what comes out.
func drain(ctx context.Context, f *sieve.Tools, ex *plugin.Exchange, evs []plugin.Event) int {
	n := 0
	for _, err := range f.Filter(ctx, ex, plugin.Events(evs...)) {
		if err != nil {
			panic(err)
		}
		n++
	}
	return n
}

func benchFilter(b *testing.B, answer string) {
	evs := text(chunks(answer, 40)...)
	f := load(b, "")
	ex := promptRequest()
	b.SetBytes(int64(len(answer)))
	b.ReportAllocs()
	for b.Loop() {
		drain(b.Context(), f, ex, evs)
	}
	b.ReportMetric(float64(len(evs)-2), "chunks/op")
}

func BenchmarkToolsFilterProse(b *testing.B) {
	benchFilter(b, strings.Repeat(prose, 20))
}

func BenchmarkToolsFilterToolHeavy(b *testing.B) {
	answer := "Let me look that up.\n" + block(weatherInvoke) + "\nAnd the file:\n" + block(readInvoke, timeInvoke) +
		"\nHere is the format, for reference:\n```xml\n" + block(weatherInvoke) + "\n```\n"
	benchFilter(b, strings.Repeat(answer, 5))
}

// promptRequest returns a request whose toolset prompt.mimoml stored, as in the recommended
// chain.
func promptRequest() *plugin.Exchange {
	ex := request(nil)
	tools := make([]mimoml.Tool, len(testTools))
	for i, t := range testTools {
		tools[i] = mimoml.Tool{Name: t.Name, Parameters: t.Parameters}
	}
	prompt.Tools.Set(ex, mimoml.NewToolset(tools))
	return ex
}

// TestProseAllocsPerChunk: plain prose costs no allocation per chunk; the filter's own
// allocations do not grow with the length of the answer. (The sieve copies a chunk only when
// the previous one ended in a possible marker prefix, such as "\nT" or "<", held back.)
func TestSieveProseAllocsPerChunk(t *testing.T) {
	f := load(t, "")
	ex := promptRequest()
	allocs := func(evs []plugin.Event) float64 {
		return testing.AllocsPerRun(20, func() { drain(t.Context(), f, ex, evs) })
	}
	line := strings.ReplaceAll(prose, "\n", " ")
	short := text(chunks(line, 40)...)
	long := text(chunks(strings.Repeat(line, 10), 40)...)
	if a, b := allocs(short), allocs(long); b > a {
		t.Errorf("%v allocations for %d chunks, %v for %d chunks", a, len(short), b, len(long))
	}
}
