package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResponses(t *testing.T) {
	ctx := context.Background()
	s := open(t, newClock(epoch))

	r := Response{
		ID:           "resp_1",
		Model:        "mimo-v2.5",
		Status:       "completed",
		Body:         []byte(`{"id":"resp_1","object":"response"}`),
		Input:        []json.RawMessage{[]byte(`{"id":"inp_1","type":"input_text","text":"hi"}`)},
		Conversation: []byte(`{"messages":[{"role":"user","content":"hi"}]}`),
		PreviousID:   "resp_0",
	}
	if err := s.PutResponse(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetResponse(ctx, "resp_1")
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.Input = nil // not loaded by GetResponse
	want.CreatedAt = epoch
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetResponse (-want +got):\n%s", diff)
	}

	// Put replaces the record and its input items (a cancel updating the status, say).
	r.Status = "cancelled"
	r.Conversation = nil
	r.Input = []json.RawMessage{[]byte(`{"id":"inp_2"}`), []byte(`{"id":"inp_3"}`)}
	if err := s.PutResponse(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetResponse(ctx, "resp_1")
	if got.Status != "cancelled" || got.Conversation != nil {
		t.Errorf("after replace: status %q conversation %s", got.Status, got.Conversation)
	}
	items, _, err := s.ListInputItems(ctx, "resp_1", Page{Order: "asc"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := itemIDs(t, items); !cmp.Equal(ids, []string{"inp_2", "inp_3"}) {
		t.Errorf("input items after replace = %v", ids)
	}

	if err := s.DeleteResponse(ctx, "resp_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetResponse(ctx, "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetResponse after delete err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteResponse(ctx, "resp_1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteResponse err = %v, want ErrNotFound", err)
	}
	if _, _, err := s.ListInputItems(ctx, "resp_1", Page{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("ListInputItems after delete err = %v, want ErrNotFound", err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM input_items`).Scan(&n); err != nil || n != 0 {
		t.Errorf("input items left after delete = %d (%v), want 0", n, err)
	}

	if err := s.PutResponse(ctx, Response{ID: "resp_bad", Input: []json.RawMessage{[]byte(`[`)}}); err == nil {
		t.Error("PutResponse accepted an input item that is not JSON")
	}
}

func itemIDs(t *testing.T, items []json.RawMessage) []string {
	t.Helper()
	ids := []string{}
	for _, it := range items {
		var v struct{ ID string }
		if err := json.Unmarshal(it, &v); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

func TestListInputItems(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	var input []json.RawMessage
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		input = append(input, fmt.Appendf(nil, `{"id":%q,"type":"input_text"}`, id))
	}
	if err := s.PutResponse(ctx, Response{ID: "resp_1", Body: []byte(`{}`), Input: input}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutResponse(ctx, Response{ID: "resp_empty", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		resp     string
		page     Page
		want     []string
		wantMore bool
		wantErr  error
	}{
		{name: "default is desc", resp: "resp_1", want: []string{"e", "d", "c", "b", "a"}},
		{name: "asc limit", resp: "resp_1", page: Page{Order: "asc", Limit: 2}, want: []string{"a", "b"}, wantMore: true},
		{name: "asc after", resp: "resp_1", page: Page{Order: "asc", Limit: 2, After: "b"}, want: []string{"c", "d"}, wantMore: true},
		{name: "asc after near end", resp: "resp_1", page: Page{Order: "asc", Limit: 2, After: "d"}, want: []string{"e"}},
		{name: "asc after last", resp: "resp_1", page: Page{Order: "asc", After: "e"}, want: []string{}},
		{name: "desc after", resp: "resp_1", page: Page{Order: "desc", Limit: 2, After: "d"}, want: []string{"c", "b"}, wantMore: true},
		{name: "desc exact fit", resp: "resp_1", page: Page{Limit: 5}, want: []string{"e", "d", "c", "b", "a"}},
		{name: "desc before", resp: "resp_1", page: Page{Limit: 2, Before: "b"}, want: []string{"d", "c"}, wantMore: true},
		{name: "desc before all fit", resp: "resp_1", page: Page{Before: "b"}, want: []string{"e", "d", "c"}},
		{name: "asc before", resp: "resp_1", page: Page{Order: "asc", Limit: 2, Before: "d"}, want: []string{"b", "c"}, wantMore: true},
		{name: "after and before", resp: "resp_1", page: Page{Order: "asc", After: "a", Before: "e"}, want: []string{"b", "c", "d"}},
		{name: "after and before limited", resp: "resp_1", page: Page{Order: "asc", Limit: 2, After: "a", Before: "e"}, want: []string{"b", "c"}, wantMore: true},
		{name: "limit capped", resp: "resp_1", page: Page{Limit: MaxLimit + 1}, want: []string{"e", "d", "c", "b", "a"}},
		{name: "no items", resp: "resp_empty", want: []string{}},
		{name: "unknown cursor", resp: "resp_1", page: Page{After: "zz"}, wantErr: ErrInvalidPage},
		{name: "bad order", resp: "resp_1", page: Page{Order: "up"}, wantErr: ErrInvalidPage},
		{name: "unknown response", resp: "resp_missing", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, more, err := s.ListInputItems(ctx, tt.resp, tt.page)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if got := itemIDs(t, items); !cmp.Equal(got, tt.want) || more != tt.wantMore {
				t.Errorf("got %v more=%v, want %v more=%v", got, more, tt.want, tt.wantMore)
			}
		})
	}
}
