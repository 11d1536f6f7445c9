package anthropic

import "strings"

// stopper applies stop sequences to a text that arrives in deltas. It holds back only the
// longest tail of the text that could begin a sequence, so a sequence split across deltas is
// still found and no other text is delayed.
type stopper struct {
	seqs []string
	held string
}

// feed adds a delta. It returns the text that may be emitted now; when a sequence was found
// it also returns the sequence, out is the text before it and the stopper is done.
func (s *stopper) feed(delta string) (out, seq string) {
	if len(s.seqs) == 0 {
		return delta, ""
	}
	buf := s.held + delta
	at := -1
	for _, q := range s.seqs {
		i := strings.Index(buf, q)
		if i >= 0 && (at < 0 || i < at || i == at && len(q) > len(seq)) {
			at, seq = i, q
		}
	}
	if at >= 0 {
		s.held = ""
		return buf[:at], seq
	}
	keep := s.prefixTail(buf)
	s.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], ""
}

// flush returns the held-back text.
func (s *stopper) flush() string {
	h := s.held
	s.held = ""
	return h
}

// prefixTail returns the length of the longest suffix of buf that is a proper prefix of a
// sequence.
func (s *stopper) prefixTail(buf string) int {
	n := 0
	for _, q := range s.seqs {
		for k := min(len(q)-1, len(buf)); k > n; k-- {
			if strings.HasSuffix(buf, q[:k]) {
				n = k
				break
			}
		}
	}
	return n
}
