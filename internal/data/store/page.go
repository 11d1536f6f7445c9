package store

import (
	"fmt"
	"math"
	"slices"
)

// window is a [Page] resolved against a list ordered by an integer key: fetch up to limit+1
// rows with lo < key < hi in the fetch direction, then present them in page order.
type window struct {
	lo, hi  int64
	desc    bool // fetch in descending key order
	reverse bool // the fetched rows are in the opposite of page order
	limit   int
}

// resolve validates p and turns its cursors into key bounds; key looks a cursor ID up.
func (p Page) resolve(key func(id string) (int64, error)) (window, error) {
	w := window{lo: math.MinInt64, hi: math.MaxInt64, limit: p.Limit}
	switch {
	case w.limit <= 0:
		w.limit = DefaultLimit
	case w.limit > MaxLimit:
		w.limit = MaxLimit
	}
	var desc bool
	switch p.Order {
	case "", "desc":
		desc = true
	case "asc":
	default:
		return window{}, fmt.Errorf("order %q: %w", p.Order, ErrInvalidPage)
	}
	// after is the bound the page starts from, before the one it runs towards.
	bound := func(id string, after bool) error {
		if id == "" {
			return nil
		}
		k, err := key(id)
		if err != nil {
			return err
		}
		if after == desc {
			w.hi = k
		} else {
			w.lo = k
		}
		return nil
	}
	if err := bound(p.After, true); err != nil {
		return window{}, err
	}
	if err := bound(p.Before, false); err != nil {
		return window{}, err
	}
	// With only a before cursor, the page is the rows closest to it: fetch backwards.
	w.desc, w.reverse = desc, false
	if p.Before != "" && p.After == "" {
		w.desc, w.reverse = !desc, true
	}
	return w, nil
}

// trim cuts the fetched rows to the page and puts them in page order; it reports whether more
// rows lie beyond the page in the fetch direction.
func trim[T any](w window, rows []T) ([]T, bool) {
	more := len(rows) > w.limit
	if more {
		rows = rows[:w.limit]
	}
	if w.reverse {
		slices.Reverse(rows)
	}
	return rows, more
}
