package server

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A template's localized versions on its console page (FusionAuth's
// localizedSubjects, localizedHtmlTemplates and localizedTextTemplates,
// keyed by locale): the mail sender uses the first of the user's
// preferredLanguages the template has, else the defaults. Each version is
// a numbered group of fields (locale-i, subject-i, html-i, text-i), the
// last one blank for a new locale; a version whose three fields are
// cleared is removed.

// localeVersion is one localized version as shown or typed.
type localeVersion struct {
	Index                       int
	Locale, Subject, HTML, Text string
	New                         bool
}

// maxLocales bounds the versions one form may carry.
const maxLocales = 100

// localePattern is a FusionAuth locale: a language, optionally a region or
// script (de, fr_CA, pt-BR, zh_Hant).
var localePattern = regexp.MustCompile(`^[a-zA-Z]{2,3}([_-][a-zA-Z0-9]{2,8})?$`)

// localeVersions lists t's versions by locale, and a blank one for a new
// locale.
func localeVersions(t storage.EmailTemplate) []localeVersion {
	set := map[string]bool{}
	for _, m := range []map[string]string{t.LocalizedSubjects, t.LocalizedHTMLTemplates, t.LocalizedTextTemplates} {
		for l := range m {
			set[l] = true
		}
	}
	var out []localeVersion
	for i, l := range slices.Sorted(maps.Keys(set)) {
		out = append(out, localeVersion{Index: i, Locale: l, Subject: t.LocalizedSubjects[l], HTML: t.LocalizedHTMLTemplates[l],
			Text: t.LocalizedTextTemplates[l]})
	}
	return append(out, localeVersion{Index: len(out), New: true})
}

// readLocales reads the form's versions into t's localized maps (the
// localized from names are kept), with the field of each locale's
// messages (templateFields' localized paths) and the refusals of locales
// that are malformed or given twice.
func readLocales(r *http.Request, t *storage.EmailTemplate) ([]localeVersion, map[string]string, map[string]string) {
	var vs []localeVersion
	paths, fields := map[string]string{}, map[string]string{}
	subjects, htmls, texts := map[string]string{}, map[string]string{}, map[string]string{}
	for i := 0; i < maxLocales; i++ {
		n := strconv.Itoa(i)
		loc, ok := r.PostForm["locale-"+n]
		if !ok {
			break
		}
		v := localeVersion{Index: i, Locale: strings.TrimSpace(loc[0]), Subject: r.PostFormValue("subject-" + n),
			HTML: r.PostFormValue("html-" + n), Text: r.PostFormValue("text-" + n), New: r.PostFormValue("new-"+n) == "1"}
		vs = append(vs, v)
		if v.Subject == "" && v.HTML == "" && v.Text == "" {
			continue // removed, or the new slot left blank
		}
		switch {
		case !localePattern.MatchString(v.Locale):
			fields["locale-"+n] = "Enter a locale such as de or fr_CA."
			continue
		case paths["emailTemplate.localizedSubjects."+v.Locale] != "":
			fields["locale-"+n] = "This locale is given twice."
			continue
		}
		paths["emailTemplate.localizedSubjects."+v.Locale] = "subject-" + n
		paths["emailTemplate.localizedHtmlTemplates."+v.Locale] = "html-" + n
		paths["emailTemplate.localizedTextTemplates."+v.Locale] = "text-" + n
		setIf(subjects, v.Locale, v.Subject)
		setIf(htmls, v.Locale, v.HTML)
		setIf(texts, v.Locale, v.Text)
	}
	t.LocalizedSubjects, t.LocalizedHTMLTemplates, t.LocalizedTextTemplates = subjects, htmls, texts
	if len(vs) == 0 || !vs[len(vs)-1].blankNew() {
		vs = append(vs, localeVersion{Index: len(vs), New: true})
	}
	return vs, paths, fields
}

func (v localeVersion) blankNew() bool {
	return v.New && v.Subject == "" && v.HTML == "" && v.Text == ""
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}
