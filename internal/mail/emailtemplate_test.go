package mail

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func defaultByID(t *testing.T, id string) *Compiled {
	t.Helper()
	for _, d := range Defaults() {
		if d.ID == id {
			c, errs := Compile(d)
			if errs != nil {
				t.Fatalf("default %s does not compile: %v", d.Name, errs)
			}
			return c
		}
	}
	t.Fatalf("no default %s", id)
	return nil
}

func TestDefaultsCompileAndAreDistinct(t *testing.T) {
	ids, names := map[string]bool{}, map[string]bool{}
	for _, d := range Defaults() {
		if _, errs := Compile(d); errs != nil {
			t.Errorf("%s: %v", d.Name, errs)
		}
		if ids[d.ID] || names[d.Name] {
			t.Errorf("duplicate id or name: %s %s", d.ID, d.Name)
		}
		ids[d.ID], names[d.Name] = true, true
	}
	if len(ids) != 7 {
		t.Errorf("%d defaults, want one per email latchkey sends (7)", len(ids))
	}
}

func TestDefaultsRender(t *testing.T) {
	data := SampleData()
	data["user"].(map[string]any)["firstName"] = `<b>Ada</b>`
	tests := []struct {
		id       string
		extra    map[string]any
		html     []string // substrings of the HTML body
		text     []string // lines of the text body
		notInAny []string
	}{
		{DefaultEmailVerificationID, nil,
			[]string{`<a href="https://login.example.com/email/verify/YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4">`, "Hello &lt;b&gt;Ada&lt;/b&gt;,"},
			[]string{"https://login.example.com/email/verify/YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4", "Hello <b>Ada</b>,"}, []string{"<b>Ada</b></p>"}},
		{DefaultEmailVerificationID, map[string]any{"verificationOneTimeCode": "KX42"},
			[]string{"<strong>KX42</strong>"}, []string{"    KX42"}, []string{"/email/verify/"}},
		{DefaultRegistrationVerificationID, nil,
			[]string{`<a href="https://login.example.com/registration/verify/YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4">`},
			[]string{"https://login.example.com/registration/verify/YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4"}, nil},
		{DefaultRegistrationVerificationID, map[string]any{"verificationOneTimeCode": "KX42"},
			[]string{"<strong>KX42</strong>"}, []string{"    KX42"}, []string{"/registration/verify/"}},
		{DefaultForgotPasswordID, map[string]any{"state": map[string]any{"redirect": "https://store.example.com/cart?a=1&b=2"}},
			[]string{`href="https://login.example.com/password/change/aXqFZ2mXz8wGd8aqv4cH0sE3bB1JvQ7mHc5vRq2Z1Xs?redirect=https%3A%2F%2Fstore.example.com%2Fcart%3Fa%3D1%26b%3D2"`},
			[]string{"https://login.example.com/password/change/aXqFZ2mXz8wGd8aqv4cH0sE3bB1JvQ7mHc5vRq2Z1Xs?redirect=https%3A%2F%2Fstore.example.com%2Fcart%3Fa%3D1%26b%3D2"}, nil},
		{DefaultSetupPasswordID, nil, []string{"/password/change/aXqFZ2mXz8wGd8aqv4cH0sE3bB1JvQ7mHc5vRq2Z1Xs"}, []string{"https://login.example.com/password/change/aXqFZ2mXz8wGd8aqv4cH0sE3bB1JvQ7mHc5vRq2Z1Xs"}, nil},
		{DefaultPasswordUpdateID, nil, []string{"ada@example.com was just changed"}, []string{"The password of ada@example.com was just changed, and your other sessions were signed out."}, nil},
		{DefaultTwoFactorCodeID, nil, []string{"<strong>835924</strong>"}, []string{"    835924"}, nil},
		{DefaultPasswordlessID, nil, []string{`<a href="https://login.example.com/passwordless/835924">`}, []string{"https://login.example.com/passwordless/835924"}, nil},
		{DefaultPasswordlessID, map[string]any{"oneTimeCode": "123456"}, []string{"<strong>123456</strong>"}, []string{"Your sign-in code is 123456."}, []string{"/passwordless/"}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i, tt.id), func(t *testing.T) {
			d := map[string]any{}
			for k, v := range data {
				d[k] = v
			}
			for k, v := range tt.extra {
				d[k] = v
			}
			r, err := defaultByID(t, tt.id).Render(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject == "" || strings.Contains(r.Text, "\n\n\n") || strings.HasPrefix(r.Text, "\n") {
				t.Errorf("subject %q; text has stray blank lines:\n%s", r.Subject, r.Text)
			}
			for _, s := range tt.html {
				if !strings.Contains(r.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, r.HTML)
				}
			}
			lines := strings.Split(r.Text, "\n")
			for _, s := range tt.text {
				if !slices.Contains(lines, s) {
					t.Errorf("text lacks the line %q:\n%s", s, r.Text)
				}
			}
			for _, s := range tt.notInAny {
				if strings.Contains(r.HTML, s) || strings.Contains(r.Text, s) {
					t.Errorf("body contains %q", s)
				}
			}
		})
	}
}

