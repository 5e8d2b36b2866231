package mail

import (
	"errors"
	"net/mail"
	"sort"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Compiled is an email template whose every field is parsed. Compile it
// when the template is saved (and cache it); Render never re-parses.
type Compiled struct {
	Template storage.EmailTemplate
	fields   map[string]*Template // by field path: defaultSubject, localizedSubjects.de, ...
}

// templateFields lists the template-language fields of an email template:
// JSON name, format, the default value and the localized map.
func templateFields(t storage.EmailTemplate) []struct {
	name      string
	format    Format
	def       string
	localized map[string]string
} {
	return []struct {
		name      string
		format    Format
		def       string
		localized map[string]string
	}{
		{"defaultFromName", Text, t.DefaultFromName, t.LocalizedFromNames},
		{"defaultSubject", Text, t.DefaultSubject, t.LocalizedSubjects},
		{"defaultHtmlTemplate", HTML, t.DefaultHTMLTemplate, t.LocalizedHTMLTemplates},
		{"defaultTextTemplate", Text, t.DefaultTextTemplate, t.LocalizedTextTemplates},
	}
}

// localizedName is the JSON name of a field's localized map.
var localizedName = map[string]string{
	"defaultFromName": "localizedFromNames", "defaultSubject": "localizedSubjects",
	"defaultHtmlTemplate": "localizedHtmlTemplates", "defaultTextTemplate": "localizedTextTemplates",
}

// Compile checks t the way FusionAuth does when a template is saved
// (name, subject and both bodies required, fromEmail an address) and parses
// every template field. Problems come back as field errors:
// [blank]emailTemplate.name, [notEmail]emailTemplate.fromEmail, and
// [invalidTemplate]emailTemplate.defaultHtmlTemplate (or
// ...localizedHtmlTemplates.de) whose message says what is unsupported and
// where.
func Compile(t storage.EmailTemplate) (*Compiled, []FieldError) {
	var errs []FieldError
	blank := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			f := "emailTemplate." + field
			errs = append(errs, FieldError{Field: f, Code: "[blank]" + f, Message: "a value is required"})
		}
	}
	blank("name", t.Name)
	blank("defaultSubject", t.DefaultSubject)
	blank("defaultHtmlTemplate", t.DefaultHTMLTemplate)
	blank("defaultTextTemplate", t.DefaultTextTemplate)
	if t.FromEmail != "" {
		if a, err := mail.ParseAddress(t.FromEmail); err != nil || a.Address != t.FromEmail {
			errs = append(errs, FieldError{Field: "emailTemplate.fromEmail", Code: "[notEmail]emailTemplate.fromEmail", Message: "fromEmail must be an email address"})
		}
	}
	c, perrs := parseFields(t)
	errs = append(errs, perrs...)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// parseFields parses every non-empty template field.
func parseFields(t storage.EmailTemplate) (*Compiled, []FieldError) {
	c := &Compiled{Template: t, fields: map[string]*Template{}}
	var errs []FieldError
	add := func(path, src string, f Format) {
		if src == "" {
			return
		}
		tpl, err := Parse(src, f)
		if err != nil {
			errs = append(errs, invalidTemplate(path, err))
			return
		}
		c.fields[path] = tpl
	}
	for _, f := range templateFields(t) {
		add(f.name, f.def, f.format)
		for _, lang := range sortedLangs(f.localized) {
			add(localizedName[f.name]+"."+lang, f.localized[lang], f.format)
		}
	}
	return c, errs
}

func invalidTemplate(path string, err error) FieldError {
	f := "emailTemplate." + path
	return FieldError{Field: f, Code: "[invalidTemplate]" + f, Message: err.Error()}
}

func sortedLangs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Rendered is a template rendered for one recipient.
type Rendered struct {
	Locale                        string // the localized variant used, "" for the defaults
	FromName, Subject, HTML, Text string
}

// Render renders every field against data, choosing per field the first of
// languages the template has a localized variant for (FusionAuth picks by
// the user's preferredLanguages). Subject and from name come out on one line.
func (c *Compiled) Render(data map[string]any, languages []string) (Rendered, error) {
	var r Rendered
	out := []*string{&r.FromName, &r.Subject, &r.HTML, &r.Text}
	for i, f := range templateFields(c.Template) {
		s, lang, err := c.renderField(f.name, data, languages)
		if err != nil {
			return Rendered{}, err
		}
		*out[i] = s
		if f.name == "defaultSubject" {
			r.Locale = lang
		}
	}
	r.FromName, r.Subject = oneLine(r.FromName), oneLine(r.Subject)
	return r, nil
}

// renderField renders one field (by its default's JSON name) in the first
// of languages it has, else its default; "" when the field is empty.
func (c *Compiled) renderField(name string, data map[string]any, languages []string) (string, string, error) {
	path, lang := name, ""
	for _, l := range languages {
		if _, ok := c.fields[localizedName[name]+"."+l]; ok {
			path, lang = localizedName[name]+"."+l, l
			break
		}
	}
	tpl := c.fields[path]
	if tpl == nil {
		return "", "", nil
	}
	s, err := tpl.Render(data)
	if err != nil {
		return "", "", &FieldRenderError{Field: "emailTemplate." + path, Err: err}
	}
	return s, lang, nil
}

// FieldRenderError says which field failed to render.
type FieldRenderError struct {
	Field string
	Err   error
}

func (e *FieldRenderError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldRenderError) Unwrap() error { return e.Err }

// Compose renders c for one recipient and addresses it: the template's
// fromEmail or else the tenant's defaultFromEmail, the rendered from name or
// else the tenant's defaultFromName.
func (c *Compiled) Compose(cfg EmailConfiguration, to Address, data map[string]any, languages []string) (Message, error) {
	r, err := c.Render(data, languages)
	if err != nil {
		return Message{}, err
	}
	from := Address{Address: c.Template.FromEmail, Display: r.FromName}
	if from.Address == "" {
		from.Address = cfg.DefaultFromEmail
	}
	if from.Display == "" {
		from.Display = oneLine(cfg.DefaultFromName)
	}
	if from.Address == "" {
		return Message{}, errors.New("mail: no from address: set the template's fromEmail or the tenant's defaultFromEmail")
	}
	m := Message{From: from, To: Address{Address: to.Address, Display: oneLine(to.Display)}, Subject: r.Subject, HTML: r.HTML, Text: r.Text, Template: c.Template.ID}
	return m, m.Validate()
}
