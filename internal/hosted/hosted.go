package hosted

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/text/language"
)

//go:embed templates/*.html static/styles.css messages/*.json
var builtin embed.FS

// Pages a theme may override, and the layout they are drawn in.
var pages = []string{"login", "error", "logout", "twofactor", "register"}

// DefaultTheme is the id of the built-in theme.
const DefaultTheme = "default"

// Renderer renders the hosted pages. It is built once (New) and safe for
// concurrent use.
type Renderer struct {
	themes map[string]*theme
}

// theme is one parsed theme: a template set per page, the stylesheet and
// the message bundles, each falling back to the built-in theme's.
type theme struct {
	id       string
	pages    map[string]*template.Template
	css      []byte
	cssTag   string // content hash, so a changed stylesheet is fetched again
	messages map[language.Tag]map[string]string
}

// New parses the built-in theme and every theme directory in dir (nil: none).
// A template that does not parse, or a message bundle that is not a JSON
// object of strings, is an error naming the file: a broken theme stops the
// start, not a login.
func New(dir fs.FS) (*Renderer, error) {
	base, err := loadTheme(DefaultTheme, builtin, nil)
	if err != nil {
		return nil, fmt.Errorf("hosted: built-in theme: %w", err)
	}
	r := &Renderer{themes: map[string]*theme{DefaultTheme: base}}
	if dir == nil {
		return r, nil
	}
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		return nil, fmt.Errorf("hosted: themes: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == DefaultTheme {
			continue
		}
		sub, err := fs.Sub(dir, e.Name())
		if err != nil {
			return nil, err
		}
		t, err := loadTheme(e.Name(), overlay{sub}, base)
		if err != nil {
			return nil, fmt.Errorf("hosted: theme %s: %w", e.Name(), err)
		}
		r.themes[e.Name()] = t
	}
	return r, nil
}

// overlay maps a theme directory's flat files onto the built-in layout.
type overlay struct{ fs.FS }

func (o overlay) ReadFile(name string) ([]byte, error) { return fs.ReadFile(o.FS, path.Base(name)) }

type readFS interface {
	ReadFile(name string) ([]byte, error)
}

