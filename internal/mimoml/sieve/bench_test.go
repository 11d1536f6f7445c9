package sieve

import (
	"strings"
	"testing"
)

// prose is a realistic answer without markup; 't' and 'T' are frequent on purpose.
const prose = "The latest measurements show that the temperature in the northern valley rose " +
	"steadily through the afternoon, peaking shortly after three o'clock. Humidity stayed low, " +
	"so the heat felt bearable. Tomorrow the front moves east and brings scattered showers; " +
	"pack an umbrella if you plan to walk to the station. 北京今天晴，气温二十度。 "

// split cuts s into chunks of about n bytes without cutting runes, as the upstream does.
func split(s string, n int) []string {
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

func benchStream(b *testing.B, chunks []string) {
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	s := New(testTools)
	dst := make([]Out, 0, len(chunks)+16)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		dst = dst[:0]
		for _, c := range chunks {
			dst = s.Feed(dst, c)
		}
		dst = s.Flush(dst)
	}
	b.ReportMetric(float64(len(chunks)), "chunks/op")
}

func BenchmarkSievePlainProse(b *testing.B) {
	benchStream(b, split(strings.Repeat(prose, 20), 40))
}

func BenchmarkSieveToolHeavy(b *testing.B) {
	answer := "Let me look that up.\n" + weather + "\nAnd the file:\n" + readFile +
		"\nBoth requests are out; here is an example of the format:\n" + fenced3 + twoCalls
	benchStream(b, split(strings.Repeat(answer, 5), 40))
}
