package mail

import (
	"net"
	"net/mail"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// EmailConfiguration is tenant.emailConfiguration. The type lives in
// storage so that storage.Tenant can hold it; this package validates it and
// sends with it.
type EmailConfiguration = storage.EmailConfiguration

// Security values of emailConfiguration.security. FusionAuth's docs pair
// NONE with port 25, SSL with 465 and TLS with 587
// (https://fusionauth.io/docs/customize/email-and-messages/configure-email):
// SSL is TLS from the first byte (RFC 8314 implicit TLS), TLS is STARTTLS
// (RFC 3207) — and here a required one: a server that does not offer it is
// an error, never a silent fall back to plain text.
const (
	SecurityNone = "NONE"
	SecuritySSL  = "SSL"
	SecurityTLS  = "TLS"
)

// FieldError is one problem with a field, in FusionAuth's terms: the HTTP
// layer writes it as fieldErrors[Field] = [{code, message}].
type FieldError struct {
	Field   string // e.g. tenant.emailConfiguration.port
	Code    string // e.g. [invalid]tenant.emailConfiguration.port
	Message string
}

// ValidateEmailConfiguration checks c and lists every problem at once.
// prefix is the JSON path of c, e.g. "tenant.emailConfiguration".
func ValidateEmailConfiguration(c EmailConfiguration, prefix string) []FieldError {
	var errs []FieldError
	add := func(field, code, msg string) {
		f := prefix + "." + field
		errs = append(errs, FieldError{Field: f, Code: "[" + code + "]" + f, Message: msg})
	}
	if c.Port < 0 || c.Port > 65535 {
		add("port", "invalid", "port must be between 1 and 65535")
	}
	if strings.ContainsAny(c.Host, " /\r\n") {
		add("host", "invalid", "host must be a host name or an IP address")
	}
	switch c.Security {
	case "", SecurityNone, SecuritySSL, SecurityTLS:
	default:
		add("security", "invalid", "security must be NONE, SSL or TLS")
	}
	if (c.Security == "" || c.Security == SecurityNone) && c.Username != "" && !isLoopback(c.Host) {
		// latchkey never sends SMTP credentials in clear text over a network
		// (go-mail refuses PLAIN there too); FusionAuth would.
		add("security", "notAllowed", "a username and password need security SSL or TLS unless the host is loopback")
	}
	if c.DefaultFromEmail != "" {
		if a, err := mail.ParseAddress(c.DefaultFromEmail); err != nil || a.Address != c.DefaultFromEmail {
			add("defaultFromEmail", "notEmail", "defaultFromEmail must be an email address")
		}
	}
	if strings.ContainsAny(c.DefaultFromName, "\r\n") {
		add("defaultFromName", "invalid", "defaultFromName must be one line")
	}
	for _, h := range c.AdditionalHeaders {
		if !validHeaderName(h.Name) || strings.ContainsAny(h.Value, "\r\n") {
			add("additionalHeaders", "invalid", "each header needs a name of letters, digits and '-', and a one-line value")
			break
		}
	}
	switch c.Unverified.Behavior {
	case "", "Allow", "Gated":
	default:
		add("unverified.behavior", "invalid", "unverified.behavior must be Allow or Gated")
	}
	switch c.VerificationStrategy {
	case "", "ClickableLink":
	case "FormField":
		if c.Unverified.Behavior != "Gated" {
			add("verificationStrategy", "invalid", "FormField needs unverified.behavior Gated")
		}
	default:
		add("verificationStrategy", "invalid", "verificationStrategy must be ClickableLink or FormField")
	}
	return errs
}

func validHeaderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "" || strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// endpoint is where c says to connect, with FusionAuth's defaults
// (localhost, port 25).
func endpoint(c EmailConfiguration) (host string, port int) {
	host, port = c.Host, c.Port
	if host == "" {
		host = "localhost"
	}
	if port == 0 {
		port = 25
	}
	return host, port
}
