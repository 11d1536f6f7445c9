package responses

import (
	"mime"
	"net/url"
	"path"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// decodeContent decodes a message's content: a string, null, or a list of content parts.
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
	case "input_text", "output_text", "text", "refusal":
		field := "text"
		if typ.Str == "refusal" {
			field = "refusal"
		}
		t := p.Get(field)
		if t.Type != gjson.String {
			return plugin.Part{}, dialectkit.BadParam(param+"."+field, "%s.%s must be a string", param, field)
		}
		return plugin.Part{Kind: plugin.PartText, Text: t.Str}, nil
	case "input_image":
		return decodeImage(p, param)
	case "input_file":
		return decodeFile(p, param)
	}
	return plugin.Part{}, unsupportedParam(param+".type", "content part type %q is not supported", typ.Str)
}

// decodeImage decodes an input_image part: image_url holds a data URL or an http(s) URL.
func decodeImage(p gjson.Result, param string) (plugin.Part, *plugin.Error) {
	if dialectkit.Present(p.Get("file_id")) {
		return plugin.Part{}, unsupportedParam(param+".file_id", "file_id references are not supported; send the image as a data URL or an http(s) URL in image_url")
	}
	u := p.Get("image_url")
	if u.IsObject() { // the Chat Completions shape {"url": …}
		u = u.Get("url")
	}
	param += ".image_url"
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

// decodeFile decodes an input_file part: file_data holds base64 or a data URL.
func decodeFile(p gjson.Result, param string) (plugin.Part, *plugin.Error) {
	part := plugin.Part{Kind: plugin.PartFile}
	if n := p.Get("filename"); dialectkit.Present(n) {
		if n.Type != gjson.String {
			return part, dialectkit.BadParam(param+".filename", "%s.filename must be a string", param)
		}
		part.Name = n.Str
	}
	for _, field := range [...]string{"file_id", "file_url"} {
		if dialectkit.Present(p.Get(field)) {
			return part, unsupportedParam(param+"."+field, "%s is not supported; send the file inline as file_data", field)
		}
	}
	d := p.Get("file_data")
	if d.Type != gjson.String || d.Str == "" {
		return part, dialectkit.BadParam(param+".file_data", "%s.file_data must be a non-empty base64 string or data URL", param)
	}
	if dialectkit.IsDataURL(d.Str) {
		mt, data, err := dialectkit.ParseDataURL(d.Str, param+".file_data")
		if err != nil {
			return part, err
		}
		part.MIME, part.Data = mt, data
		return part, nil
	}
	data, ok := dialectkit.DecodeBase64(d.Str)
	if !ok {
		return part, dialectkit.BadParam(param+".file_data", "%s.file_data is not valid base64", param)
	}
	part.Data = data
	part.MIME = mime.TypeByExtension(path.Ext(part.Name))
	if part.MIME == "" {
		part.MIME = "application/octet-stream"
	}
	return part, nil
}
