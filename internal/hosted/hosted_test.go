package hosted

import (
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
)

func TestLanguage(t *testing.T) {
	tests := []struct {
		locale, accept string
		want           language.Tag
	}{
		{"", "", language.English},
		{"", "de-CH,de;q=0.9,en;q=0.5", language.German},
		{"", "fr-CA", language.French},
		{"fr", "de", language.French},
		{"xx-invalid!!", "de", language.German},
		{"", "ja", language.English},
		{"", strings.Repeat("de,", 1000), language.English},
	}
	for _, tt := range tests {
		got := Language(tt.locale, tt.accept)
		if b, _ := got.Base(); func() bool { w, _ := tt.want.Base(); return b != w }() {
			t.Errorf("Language(%q, %q) = %v, want %v", tt.locale, tt.accept[:min(len(tt.accept), 20)], got, tt.want)
		}
	}
}

func TestRenderLoginLocalizedAndEscaped(t *testing.T) {
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	d := &Data{AppName: `<script>alert(1)</script>`, Action: "/oauth2/authorize", CSRF: "tok",
		Hidden: []Field{{"state", `"><img src=x>`}}, Error: "login.error.invalid", LoginID: "ada"}
	if err := r.Render(&b, "login", DefaultTheme, language.German, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<html lang="de">`, "Bei &lt;script&gt;alert(1)&lt;/script&gt; anmelden",
		`value="&#34;&gt;&lt;img src=x&gt;"`, `<label for="loginId">E-Mail oder Benutzername</label>`,
		`role="alert"`, `aria-describedby="login-error"`, `autocomplete="current-password"`,
		`href="/theme/default/styles.css?v=`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<img") {
		t.Errorf("unescaped markup in page:\n%s", page)
	}
}

func TestThemeOverridesAndFallsBack(t *testing.T) {
	dir := fstest.MapFS{
		"app-1/styles.css":       {Data: []byte("body{color:red}")},
		"app-1/messages.en.json": {Data: []byte(`{"login.submit":"Let me in"}`)},
		"tenant-1/login.html":    {Data: []byte(`{{define "title"}}T{{end}}{{define "content"}}<p>tenant page {{.T "login.submit"}}</p>{{end}}`)},
	}
	r, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Theme("app-1", "tenant-1"); got != "app-1" {
		t.Errorf("Theme = %q, want app-1", got)
	}
	if got := r.Theme("other", "tenant-1"); got != "tenant-1" {
		t.Errorf("Theme = %q, want tenant-1", got)
	}
	if got := r.Theme("other", "other"); got != DefaultTheme {
		t.Errorf("Theme = %q, want default", got)
	}
	css, _, _ := r.CSS("app-1")
	if string(css) != "body{color:red}" {
		t.Errorf("app css = %q", css)
	}
	var b strings.Builder
	must(t, r.Render(&b, "login", "app-1", language.English, &Data{}))
	if !strings.Contains(b.String(), "Let me in") || !strings.Contains(b.String(), "Password") {
		t.Errorf("app-1 login page lacks its message or the built-in ones:\n%s", b.String())
	}
	b.Reset()
	must(t, r.Render(&b, "login", "tenant-1", language.English, &Data{}))
	if !strings.Contains(b.String(), "<p>tenant page Sign in</p>") {
		t.Errorf("tenant-1 template not used:\n%s", b.String())
	}
}

func TestBrokenThemeRefused(t *testing.T) {
	for name, f := range map[string]string{"login.html": "{{define \"content\"}}{{.Nope", "messages.en.json": "[1]"} {
		_, err := New(fstest.MapFS{"bad/" + name: {Data: []byte(f)}})
		if err == nil || !strings.Contains(err.Error(), "bad") {
			t.Errorf("%s: err = %v, want an error naming the theme", name, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