func TestCompileFieldErrors(t *testing.T) {
	tpl := storage.EmailTemplate{
		ID: "x", Name: " ", DefaultSubject: "Hi ${user.email?upper_case}", DefaultHTMLTemplate: "<p>ok</p>",
		FromEmail: "not an address", LocalizedHTMLTemplates: map[string]string{"de": "<p>\n[#include 'x']</p>"},
	}
	_, errs := Compile(tpl)
	var got []string
	for _, e := range errs {
		got = append(got, e.Code)
	}
	want := []string{"[blank]emailTemplate.name", "[blank]emailTemplate.defaultTextTemplate", "[notEmail]emailTemplate.fromEmail",
		"[invalidTemplate]emailTemplate.defaultSubject", "[invalidTemplate]emailTemplate.localizedHtmlTemplates.de"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("codes %v\nwant  %v", got, want)
	}
	if m := errs[3].Message; !strings.Contains(m, "line 1, column 17") || !strings.Contains(m, "?upper_case") {
		t.Errorf("subject error %q does not name the built-in and its place", m)
	}
	if m := errs[4].Message; !strings.Contains(m, "line 2, column 3") || !strings.Contains(m, "#include") {
		t.Errorf("localized error %q does not name the directive and its place", m)
	}
}

func TestComposeAddressesAndLocalizes(t *testing.T) {
	tpl := storage.EmailTemplate{
		ID: "t1", Name: "Hello", DefaultSubject: "Hello ${user.firstName}", DefaultHTMLTemplate: "<p>Hello</p>", DefaultTextTemplate: "Hello",
		LocalizedSubjects: map[string]string{"de": "Hallo ${user.firstName}"}, LocalizedTextTemplates: map[string]string{"fr": "Bonjour"},
		DefaultFromName: "${tenant.name} team",
	}
	c, errs := Compile(tpl)
	if errs != nil {
		t.Fatal(errs)
	}
	cfg := EmailConfiguration{DefaultFromEmail: "no-reply@example.com", DefaultFromName: "Tenant"}
	m, err := c.Compose(cfg, Address{Address: "ada@example.com"}, SampleData(), []string{"fr", "de"})
	if err != nil {
		t.Fatal(err)
	}
	want := Message{From: Address{Address: "no-reply@example.com", Display: "Default team"}, To: Address{Address: "ada@example.com"},
		Subject: "Hallo Ada", HTML: "<p>Hello</p>", Text: "Bonjour", Template: "t1"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
	tpl.FromEmail = "team@example.com"
	c, _ = Compile(tpl)
	if m, _ := c.Compose(cfg, Address{Address: "ada@example.com"}, SampleData(), nil); m.From.Address != "team@example.com" || m.Subject != "Hello Ada" {
		t.Errorf("template fromEmail or default subject not used: %+v", m)
	}
	tpl.FromEmail = ""
	c, _ = Compile(tpl)
	if _, err := c.Compose(EmailConfiguration{}, Address{Address: "ada@example.com"}, SampleData(), nil); err == nil {
		t.Error("composed a message without any from address")
	}
}

func TestPreview(t *testing.T) {
	tpl := storage.EmailTemplate{DefaultSubject: "Hi ${user.firstName}", DefaultHTMLTemplate: "<p>${nope}</p>", DefaultTextTemplate: "[#if]"}
	p, errs := Preview(tpl, "", EmailConfiguration{DefaultFromEmail: "no-reply@example.com", DefaultFromName: "Latchkey"})
	want := PreviewEmail{From: Address{Address: "no-reply@example.com", Display: "Latchkey"}, Subject: "Hi Ada"}
	if p != want {
		t.Errorf("preview %+v, want %+v", p, want)
	}
	var codes []string
	for _, e := range errs {
		codes = append(codes, e.Code+" "+e.Message)
	}
	if len(codes) != 2 || !strings.HasPrefix(codes[0], "[invalidTemplate]emailTemplate.defaultTextTemplate line 1, column") ||
		!strings.HasPrefix(codes[1], "[invalidTemplate]emailTemplate.defaultHtmlTemplate line 1, column 6: nope is missing") {
		t.Errorf("errors %q", codes)
	}
}

func TestValidateEmailConfiguration(t *testing.T) {
	tests := []struct {
		name  string
		c     EmailConfiguration
		codes []string
	}{
		{"defaults", EmailConfiguration{}, nil},
		{"STARTTLS with auth", EmailConfiguration{Host: "smtp.example.com", Port: 587, Security: SecurityTLS, Username: "u", Password: "p", DefaultFromEmail: "a@example.com"}, nil},
		{"auth in clear text to loopback", EmailConfiguration{Host: "127.0.0.1", Username: "u"}, nil},
		{"auth in clear text over a network", EmailConfiguration{Host: "smtp.example.com", Security: SecurityNone, Username: "u"}, []string{"[notAllowed]tenant.emailConfiguration.security"}},
		{"bad values", EmailConfiguration{Port: 70000, Security: "STARTTLS", DefaultFromEmail: "nope", DefaultFromName: "a\nb",
			AdditionalHeaders: []storage.EmailHeader{{Name: "X Bad", Value: "v"}}, Unverified: storage.EmailUnverifiedOptions{Behavior: "Block"}, VerificationStrategy: "Carrier pigeon"},
			[]string{"[invalid]tenant.emailConfiguration.port", "[invalid]tenant.emailConfiguration.security", "[notEmail]tenant.emailConfiguration.defaultFromEmail",
				"[invalid]tenant.emailConfiguration.defaultFromName", "[invalid]tenant.emailConfiguration.additionalHeaders",
				"[invalid]tenant.emailConfiguration.unverified.behavior", "[invalid]tenant.emailConfiguration.verificationStrategy"}},
		{"FormField needs Gated", EmailConfiguration{VerificationStrategy: "FormField"}, []string{"[invalid]tenant.emailConfiguration.verificationStrategy"}},
		{"FormField with Gated", EmailConfiguration{VerificationStrategy: "FormField", Unverified: storage.EmailUnverifiedOptions{Behavior: "Gated"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range ValidateEmailConfiguration(tt.c, "tenant.emailConfiguration") {
				got = append(got, e.Code)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.codes) {
				t.Errorf("got  %v\nwant %v", got, tt.codes)
			}
		})
	}
}
