package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Errors of Parse. They never contain a credential value.
var (
	ErrEmpty    = errors.New("account: no credentials given")
	ErrNoCookie = errors.New("account: the cURL command carries no cookies (-b/--cookie or a Cookie header)")
)

// MissingError names the cookies an input lacks.
type MissingError struct {
	// Names are the missing cookie names.
	Names []string
}

// Error implements error.
func (e *MissingError) Error() string {
	return "account: missing cookie " + strings.Join(e.Names, ", ")
}

// Parse extracts the credential triple from any of the accepted inputs:
//
//   - a JSON object with serviceToken (or service_token, xiaomichatbot_serviceToken), userId
//     (or user_id) and xiaomichatbot_ph (or ph), or a JSON array of {"name","value"} cookies;
//   - a Cookie header value, with or without the "Cookie:" prefix;
//   - a cURL command (-b/--cookie, or -H with a Cookie header, in any quoting, with line
//     continuations);
//   - a cookie table pasted from the browser's developer tools (rows of name, value, domain, …
//     separated by tabs or spaces).
//
// Surrounding double quotes are stripped from values. Errors name what is missing or malformed
// and never echo a value.
func Parse(input string) (Credentials, error) {
	s := strings.TrimSpace(strings.TrimPrefix(input, "\ufeff"))
	if s == "" {
		return Credentials{}, ErrEmpty
	}
	var (
		jar cookies
		err error
	)
	switch {
	case s[0] == '{' || s[0] == '[':
		jar, err = parseJSON(s)
	case isCurl(s):
		jar, err = parseCurl(s)
	default:
		jar = parseTable(s)
		if !jar.any() {
			jar = parseHeader(s, nil)
		}
	}
	if err != nil {
		return Credentials{}, err
	}
	return jar.credentials()
}

// cookies collects cookie values by lower-cased name; the first value of a name wins.
type cookies map[string]string

func (j cookies) add(name, value string) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return
	}
	if _, ok := j[name]; !ok {
		j[name] = unquote(strings.TrimSpace(value))
	}
}

func (j cookies) any() bool {
	for _, n := range [...]string{CookieUserID, CookieServiceToken, CookieServiceTokenAlt, CookiePH} {
		if _, ok := j[strings.ToLower(n)]; ok {
			return true
		}
	}
	return false
}

func (j cookies) credentials() (Credentials, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := j[strings.ToLower(n)]; v != "" {
				return v
			}
		}
		return ""
	}
	c := Credentials{
		UserID:       get(CookieUserID),
		ServiceToken: plugin.Secret(get(CookieServiceToken, CookieServiceTokenAlt)),
		PH:           plugin.Secret(get(CookiePH)),
	}
	var missing []string
	if c.ServiceToken == "" {
		missing = append(missing, CookieServiceToken)
	}
	if c.UserID == "" {
		missing = append(missing, CookieUserID)
	}
	if c.PH == "" {
		missing = append(missing, CookiePH)
	}
	if missing != nil {
		return Credentials{}, &MissingError{Names: missing}
	}
	for _, r := range c.UserID {
		if r < '0' || r > '9' {
			return Credentials{}, errors.New("account: cookie userId must be decimal digits")
		}
	}
	for name, v := range map[string]string{CookieServiceToken: c.ServiceToken.Reveal(), CookiePH: c.PH.Reveal()} {
		if !validValue(v) {
			return Credentials{}, fmt.Errorf("account: cookie %s holds characters a cookie value cannot carry", name)
		}
	}
	return c, nil
}

// validValue reports whether v can be sent in a Cookie header as is.
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == ';' || c == ',' || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return true
}

// unquote strips one pair of surrounding double quotes.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// parseHeader adds the name=value pairs of a Cookie header (optionally prefixed "Cookie:").
func parseHeader(s string, jar cookies) cookies {
	if jar == nil {
		jar = cookies{}
	}
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "cookie:") {
		s = s[7:]
	}
	for pair := range strings.SplitSeq(s, ";") {
		name, value, ok := strings.Cut(pair, "=")
		if ok {
			jar.add(name, value)
		}
	}
	return jar
}

// parseTable reads rows of a developer-tools cookie table: the first two fields of each line,
// split by tabs when the line has any, otherwise by runs of spaces, are the name and value.
func parseTable(s string) cookies {
	jar := cookies{}
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		var fields []string
		if strings.Contains(line, "\t") {
			fields = strings.Split(line, "\t")
		} else {
			fields = strings.Fields(line)
		}
		if len(fields) < 2 {
			continue
		}
		name := strings.TrimSpace(fields[0])
		if name == "" || strings.ContainsAny(name, "=;:") {
			continue
		}
		jar.add(name, fields[1])
	}
	return jar
}

