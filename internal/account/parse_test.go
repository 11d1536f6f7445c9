package account

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const (
	tok = "V1:abcDEF+/123tokenvalue=="
	uid = "1234567890"
	ph  = "pH+/value0123=="
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"json triple", `{"serviceToken":"` + tok + `","userId":"` + uid + `","xiaomichatbot_ph":"` + ph + `"}`},
		{"json snake case, numeric id, quoted values", `{"service_token":"\"` + tok + `\"","user_id":` + uid + `,"xiaomichatbot_ph":"\"` + ph + `\""}`},
		{"json alias name", `{"xiaomichatbot_serviceToken":"` + tok + `","userId":"` + uid + `","ph":"` + ph + `"}`},
		{"json cookie array", `[{"name":"serviceToken","value":"` + tok + `","domain":".xiaomimimo.com"},{"name":"userId","value":"` + uid + `"},{"name":"xiaomichatbot_ph","value":"` + ph + `"}]`},
		{"header", `serviceToken="` + tok + `"; userId=` + uid + `; xiaomichatbot_ph="` + ph + `"`},
		{"header with prefix and other cookies", "Cookie: a=b; serviceToken=" + tok + ";userId=" + uid + "; cUserId=xyz; xiaomichatbot_ph=" + ph + ";"},
		{"header alias name", "xiaomichatbot_serviceToken=" + tok + "; userId=" + uid + "; xiaomichatbot_ph=" + ph},
		{"curl -b", `curl 'https://aistudio.xiaomimimo.com/open-apis/bot/chat' -b 'serviceToken="` + tok + `"; userId=` + uid + `; xiaomichatbot_ph="` + ph + `"' -H 'accept: */*'`},
		{"curl --cookie double quoted", `curl "https://x" --cookie "serviceToken=\"` + tok + `\"; userId=` + uid + `; xiaomichatbot_ph=` + ph + `"`},
		{"curl -H Cookie with continuations", "curl 'https://aistudio.xiaomimimo.com/open-apis/bot/chat?xiaomichatbot_ph=x' \\\n  -H 'accept: */*' \\\n  -H 'Cookie: serviceToken=" + tok + "; userId=" + uid + "; xiaomichatbot_ph=" + ph + "' \\\n  --data-raw '{\"query\":\"hi\"}'"},
		{"curl -H lower-case cookie in double quotes, CRLF", "curl \"https://x\" \\\r\n  -H \"cookie: serviceToken=" + tok + "; userId=" + uid + "; xiaomichatbot_ph=" + ph + "\""},
		{"curl $'…' and --header=", `curl https://x --header=$'Cookie: serviceToken=` + tok + `; userId=` + uid + `; xiaomichatbot_ph=` + ph + `'`},
		{"curl cmd.exe continuation", "curl \"https://x\" ^\n  -b \"serviceToken=" + tok + "; userId=" + uid + "; xiaomichatbot_ph=" + ph + "\""},
		{"devtools table, tabs", "Name\tValue\tDomain\tPath\n" +
			"serviceToken\t\"" + tok + "\"\t.xiaomimimo.com\t/\t2026-01-01\t120\t✓\t✓\n" +
			"userId\t" + uid + "\t.xiaomimimo.com\t/\n" +
			"xiaomichatbot_ph\t\"" + ph + "\"\taistudio.xiaomimimo.com\t/\n"},
		{"devtools table, spaces", "serviceToken   " + tok + "   .xiaomimimo.com   /\nuserId  " + uid + "  .xiaomimimo.com\n  xiaomichatbot_ph " + ph + " aistudio.xiaomimimo.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if c.UserID != uid || c.ServiceToken.Reveal() != tok || c.PH.Reveal() != ph {
				t.Errorf("got %s / %s / %s", c.UserID, Mask(c.ServiceToken.Reveal()), Mask(c.PH.Reveal()))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, input string
		want        string
		missing     []string
	}{
		{name: "empty", input: "  ", want: "no credentials"},
		{name: "missing ph", input: "serviceToken=" + tok + "; userId=" + uid, missing: []string{"xiaomichatbot_ph"}},
		{name: "missing all", input: "a=b; c=d", missing: []string{"serviceToken", "userId", "xiaomichatbot_ph"}},
		{name: "json missing token", input: `{"userId":"` + uid + `","xiaomichatbot_ph":"` + ph + `"}`, missing: []string{"serviceToken"}},
		{name: "curl without cookies", input: "curl 'https://x' -H 'accept: */*' -b cookies.txt", want: "carries no cookies"},
		{name: "curl unterminated quote", input: "curl 'https://x' -b 'serviceToken=" + tok, want: "unterminated"},
		{name: "bad user id", input: "serviceToken=" + tok + "; userId=abc" + uid + "; xiaomichatbot_ph=" + ph, want: "decimal digits"},
		{name: "bad json", input: `{"serviceToken":"` + tok, want: "not a valid object"},
		{name: "space in token", input: `{"serviceToken":"` + tok + ` x","userId":"` + uid + `","xiaomichatbot_ph":"` + ph + `"}`, want: "cannot carry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.input)
			if err == nil {
				t.Fatal("no error")
			}
			for _, secret := range []string{tok, ph, uid} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error echoes a credential value")
				}
			}
			if tt.missing != nil {
				var me *MissingError
				if !errors.As(err, &me) || fmt.Sprint(me.Names) != fmt.Sprint(tt.missing) {
					t.Fatalf("err = %v, want missing %v", err, tt.missing)
				}
				return
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCredentialsPrintMasked(t *testing.T) {
	c, err := Parse("serviceToken=" + tok + "; userId=" + uid + "; xiaomichatbot_ph=" + ph)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, tok) || strings.Contains(s, ph) {
			t.Fatalf("printing credentials reveals a secret")
		}
	}
	if got := Mask(tok); got != "V1:a…==" {
		t.Errorf("Mask = %q", got)
	}
	if a := c.Account(); a.ID != uid || a.ServiceToken.Reveal() != tok {
		t.Errorf("account = %v", a)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("curl 'x' -b 'serviceToken=a; userId=1; xiaomichatbot_ph=b'")
	f.Add(`{"serviceToken":"a","userId":1}`)
	f.Add("serviceToken\ta\nuserId 1")
	f.Add("curl $'\\x41' \"a\\\"b\" \\\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err == nil && (c.UserID == "" || c.ServiceToken == "" || c.PH == "" || !validValue(c.PH.Reveal())) {
			t.Fatalf("accepted incomplete or invalid credentials")
		}
	})
}
