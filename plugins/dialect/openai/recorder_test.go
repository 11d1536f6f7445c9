package openai

import (
	"errors"
	"net/http/httptest"
)

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

var errGone = errors.New("client gone")

// failWriter fails every write after the first `after` writes.
type failWriter struct {
	*httptest.ResponseRecorder
	after int
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errGone
	}
	w.after--
	return w.ResponseRecorder.Write(p)
}