// parseJSON reads a JSON object of credential fields or an array of {"name","value"} cookies.
func parseJSON(s string) (cookies, error) {
	jar := cookies{}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if s[0] == '[' {
		var list []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		}
		if err := dec.Decode(&list); err != nil {
			return nil, errors.New("account: the JSON input is not an array of {\"name\",\"value\"} cookies")
		}
		for _, c := range list {
			jar.add(c.Name, c.Value)
		}
		return jar, nil
	}
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, errors.New("account: the JSON input is not a valid object")
	}
	aliases := map[string]string{"service_token": CookieServiceToken, "user_id": CookieUserID, "ph": CookiePH}
	for k, v := range obj {
		var val string
		switch v := v.(type) {
		case string:
			val = v
		case json.Number:
			val = v.String()
		default:
			continue
		}
		if to, ok := aliases[strings.ToLower(k)]; ok {
			k = to
		}
		jar.add(k, val)
	}
	return jar, nil
}

// isCurl reports whether s starts with a curl command word.
func isCurl(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	w = strings.TrimSuffix(strings.ToLower(w), ".exe")
	return w == "curl" || strings.HasPrefix(s, "curl\t") || strings.HasPrefix(s, "curl\n")
}

// parseCurl collects the cookies of a curl command's -b/--cookie options and Cookie headers.
func parseCurl(s string) (cookies, error) {
	args, err := shellSplit(s)
	if err != nil {
		return nil, err
	}
	jar := cookies{}
	found := false
	for i := 1; i < len(args); i++ {
		a := args[i]
		var cookie, header string
		var next bool
		switch {
		case a == "-b" || a == "--cookie":
			next = true
		case a == "-H" || a == "--header":
			next = true
		}
		if next {
			if i+1 >= len(args) {
				break
			}
			i++
			if a == "-b" || a == "--cookie" {
				cookie = args[i]
			} else {
				header = args[i]
			}
		} else {
			switch {
			case strings.HasPrefix(a, "--cookie="):
				cookie = a[len("--cookie="):]
			case strings.HasPrefix(a, "--header="):
				header = a[len("--header="):]
			case strings.HasPrefix(a, "-b") && len(a) > 2:
				cookie = a[2:]
			case strings.HasPrefix(a, "-H") && len(a) > 2:
				header = a[2:]
			}
		}
		if header != "" {
			name, value, ok := strings.Cut(header, ":")
			if ok && strings.EqualFold(strings.TrimSpace(name), "cookie") {
				cookie = value
			}
		}
		if strings.Contains(cookie, "=") { // "-b file" names a cookie file, not cookies
			parseHeader(cookie, jar)
			found = true
		}
	}
	if !found {
		return nil, ErrNoCookie
	}
	return jar, nil
}

// shellSplit splits a POSIX shell command line into words: single quotes, double quotes with
// backslash escapes, $'…' strings, backslash escapes and backslash-newline continuations (and
// the cmd.exe "^" continuation).
func shellSplit(s string) ([]string, error) {
	var (
		words []string
		cur   bytes.Buffer
		in    bool // inside a word
	)
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '^' && i+1 < len(s) && (s[i+1] == '\n' || s[i+1] == '\r'):
			if i+1 >= len(s) {
				continue
			}
			if s[i+1] == '\r' && i+2 < len(s) && s[i+2] == '\n' {
				i += 2
				continue
			}
			if s[i+1] == '\n' {
				i++
				continue
			}
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			flush()
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("account: unterminated single quote in the cURL command")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '$' && i+1 < len(s) && s[i+1] == '\'':
			j, err := ansiQuoted(s[i+2:], &cur)
			if err != nil {
				return nil, err
			}
			i += 2 + j
			in = true
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\"\\$`\n", s[j+1]) >= 0 {
					j++
					if s[j] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("account: unterminated double quote in the cURL command")
			}
			i = j
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	flush()
	return words, nil
}

// ansiQuoted decodes the body of a $'…' string into b and returns the index of its closing quote.
func ansiQuoted(s string, b *bytes.Buffer) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			return i, nil
		case '\\':
			if i+1 >= len(s) {
				break
			}
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'x':
				if i+2 < len(s) {
					if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
						b.WriteByte(byte(v))
						i += 2
						continue
					}
				}
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return 0, errors.New("account: unterminated $'…' string in the cURL command")
}