// loadTheme reads a theme from src; missing files come from base.
func loadTheme(id string, src readFS, base *theme) (*theme, error) {
	t := &theme{id: id, pages: map[string]*template.Template{}, messages: map[language.Tag]map[string]string{}}
	layout, err := pick(src, base, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	// The passkey script is latchkey's, not a theme's: a theme's login page
	// may include it ({{template "passkey-script"}}) but not replace it.
	script, err := builtin.ReadFile("templates/passkey.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		body, err := pick(src, base, "templates/"+p+".html")
		if err != nil {
			return nil, err
		}
		tpl, err := template.New(p).Parse(string(layout))
		if err == nil {
			_, err = tpl.Parse(string(script))
		}
		if err == nil {
			_, err = tpl.Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("%s.html: %w", p, err)
		}
		t.pages[p] = tpl
	}
	if t.css, err = pick(src, base, "static/styles.css"); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(t.css)
	t.cssTag = hex.EncodeToString(sum[:8])
	for _, tag := range Supported {
		msgs := map[string]string{}
		if base != nil {
			for k, v := range base.messages[tag] {
				msgs[k] = v
			}
		}
		name := "messages/" + tag.String() + ".json"
		if base != nil {
			name = "messages." + tag.String() + ".json"
		}
		b, err := src.ReadFile(name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if err == nil {
			var own map[string]string
			if err := json.Unmarshal(b, &own); err != nil {
				return nil, fmt.Errorf("%s: %w", path.Base(name), err)
			}
			for k, v := range own {
				msgs[k] = v
			}
		}
		t.messages[tag] = msgs
	}
	return t, nil
}

// pick reads name from src, else base's copy (built-in).
func pick(src readFS, base *theme, name string) ([]byte, error) {
	b, err := src.ReadFile(name)
	if err == nil || base == nil || !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	return builtin.ReadFile(name)
}

// Theme returns the id of the theme for an application and tenant: the
// application's own, else the tenant's, else the built-in one.
func (r *Renderer) Theme(applicationID, tenantID string) string {
	for _, id := range []string{applicationID, tenantID} {
		if _, ok := r.themes[id]; ok && id != "" {
			return id
		}
	}
	return DefaultTheme
}

// CSS returns a theme's stylesheet and its content tag; ok is false for an
// unknown theme.
func (r *Renderer) CSS(themeID string) (css []byte, tag string, ok bool) {
	t, ok := r.themes[themeID]
	if !ok {
		return nil, "", false
	}
	return t.css, t.cssTag, true
}

// CSSPath is where a page of the theme loads its stylesheet from.
func (r *Renderer) CSSPath(themeID string) string {
	t := r.themes[themeID]
	if t == nil {
		t = r.themes[DefaultTheme]
	}
	return "/theme/" + t.id + "/styles.css?v=" + t.cssTag
}

// Render writes page (login, register, twofactor, error or logout) of themeID in lang to w. The
// page is rendered to a buffer first, so a template error never leaves half
// a page on the wire.
func (r *Renderer) Render(w io.Writer, page, themeID string, lang language.Tag, d *Data) error {
	t := r.themes[themeID]
	if t == nil {
		t = r.themes[DefaultTheme]
	}
	tpl := t.pages[page]
	if tpl == nil {
		return fmt.Errorf("hosted: no page %q", page)
	}
	d.Lang, d.CSS, d.messages = lang.String(), r.CSSPath(t.id), t.messages[lang]
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout", d); err != nil {
		return fmt.Errorf("hosted: render %s: %w", page, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Data is what the pages show. Every value is escaped by html/template.
type Data struct {
	Lang, CSS string
	messages  map[string]string

	// Login page.
	AppName   string
	Action    string
	Hidden    []Field
	CSRF      string
	LoginID   string
	Error     string // a message key
	Providers []Provider
	// ManagedDomains: an identity provider offered here signs in the
	// users of some email domains; the page says an address there needs
	// no password.
	ManagedDomains bool
	// LinkProvider and LinkAccount: a sign-in through that provider with
	// that account waits for a link; signing in here links it.
	LinkProvider, LinkAccount string
	// Passkey: the page offers a passkey login; its script runs with
	// Nonce (the response's CSP allows that nonce only) and starts the
	// ceremony for ApplicationID.
	Passkey       bool
	Nonce         string
	ApplicationID string
	// RegisterURL: the application takes sign-ups; the login page links
	// to its registration page there.
	RegisterURL string

	// Registration page: Inputs are the form's fields in order, Errors
	// the codes of the form's problems that name no field; LoginURL is
	// the login page of the same authorization request.
	Inputs   []Input
	Errors   []string
	LoginURL string

	// Two-factor page: Notice is the address a code was just sent to;
	// Emails the methods a code can be sent to (Name: method id, Value:
	// address).
	Notice string
	Emails []Field

	// Error page.
	ErrorCode, ErrorReason, ErrorDescription string

	// Logout page.
	Continue string
}

// Field is a hidden form field.
type Field struct{ Name, Value string }

// Input is a field of the registration form: Name is the form field (and
// the field its errors name, "user.email"), Label a message key, Value
// what the user typed (never a password), Errors the codes of its
// problems ("[blank]user.email").
type Input struct {
	Name, Label, Type, Value, Autocomplete string
	Required                               bool
	Errors                                 []string
}

// Provider is a "Sign in with …" button.
type Provider struct{ Name, URL string }

// T is the message for key in the page's language (the key itself when no
// bundle has it, so a missing translation shows rather than hides).
func (d *Data) T(key string) string {
	if m, ok := d.messages[key]; ok {
		return m
	}
	return key
}

// Problem is the message for a problem's code ("[blank]user.email"):
// the bundle's message for the code, else for its kind ("[blank]"), else
// a generic one, so a code without a translation never shows as a code.
func (d *Data) Problem(code string) string {
	if m, ok := d.messages[code]; ok {
		return m
	}
	if i := strings.IndexByte(code, ']'); strings.HasPrefix(code, "[") && i > 0 {
		if m, ok := d.messages[code[:i+1]]; ok {
			return m
		}
	}
	return d.T("register.error.invalid")
}

// Tf is T with "{name}" replaced by value.
func (d *Data) Tf(key, name, value string) string {
	return strings.ReplaceAll(d.T(key), "{"+name+"}", value)
}
