package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMessages(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)

	m := Message{ID: "msg_1", Model: "mimo-v2.5", Body: []byte(`{"id":"msg_1","type":"message"}`)}
	if err := s.PutMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMessage(ctx, "msg_1")
	if err != nil {
		t.Fatal(err)
	}
	m.CreatedAt = epoch // zero CreatedAt means the clock's now
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("GetMessage (-want +got):\n%s", diff)
	}

	// Put replaces.
	m.Body = []byte(`{"id":"msg_1","v":2}`)
	if err := s.PutMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetMessage(ctx, "msg_1"); string(got.Body) != string(m.Body) {
		t.Errorf("after replace Body = %s, want %s", got.Body, m.Body)
	}

	if _, err := s.GetMessage(ctx, "msg_missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetMessage(missing) err = %v, want ErrNotFound", err)
	}
	if err := s.PutMessage(ctx, Message{}); err == nil {
		t.Error("PutMessage accepted an empty id")
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	// Enough old messages to need several prune chunks.
	old := pruneChunk + 7
	for i := range old {
		at := epoch.Add(-time.Duration(i+1) * time.Minute)
		if err := s.PutMessage(ctx, Message{ID: "old" + strconv.Itoa(i), Body: []byte(`{}`), CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	puts := []struct {
		id string
		at time.Time
	}{{"msg_new", epoch}, {"resp_old", epoch.Add(-time.Hour)}, {"resp_new", epoch.Add(time.Second)}}
	if err := s.PutMessage(ctx, Message{ID: puts[0].id, Body: []byte(`{}`), CreatedAt: puts[0].at}); err != nil {
		t.Fatal(err)
	}
	for _, p := range puts[1:] {
		r := Response{ID: p.id, Body: []byte(`{}`), CreatedAt: p.at, Input: []json.RawMessage{[]byte(`{"id":"i1"}`)}}
		if err := s.PutResponse(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	n, err := s.Prune(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if want := old + 1; n != want {
		t.Errorf("Prune = %d, want %d", n, want)
	}
	for id, want := range map[string]error{"old0": ErrNotFound, "msg_new": nil} {
		if _, err := s.GetMessage(ctx, id); !errors.Is(err, want) {
			t.Errorf("GetMessage(%s) err = %v, want %v", id, err, want)
		}
	}
	for id, want := range map[string]error{"resp_old": ErrNotFound, "resp_new": nil} {
		if _, err := s.GetResponse(ctx, id); !errors.Is(err, want) {
			t.Errorf("GetResponse(%s) err = %v, want %v", id, err, want)
		}
	}
	var items int
	if err := s.db.QueryRow(`SELECT count(*) FROM input_items`).Scan(&items); err != nil {
		t.Fatal(err)
	}
	if items != 1 {
		t.Errorf("input items left = %d, want 1 (the pruned response's must go with it)", items)
	}
}
