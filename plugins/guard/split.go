package guard

import (
	"strings"
	"unicode/utf8"
)

// rolePrefixes start the lines internal/mimo.Flatten writes, one per message.
var rolePrefixes = []string{"user: ", "assistant: ", "tool: ", "system: "}

// units cuts a flattened query before every "\n<role>: " line start: roughly one unit per
// message (a message whose text contains such a line is cut there too, which only adds a
// boundary). Joining the units with "\n" gives the query back.
func units(q string) []string {
	var out []string
	start := 0
	for i := 0; i < len(q); {
		j := strings.IndexByte(q[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		for _, p := range rolePrefixes {
			if strings.HasPrefix(q[i:], p) {
				out = append(out, q[start:i-1])
				start = i
				break
			}
		}
	}
	return append(out, q[start:])
}

// split cuts q into chunks of at most limit runes each, the last one the real query and the
// others warm-ups that get ContinueSuffix appended (so they are packed to limit minus its
// length). Chunks end at unit boundaries; a unit longer than a chunk is cut into slices. When q
// starts with a "system: " unit, it also starts the last chunk if it fits there.
func split(q string, limit int) []string {
	room := limit - utf8.RuneCountInString(ContinueSuffix)
	us := units(q)
	var (
		chunks []string
		cur    strings.Builder
		n      int // runes in cur
	)
	flush := func() {
		if n > 0 || cur.Len() > 0 {
			chunks = append(chunks, cur.String())
			cur.Reset()
			n = 0
		}
	}
	for _, u := range us {
		un := utf8.RuneCountInString(u)
		if cur.Len() > 0 && n+1+un > room {
			flush()
		}
		for un > room {
			cut := runeOffset(u, room)
			chunks = append(chunks, u[:cut])
			u = u[cut:]
			un -= room
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
			n++
		}
		cur.WriteString(u)
		n += un
	}
	flush()
	if len(chunks) > 1 && strings.HasPrefix(us[0], "system: ") {
		last := chunks[len(chunks)-1]
		if utf8.RuneCountInString(us[0])+1+utf8.RuneCountInString(last) <= limit && last != us[0] {
			chunks[len(chunks)-1] = us[0] + "\n" + last
		}
	}
	return chunks
}

// runeOffset returns the byte offset of the n-th rune of s.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
