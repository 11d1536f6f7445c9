package data

import (
	"sync"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Tokenizer counts tokens with tiktoken's cl100k_base encoding, loaded from the BPE files
// embedded in the binary: it never downloads anything.
type Tokenizer struct {
	enc func() (*tiktoken.Tiktoken, error)
}

var setLoader sync.Once

// NewTokenizer returns a tokenizer; the encoding is loaded on first use.
func NewTokenizer() *Tokenizer {
	return &Tokenizer{enc: sync.OnceValues(func() (*tiktoken.Tiktoken, error) {
		setLoader.Do(func() { tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader()) })
		return tiktoken.GetEncoding("cl100k_base")
	})}
}

// Count returns the number of tokens of text. Should the encoding fail to load, it falls back to
// an estimate of one token per four characters.
func (t *Tokenizer) Count(text string) int {
	if text == "" {
		return 0
	}
	enc, err := t.enc()
	if err != nil {
		return (utf8.RuneCountInString(text) + 3) / 4
	}
	return len(enc.EncodeOrdinary(text))
}

// Warm loads the encoding now, so that the first request does not pay for it.
func (t *Tokenizer) Warm() { t.enc() }
