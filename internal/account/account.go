// Package account imports and stores MiMo web account credentials. Parse reads the cookie
// triple from whatever a user pastes: a JSON object, a Cookie header, a cURL command or a
// browser cookie table. Sealer encrypts secrets at rest (AES-256-GCM, "enc:v1:" values) and
// Store keeps imported accounts in an accounts.json file with sealed secrets.
package account

import (
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Cookie names of the credential triple.
const (
	CookieUserID       = "userId"
	CookieServiceToken = "serviceToken"
	CookiePH           = "xiaomichatbot_ph"
	// CookieServiceTokenAlt is another name some exports give the service token.
	CookieServiceTokenAlt = "xiaomichatbot_serviceToken"
)

// Credentials are one account's cookie triple. The secrets print masked.
type Credentials struct {
	// UserID is the userId cookie (decimal digits).
	UserID string
	// ServiceToken is the serviceToken cookie.
	ServiceToken plugin.Secret
	// PH is the xiaomichatbot_ph cookie.
	PH plugin.Secret
}

// Account returns a pool account for the credentials, labelled by the user id.
func (c Credentials) Account() *plugin.Account {
	return &plugin.Account{ID: c.UserID, UserID: c.UserID, ServiceToken: c.ServiceToken, PH: c.PH}
}

// Mask shows at most the first 4 and the last 2 characters of a secret ("***" when short).
func Mask(v string) string { return plugin.Mask(v) }
