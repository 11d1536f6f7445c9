package inline

import (
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/mimo2api/mimo2api/internal/fetch"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// maxNameRunes bounds a file name sent upstream and shown in placeholders.
const maxNameRunes = 100

// Supported image types; the upstream's image understanding takes these.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Supported audio types (omni models only), with their canonical form.
var audioTypes = map[string]string{
	"audio/wav": "audio/wav", "audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/vnd.wave": "audio/wav",
	"audio/mpeg": "audio/mpeg", "audio/mp3": "audio/mpeg", "audio/mpeg3": "audio/mpeg", "audio/x-mpeg-3": "audio/mpeg",
}

// textApplicationTypes are application/* types whose content is text.
var textApplicationTypes = map[string]bool{
	"application/json": true, "application/xml": true, "application/yaml": true, "application/x-yaml": true,
	"application/toml": true, "application/javascript": true, "application/x-javascript": true,
	"application/typescript": true, "application/x-sh": true, "application/sql": true, "application/csv": true,
	"application/x-ndjson": true, "application/ld+json": true, "application/x-httpd-php": true,
	"application/x-python": true,
}

// baseType returns the lower-case media type without parameters, or "" when malformed.
func baseType(v string) string {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// sniff returns the media type detected from the content.
func sniff(data []byte) string { return baseType(http.DetectContentType(data)) }

// isText reports whether a media type is a text-like file type.
func isText(mt string) bool {
	return strings.HasPrefix(mt, "text/") || textApplicationTypes[mt] ||
		strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
}

// audioModel reports whether the upstream model understands audio input.
func audioModel(model string) bool { return strings.Contains(strings.ToLower(model), "omni") }

// classify decides the media type to upload a part's content as, or refuses it. declared is the
// type the client or the remote server gave (possibly empty or generic), name the client's file
// name. Images are judged by their bytes: a declared image that is not a png, jpeg, gif or webp
// image is refused.
func classify(kind plugin.PartKind, declared, name string, data []byte, model string) (string, *plugin.Error) {
	mt := baseType(declared)
	if mt == "image/jpg" || mt == "image/pjpeg" {
		mt = "image/jpeg"
	}
	if fetch.Generic(mt) && name != "" {
		mt = baseType(mime.TypeByExtension(strings.ToLower(path.Ext(name))))
	}
	sniffed := sniff(data)
	if fetch.Generic(mt) {
		mt = sniffed
	}
	if strings.HasPrefix(mt, "image/") || kind == plugin.PartImage {
		if imageTypes[sniffed] {
			return sniffed, nil
		}
		if imageTypes[mt] {
			return "", plugin.BadRequest("unsupported media type: the %s content is not a valid %s image", mt, strings.TrimPrefix(mt, "image/"))
		}
		return "", unsupported(mt, "images must be png, jpeg, gif or webp")
	}
	if canon, ok := audioTypes[mt]; ok || kind == plugin.PartAudio {
		if !ok {
			return "", unsupported(mt, "audio must be wav or mp3")
		}
		if !audioModel(model) {
			return "", unsupported(mt, "audio input needs an omni model such as mimo-v2-omni")
		}
		return canon, nil
	}
	switch {
	case mt == "application/pdf":
		return mt, nil
	case isText(mt):
		return "text/plain", nil
	case sniffed == "text/plain" && strings.HasPrefix(mt, "application/"):
		return "text/plain", nil // source code and data files under vendor types
	}
	return "", unsupported(mt, "files must be text or pdf")
}

func unsupported(mt, hint string) *plugin.Error {
	if mt == "" {
		mt = "(unknown)"
	}
	return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeUnsupported,
		Message: "unsupported media type " + mt + ": " + hint}
}

// fileName returns the name to upload a file part under: the base of the client's name without
// control characters and brackets (it also appears in the placeholder), or "file.<ext>".
func fileName(name, mt string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '[' || r == ']' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name))
	if r := []rune(name); len(r) > maxNameRunes {
		ext := []rune(path.Ext(name))
		if len(ext) > 10 {
			ext = nil
		}
		name = string(r[:maxNameRunes-len(ext)]) + string(ext)
	}
	if name != "" && name != "." && name != ".." {
		return name
	}
	if mt == "application/pdf" {
		return "file.pdf"
	}
	return "file.txt"
}
