package sieve

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo2api/mimo2api/internal/mimoml"
)

// result is what a whole stream produced: the concatenated text and the calls in order.
type result struct {
	Text  string
	Calls []mimoml.Call
}

// deliver feeds chunks to a new Sieve, flushes it and checks per-output invariants.
func deliver(t testing.TB, ts *mimoml.Toolset, chunks ...string) result {
	t.Helper()
	s := New(ts)
	var outs []Out
	for _, c := range chunks {
		outs = s.Feed(outs, c)
	}
	outs = s.Flush(outs)
	var r result
	var text strings.Builder
	for _, o := range outs {
		switch o.Kind {
		case Text:
			if o.Text == "" {
				t.Fatalf("empty Text output")
			}
			text.WriteString(o.Text)
		case Call:
			r.Calls = append(r.Calls, o.Call)
		default:
			t.Fatalf("unknown kind %d", o.Kind)
		}
	}
	if s.Calls() != len(r.Calls) {
		t.Fatalf("Calls() = %d, emitted %d", s.Calls(), len(r.Calls))
	}
	r.Text = text.String()
	return r
}

// bytewise splits s into one-byte chunks, deliberately cutting runes.
func bytewise(s string) []string {
	out := make([]string, len(s))
	for i := range len(s) {
		out[i] = s[i : i+1]
	}
	return out
}

func callNames(calls []mimoml.Call) []string {
	var names []string
	for _, c := range calls {
		names = append(names, c.Name)
	}
	return names
}

func TestSieveCases(t *testing.T) {
	for _, tc := range sieveCases {
		t.Run(tc.name, func(t *testing.T) {
			got := deliver(t, testTools, tc.in)
			if diff := cmp.Diff(tc.calls, callNames(got.Calls), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tc.plain && got.Text != tc.in {
				t.Errorf("text = %q, want the input unchanged", got.Text)
			}
			for _, a := range tc.absent {
				if strings.Contains(got.Text, a) {
					t.Errorf("text %q contains %q", got.Text, a)
				}
			}
		})
	}
}

// TestSieveChunkingInvariant delivers every case split at every byte position, byte by byte
// and in random chunks, and requires the same text and calls as whole delivery.
func TestSieveChunkingInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range sieveCases {
		t.Run(tc.name, func(t *testing.T) {
			whole := deliver(t, testTools, tc.in)
			check := func(how string, chunks []string) {
				t.Helper()
				if diff := cmp.Diff(whole, deliver(t, testTools, chunks...), cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s differs from whole delivery (-whole +chunked):\n%s", how, diff)
				}
			}
			for i := 1; i < len(tc.in); i++ {
				check("split at "+itoa(i), []string{tc.in[:i], tc.in[i:]})
			}
			check("byte by byte", bytewise(tc.in))
			for range 50 {
				check("random chunks", randomChunks(rng, tc.in))
			}
		})
	}
}

// TestSieveValidUTF8 checks that no Text output ends or starts inside a rune, however the
// input was cut.
func TestSieveValidUTF8(t *testing.T) {
	for _, tc := range sieveCases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(testTools)
			var outs []Out
			for _, c := range bytewise(tc.in) {
				outs = s.Feed(outs, c)
			}
			outs = s.Flush(outs)
			for _, o := range outs {
				if o.Kind == Text && !utf8.ValidString(o.Text) {
					t.Fatalf("Text output %q is not valid UTF-8", o.Text)
				}
			}
		})
	}
}

// TestSieveMatchesParse: streaming and non-streaming agree for answers with at most one block.
// Deliberate differences (not covered here): text outside blocks is released verbatim, while
// Parse may clean stray residue in it; an inline code span that is open across a block hides
// it from Parse but not from the sieve.
func TestSieveMatchesParse(t *testing.T) {
	for _, tc := range sieveCases {
		if !tc.single {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			calls, visible := mimoml.Parse(tc.in, testTools)
			want := result{Text: visible, Calls: calls}
			if diff := cmp.Diff(want, deliver(t, testTools, tc.in), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("sieve differs from Parse (-parse +sieve):\n%s", diff)
			}
		})
	}
}

// TestSieveNoTextLost: without declared-tool markup the text comes out unchanged, and the
// hold-back never exceeds mimoml.MaxMarkerLen plus one incomplete rune.
func TestSieveNoTextLost(t *testing.T) {
	for _, tc := range sieveCases {
		if !tc.plain {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			s := New(testTools)
			var outs []Out
			fed, released := 0, 0
			for _, c := range bytewise(tc.in) {
				n := len(outs)
				outs = s.Feed(outs, c)
				fed++
				for _, o := range outs[n:] {
					released += len(o.Text)
				}
				if held := fed - released; held > mimoml.MaxMarkerLen+utf8.UTFMax {
					t.Fatalf("after %d bytes %d are held back", fed, held)
				}
			}
			var got strings.Builder
			for _, o := range s.Flush(outs) {
				if o.Kind != Text {
					t.Fatalf("unexpected call %+v", o.Call)
				}
				got.WriteString(o.Text)
			}
			if got.String() != tc.in {
				t.Fatalf("text = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

// TestPassThrough: without tools every chunk comes out as it went in, even a cut rune.
func TestPassThrough(t *testing.T) {
	empty := mimoml.NewToolset(nil)
	for name, ts := range map[string]*mimoml.Toolset{"nil": nil, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			for _, tc := range sieveCases {
				chunks := bytewise(tc.in)
				s := New(ts)
				var outs []Out
				for _, c := range chunks {
					outs = s.Feed(outs, c)
				}
				outs = s.Flush(outs)
				var got []string
				for _, o := range outs {
					if o.Kind != Text {
						t.Fatalf("%s: unexpected call", tc.name)
					}
					got = append(got, o.Text)
				}
				if diff := cmp.Diff(chunks, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s: chunks changed (-in +out):\n%s", tc.name, diff)
				}
			}
			s := New(ts)
			dst := make([]Out, 0, 4)
			if n := testing.AllocsPerRun(100, func() { dst = s.Feed(dst[:0], weather) }); n != 0 {
				t.Errorf("pass-through Feed allocates %v times", n)
			}
		})
	}
}

func randomChunks(rng *rand.Rand, s string) []string {
	var chunks []string
	for s != "" {
		n := min(1+rng.IntN(12), len(s))
		chunks, s = append(chunks, s[:n]), s[n:]
	}
	return chunks
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		if i /= 10; i == 0 {
			return string(b[n:])
		}
	}
}
