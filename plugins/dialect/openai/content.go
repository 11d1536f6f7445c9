package openai

import (
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeContent decodes a message's content: a string, null, or an array of content parts.
func decodeContent(v gjson.Result, param string) ([]plugin.Part, *plugin.Error) {
	return dialectkit.Content(v, param, decodePart)
}

func decodePart(p gjson.Result, param string) (plugin.Part, *plugin.Error) {
	if !p.IsObject() {
		return plugin.Part{}, dialectkit.BadParam(param, "%s must be an object", param)
	}
	typ := p.Get("type")
	if typ.Type != gjson.String {
		return plugin.Part{}, dialectkit.BadParam(param+".type", "%s.type must be a string", param)
	}
	switch typ.Str {
	case "text", "refusal":
		t := p.Get(typ.Str)
		if t.Type != gjson.String {
			return plugin.Part{}, dialectkit.BadParam(param+"."+typ.Str, "%s.%s must be a string", param, typ.Str)
		}
		return plugin.Part{Kind: plugin.PartText, Text: t.Str}, nil
	case "image_url":
		return decodeImage(p.Get("image_url"), param+".image_url")
	case "input_audio":
		return decodeAudio(p.Get("input_audio"), param+".input_audio")
	case "file":
		return decodeFile(p.Get("file"), param+".file")
	}
	return plugin.Part{}, dialectkit.BadParam(param+".type", "content part type %q is not supported", typ.Str)
}

func decodeImage(v gjson.Result, param string) (plugin.Part, *plugin.Error) {
	u := v
	if v.IsObject() {
		u, param = v.Get("url"), param+".url"
	}
	if u.Type != gjson.String || u.Str == "" {
		return plugin.Part{}, dialectkit.BadParam(param, "%s must be a non-empty URL string", param)
	}
	if dialectkit.IsDataURL(u.Str) {
		mt, data, err := dialectkit.ParseDataURL(u.Str, param)
		if err != nil {
			return plugin.Part{}, err
		}
		return plugin.Part{Kind: plugin.PartImage, MIME: mt, Data: data}, nil
	}
	if pu, err := url.Parse(u.Str); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return plugin.Part{}, dialectkit.BadParam(param, "%s must be an http(s) URL or a base64 data URL", param)
	}
	return plugin.Part{Kind: plugin.PartImage, URL: u.Str}, nil
}

func decodeAudio(v gjson.Result, param string) (plugin.Part, *plugin.Error) {
	if !v.IsObject() {
		return plugin.Part{}, dialectkit.BadParam(param, "%s must be an object", param)
	}
	format := v.Get("format")
	if format.Type != gjson.String || format.Str == "" {
		return plugin.Part{}, dialectkit.BadParam(param+".format", "%s.format must be a non-empty string", param)
	}
	d := v.Get("data")
	if d.Type != gjson.String || d.Str == "" {
		return plugin.Part{}, dialectkit.BadParam(param+".data", "%s.data must be a non-empty base64 string", param)
	}
	data, ok := dialectkit.DecodeBase64(d.Str)
	if !ok {
		return plugin.Part{}, dialectkit.BadParam(param+".data", "%s.data is not valid base64", param)
	}
	mt := "audio/" + strings.ToLower(format.Str)
	if format.Str == "mp3" {
		mt = "audio/mpeg"
	}
	return plugin.Part{Kind: plugin.PartAudio, MIME: mt, Data: data}, nil
}

func decodeFile(v gjson.Result, param string) (plugin.Part, *plugin.Error) {
	if !v.IsObject() {
		return plugin.Part{}, dialectkit.BadParam(param, "%s must be an object", param)
	}
	part := plugin.Part{Kind: plugin.PartFile}
	if n := v.Get("filename"); dialectkit.Present(n) {
		if n.Type != gjson.String {
			return part, dialectkit.BadParam(param+".filename", "%s.filename must be a string", param)
		}
		part.Name = n.Str
	}
	if id := v.Get("file_id"); dialectkit.Present(id) {
		return part, &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Param: param + ".file_id",
			Message: "file_id references are not supported; send the file inline as file_data"}
	}
	field := "file_data"
	d := v.Get(field)
	if !dialectkit.Present(d) {
		field, d = "data", v.Get("data")
	}
	if d.Type != gjson.String || d.Str == "" {
		return part, dialectkit.BadParam(param+".file_data", "%s.file_data must be a non-empty base64 string or data URL", param)
	}
	if dialectkit.IsDataURL(d.Str) {
		mt, data, err := dialectkit.ParseDataURL(d.Str, param+"."+field)
		if err != nil {
			return part, err
		}
		part.MIME, part.Data = mt, data
		return part, nil
	}
	data, ok := dialectkit.DecodeBase64(d.Str)
	if !ok {
		return part, dialectkit.BadParam(param+"."+field, "%s.%s is not valid base64", param, field)
	}
	part.Data = data
	part.MIME = mime.TypeByExtension(path.Ext(part.Name))
	if part.MIME == "" {
		part.MIME = "application/octet-stream"
	}
	return part, nil
}
