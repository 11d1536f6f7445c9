package store

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"
)

func BenchmarkPutMessage(b *testing.B) {
	ctx := context.Background()
	s := open(b, nil)
	body := append([]byte(`{"type":"message","content":[{"type":"text","text":"`), bytes.Repeat([]byte("x"), 1024)...)
	body = append(body, `"}]}`...)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	i := 0
	for b.Loop() {
		if err := s.PutMessage(ctx, Message{ID: "msg_" + strconv.Itoa(i), Model: "mimo-v2.5", Body: body}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkGetMessage(b *testing.B) {
	ctx := context.Background()
	s := open(b, nil)
	if err := s.PutMessage(ctx, Message{ID: "msg_1", Body: []byte(`{"type":"message"}`)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetMessage(ctx, "msg_1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkClaimFinish(b *testing.B) {
	ctx := context.Background()
	s := open(b, nil)
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(b.N)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, ok, err := s.ClaimRequest(ctx, "w", time.Minute)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		if err := s.FinishRequest(ctx, r.BatchID, r.CustomID, RequestSucceeded, []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
