package hosted

import "golang.org/x/text/language"

// Supported are the languages with a built-in message bundle; the first is
// the fallback.
var Supported = []language.Tag{language.English, language.German, language.French}

var matcher = language.NewMatcher(Supported)

// Language picks the page language: the locale parameter of the request
// when it names a supported language (FusionAuth's locale), else the best
// match of the Accept-Language header (RFC 9110 §12.5.4), else English.
func Language(locale, acceptLanguage string) language.Tag {
	var prefs []language.Tag
	if t, err := language.Parse(locale); err == nil && locale != "" {
		prefs = append(prefs, t)
	}
	if len(acceptLanguage) <= 1024 {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil {
			prefs = append(prefs, tags...)
		}
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return Supported[0]
	}
	return Supported[i]
}
