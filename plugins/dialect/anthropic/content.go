package anthropic

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeBlock decodes a text, image, document or search_result block of user content.
func decodeBlock(typ string, b gjson.Result, param string) ([]plugin.Part, *plugin.Error) {
	switch typ {
	case "text":
		t := b.Get("text")
		if t.Type != gjson.String {
			return nil, dialectkit.BadParam(param+".text", "%s.text: must be a string", param)
		}
		return textPart(t.Str), nil
	case "image":
		part, err := decodeImage(b.Get("source"), param+".source")
		if err != nil {
			return nil, err
		}
		return []plugin.Part{part}, nil
	case "document":
		return decodeDocument(b, param)
	case "search_result":
		c := b.Get("content")
		if !c.IsArray() {
			return nil, dialectkit.BadParam(param+".content", "%s.content: must be an array of text blocks", param)
		}
		return textBlocks(c, param+".content")
	}
	return nil, dialectkit.BadParam(param+".type", "%s.type: unsupported content block type %q", param, typ)
}

func decodeImage(src gjson.Result, param string) (plugin.Part, *plugin.Error) {
	part := plugin.Part{Kind: plugin.PartImage}
	if !src.IsObject() {
		return part, dialectkit.BadParam(param, "%s: must be an object", param)
	}
	switch typ := src.Get("type").Str; typ {
	case "base64":
		data, mt, err := base64Source(src, param)
		if err != nil {
			return part, err
		}
		part.Data, part.MIME = data, mt
	case "url":
		u, err := httpURL(src.Get("url"), param+".url")
		if err != nil {
			return part, err
		}
		part.URL = u
	default:
		return part, unsupportedSource(param, typ)
	}
	return part, nil
}

// decodeDocument decodes a document block: a base64 PDF or file, a URL, plain text or
// text content blocks.
func decodeDocument(b gjson.Result, param string) ([]plugin.Part, *plugin.Error) {
	src := b.Get("source")
	sp := param + ".source"
	if !src.IsObject() {
		return nil, dialectkit.BadParam(sp, "%s: must be an object", sp)
	}
	part := plugin.Part{Kind: plugin.PartFile}
	if t := b.Get("title"); t.Type == gjson.String {
		part.Name = t.Str
	}
	switch typ := src.Get("type").Str; typ {
	case "base64":
		data, mt, err := base64Source(src, sp)
		if err != nil {
			return nil, err
		}
		part.Data, part.MIME = data, mt
	case "url":
		u, err := httpURL(src.Get("url"), sp+".url")
		if err != nil {
			return nil, err
		}
		part.URL, part.MIME = u, "application/pdf"
	case "text":
		d := src.Get("data")
		if d.Type != gjson.String {
			return nil, dialectkit.BadParam(sp+".data", "%s.data: must be a string", sp)
		}
		return textPart(d.Str), nil
	case "content":
		c := src.Get("content")
		if c.Type == gjson.String {
			return textPart(c.Str), nil
		}
		if !c.IsArray() {
			return nil, dialectkit.BadParam(sp+".content", "%s.content: must be a string or an array of text blocks", sp)
		}
		return textBlocks(c, sp+".content")
	default:
		return nil, unsupportedSource(sp, typ)
	}
	return []plugin.Part{part}, nil
}

// base64Source decodes the data and media type of a base64 source. A missing media type is
// sniffed from the data.
func base64Source(src gjson.Result, param string) ([]byte, string, *plugin.Error) {
	d := src.Get("data")
	if d.Type != gjson.String || d.Str == "" {
		return nil, "", dialectkit.BadParam(param+".data", "%s.data: must be a non-empty base64 string", param)
	}
	data, err := base64.StdEncoding.DecodeString(d.Str)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(d.Str); err != nil {
			return nil, "", dialectkit.BadParam(param+".data", "%s.data: is not valid base64", param)
		}
	}
	mt := src.Get("media_type")
	switch {
	case mt.Type == gjson.String && mt.Str != "":
		return data, strings.ToLower(mt.Str), nil
	case dialectkit.Present(mt) && mt.Type != gjson.String:
		return nil, "", dialectkit.BadParam(param+".media_type", "%s.media_type: must be a string", param)
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(data), ";")
	return data, sniffed, nil
}

func httpURL(v gjson.Result, param string) (string, *plugin.Error) {
	if v.Type != gjson.String || v.Str == "" {
		return "", dialectkit.BadParam(param, "%s: must be a non-empty URL string", param)
	}
	if u, err := url.Parse(v.Str); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", dialectkit.BadParam(param, "%s: must be an http(s) URL", param)
	}
	return v.Str, nil
}

func unsupportedSource(param, typ string) *plugin.Error {
	if typ == "file" {
		return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeUnsupported, Param: param + ".type",
			Message: param + ".type: file sources are not supported; send the content inline as base64"}
	}
	return dialectkit.BadParam(param+".type", "%s.type: unsupported source type %q", param, typ)
}
