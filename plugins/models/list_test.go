package models

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func TestList(t *testing.T) {
	l := plugintest.Load[*List](t, plugintest.NewHost(t), "models.list", ``)
	ex := plugintest.NewExchange("/v1/models", "")
	if err := l.Call(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID            string `json:"id"`
			Object        string `json:"object"`
			OwnedBy       string `json:"owned_by"`
			ContextWindow int    `json:"context_window"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ex.Response.Body, &list); err != nil {
		t.Fatal(err)
	}
	if list.Object != "list" || len(list.Data) != 2 || list.Data[0].ID != "mimo-v2.5-pro" || list.Data[0].ContextWindow != 1048576 || list.Data[1].OwnedBy != "xiaomi" {
		t.Fatalf("list = %+v", list)
	}
}

func TestGet(t *testing.T) {
	l := plugintest.Load[*List](t, plugintest.NewHost(t), "models.list", `{"models":[{"id":"custom-\"model","owned_by":"me"}]}`)
	ex := plugintest.NewExchange("/v1/models/x", "")
	ex.HTTP.SetPathValue("id", `custom-"model`)
	if err := l.Call(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(ex.Response.Body, &m); err != nil || m["id"] != `custom-"model` || m["owned_by"] != "me" {
		t.Fatalf("model = %s (%v)", ex.Response.Body, err)
	}
	ex.HTTP.SetPathValue("id", "nope")
	err := l.Call(context.Background(), ex)
	if pe, ok := errors.AsType[*plugin.Error](err); !ok || pe.Status != 404 {
		t.Fatalf("unknown id: %v", err)
	}
}
