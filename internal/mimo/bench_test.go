package mimo

import (
	"fmt"
	"strings"
	"testing"
)

// realisticTranscript is a 200-delta answer: reasoning, then text with citations and a few
// deltas that straddle tags and markers.
func realisticTranscript() string {
	deltas := []string{"", "<think>\x00"}
	for i := range 60 {
		deltas = append(deltas, fmt.Sprintf(" step %d of the plan, considering", i), " the options")
	}
	deltas = append(deltas, ".</thi", "nk>\x00")
	for len(deltas) < 200 {
		switch len(deltas) % 17 {
		case 0:
			deltas = append(deltas, "source(cit")
		case 1:
			deltas = append(deltas, "ation:3) says")
		default:
			deltas = append(deltas, " the quick brown fox jumps over the lazy dog")
		}
	}
	var b strings.Builder
	b.WriteString("id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60\nevent:dialogId\ndata:{\"content\":\"8170797\"}\n\n")
	for _, d := range deltas {
		d = strings.ReplaceAll(d, "\x00", `\u0000`)
		fmt.Fprintf(&b, "id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60\nevent:message\ndata:{\"type\":\"text\",\"content\":\"%s\"}\n\n", d)
	}
	b.WriteString("id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60\nevent:usage\ndata:{\"promptTokens\":412,\"completionTokens\":1800,\"totalTokens\":2212}\n\n")
	b.WriteString("id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60\nevent:finish\ndata:{\"content\":\"[DONE]\"}\n\n")
	return b.String()
}

func BenchmarkEvents(b *testing.B) {
	sse := realisticTranscript()
	b.SetBytes(int64(len(sse)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range Events(newBody(sse)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n < 150 {
			b.Fatalf("%d events", n)
		}
	}
}
