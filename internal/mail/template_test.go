package mail

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// sample is the data most cases render against, shaped as FusionAuth
// exposes it (JSON names).
func sample() map[string]any {
	return map[string]any{
		"user": map[string]any{
			"email": "ada@example.com", "tenantId": "t-1", "verified": false, "firstName": "Ada",
			"data": map[string]any{"plan": "pro"},
		},
		"verificationId":   "v-123",
		"changePasswordId": "cp-456",
		"application":      map[string]any{"oauthConfiguration": map[string]any{"clientId": "app-1"}},
		"state":            map[string]any{"redirect_uri": "https://app.example.com/a b?x=1&y=2", "client_id": "skip"},
		"method":           map[string]any{"method": "sms", "name": ""},
		"count":            float64(1234567),
	}
}

func render(t *testing.T, src string, f Format, data map[string]any) string {
	t.Helper()
	tpl, err := Parse(src, f)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	out, err := tpl.Render(data)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return out
}

func TestTemplateRender(t *testing.T) {
	tests := []struct {
		name, src, want string
		format          Format
	}{
		{"variable path", "Hi ${user.email}", "Hi ada@example.com", Text},
		{"top-level id", "/verify/${verificationId}", "/verify/v-123", Text},
		{"number prints plainly", "${count}", "1234567", Text},
		{"default used", "${user.lastName!'friend'}", "friend", Text},
		{"default double quotes", `${user.lastName!"friend"}`, "friend", Text},
		{"default not used", "${user.firstName!'friend'}", "Ada", Text},
		{"empty default", "[${user.lastName!}]", "[]", Text},
		{"paren default tolerates missing parent", "${(nothing.at.all)!'-'}", "-", Text},
		{"paren default on present path", "${(application.oauthConfiguration.clientId)!''}", "app-1", Text},
		{"exists", "[#if verificationOneTimeCode??]code[#else]link[/#if]", "link", Text},
		{"paren exists", "[#if (application.oauthConfiguration)??]yes[/#if]", "yes", Text},
		{"boolean condition", "[#if user.verified]v[#else]u[/#if]", "u", Text},
		{"not", "[#if !user.verified]u[/#if]", "u", Text},
		{"elseif", `[#if method.method == "email"]E[#elseif method.method == "sms"]S[#else]?[/#if]`, "S", Text},
		{"not equal and and", `[#if method.method != "email" && user.firstName == "Ada"]ok[/#if]`, "ok", Text},
		{"or short-circuits", `[#if true || missing.thing]ok[/#if]`, "ok", Text},
		{"url escape", "${state.redirect_uri?url}", "https%3A%2F%2Fapp.example.com%2Fa%20b%3Fx%3D1%26y%3D2", Text},
		{"url escape keeps unreserved", "${'a-b_c.d!e~f*g(h)i'?url}", "a-b_c.d!e~f*g(h)i", Text},
		{"html builtin in text", "${'<b>'?html}", "&lt;b&gt;", Text},
		{"has_content", "[#if method.name?has_content]n[#else]none[/#if]", "none", Text},
		{"has_content missing", "[#if nope?has_content]n[#else]none[/#if]", "none", Text},
		{"then", `${(method.method == "sms")?then("SMS", method.method)}`, "SMS", Text},
		{"assign with interpolated string", `[#assign url = "/p/${changePasswordId}?c=${(application.oauthConfiguration.clientId)!''}" /]${url}`, "/p/cp-456?c=app-1", Text},
		{"list hash with filter", `[#assign u = "x"/][#list state!{} as k, v][#if k != "client_id" && v??][#assign u = u + "&" + k?url + "=" + v?url/][/#if][/#list]${u}`,
			"x&redirect_uri=https%3A%2F%2Fapp.example.com%2Fa%20b%3Fx%3D1%26y%3D2", Text},
		{"list missing with default", "[#list nothing!{} as k, v]${k}[/#list]done", "done", Text},
		{"list sequence", "[#list items as i]${i};[/#list]", "a;b;", Text},
		{"list else", "[#list empty as i]${i}[#else]none[/#list]", "none", Text},
		{"setting accepted", `[#setting url_escaping_charset="UTF-8"]ok`, "ok", Text},
		{"comment dropped", "a[#-- a comment with ${x} and [#if] --]b", "ab", Text},
		{"angle syntax", "<#if user.verified>v<#else>u</#if><#-- c -->", "u", Text},
		{"string escapes", `${"tab\tquote\"dollar\${x}"}`, "tab\tquote\"dollar${x}", Text},
		{"plus numbers", "${1 + 2}", "3", Text},
		{"plus string number", "${'n' + 1}", "n1", Text},
		{"tag-only lines leave no blank lines", "A\n[#if true]\n  B\n[/#if]\nC\n", "A\n  B\nC\n", Text},
		{"html escapes values", "<p>${user.firstName}</p>", "<p>Ada</p>", HTML},
		{"html keeps literal defaults", "${user.lastName!'&mdash;'}", "&mdash;", HTML},
		{"html escapes built url once", `[#assign url = "/c/${changePasswordId}?a=1&b=${user.tenantId}"/]<a href="${url}">${url?html}</a>`,
			`<a href="/c/cp-456?a=1&amp;b=t-1">/c/cp-456?a=1&amp;b=t-1</a>`, HTML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := sample()
			data["items"] = []any{"a", "b"}
			data["empty"] = []any{}
			if got := render(t, tt.src, tt.format, data); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestTemplateInjection: user fields holding template syntax or HTML come
// out as text, never evaluated and, in HTML, escaped.
func TestTemplateInjection(t *testing.T) {
	data := sample()
	hostile := `${changePasswordId}[#if true]X[/#if]<#assign a=1><script>alert('x')</script>"&`
	data["user"].(map[string]any)["firstName"] = hostile
	src := "Hello ${user.firstName}! [#assign n = user.firstName + '!']${n}"
	if got, want := render(t, src, Text, data), "Hello "+hostile+"! "+hostile+"!"; got != want {
		t.Errorf("text:\n got  %q\n want %q", got, want)
	}
	got := render(t, "<p>${user.firstName}</p>"+`[#assign n = "<i>${user.firstName}</i>"]${n}`, HTML, data)
	esc := `${changePasswordId}[#if true]X[/#if]&lt;#assign a=1&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#34;&amp;`
	if want := "<p>" + esc + "</p>&lt;i&gt;" + esc + "&lt;/i&gt;"; got != want {
		t.Errorf("html:\n got  %q\n want %q", got, want)
	}
	if strings.Contains(got, "cp-456") {
		t.Error("a value's ${...} was evaluated")
	}
}

func TestTemplateParseErrors(t *testing.T) {
	tests := []struct {
		name, src  string
		line, col  int
		msgContain string
	}{
		{"unsupported directive", "Hi\n  [#include 'x.ftl']", 2, 5, "#include is not supported"},
		{"macro call", "x [@button/]", 1, 3, "macro calls"},
		{"unsupported builtin", "${user.email?upper_case}", 1, 14, "?upper_case is not supported"},
		{"unsupported operator", "[#if count > 1]x[/#if]", 1, 12, "expected"},
		{"unsupported comparison", "[#if count >= 1]x[/#if]", 1, 12, `operator ">=" is not supported`},
		{"arithmetic", "${count - 1}", 1, 9, `operator "-" is not supported`},
		{"unclosed if", "a\n[#if x]b", 2, 1, "#if is not closed"},
		{"stray close", "a[/#if]", 1, 2, "without a matching opening"},
		{"else after else", "[#if x]a[#else]b[#else]c[/#if]", 1, 17, "#else inside #if"},
		{"unclosed interpolation", "${user.email", 1, 13, `expected "}"`},
		{"unclosed string", "${'abc}", 1, 3, "not closed"},
		{"unclosed comment", "[#-- never", 1, 1, "comment is not closed"},
		{"mixed syntax", "[#if x]a[/#if] <#if y>b</#if>", 1, 16, "other syntax"},
		{"other setting", `[#setting locale="de"]`, 1, 3, "url_escaping_charset"},
		{"index access", "${user['email']}", 1, 7, "not supported"},
		{"list without as", "[#list xs]x[/#list]", 1, 10, `expected "as"`},
		{"two assignments", "[#assign a=1 b=2]", 1, 14, "one assignment"},
		{"unknown escape", `${"\q"}`, 1, 4, "unsupported escape"},
		{"raw string", `${r"x"}`, 1, 3, "raw string"},
		{"position counts characters", "héllo ${x?nope}", 1, 11, "?nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src, HTML)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want a *ParseError", tt.src, err)
			}
			if pe.Line != tt.line || pe.Column != tt.col || !strings.Contains(pe.Msg, tt.msgContain) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", pe.Line, pe.Column, pe.Msg, tt.line, tt.col, tt.msgContain)
			}
		})
	}
}

func TestTemplateParseLimits(t *testing.T) {
	if _, err := Parse(strings.Repeat("(", 10000), Text); err != nil {
		t.Errorf("plain text of parentheses: %v", err)
	}
	var pe *ParseError
	if _, err := Parse("${"+strings.Repeat("(", 10000)+"x"+strings.Repeat(")", 10000)+"}", Text); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "nested too deeply") {
		t.Errorf("deep nesting: %v", err)
	}
	if _, err := Parse(strings.Repeat("!", 10000)+"x", Text); err != nil {
		t.Errorf("text of bangs: %v", err)
	}
	if _, err := Parse("${"+strings.Repeat("!", 10000)+"x}", Text); !errors.As(err, &pe) {
		t.Errorf("deep negation: %v", err)
	}
	// Literals nest through ${...}; each is read once, so 30 levels parse
	// at once instead of in 2^30 steps.
	nested := "x"
	for range 30 {
		nested = `"${` + nested + `}"`
	}
	if _, err := Parse("${"+nested+"}", Text); err != nil {
		t.Errorf("nested literals: %v", err)
	}
	if _, err := Parse(strings.Repeat("a", maxTemplateBytes+1), Text); !errors.As(err, &pe) {
		t.Errorf("oversized template: %v", err)
	}
}

func TestTemplateRenderErrors(t *testing.T) {
	tests := []struct {
		name, src  string
		line, col  int
		msgContain string
	}{
		{"missing value", "Hi\n${user.lastName}", 2, 3, "user.lastName is missing"},
		{"missing parent", "${nothing.at}", 1, 3, "nothing is missing"},
		{"missing parent even with default", "${nothing.at!'x'}", 1, 3, "nothing is missing"},
		{"print a hash", "${user}", 1, 3, "cannot be printed"},
		{"non-boolean condition", "[#if user.email]x[/#if]", 1, 6, "not a boolean"},
		{"compare string with number", "[#if user.email == 1]x[/#if]", 1, 17, "cannot compare"},
		{"list a string", "[#list user.email as x][/#list]", 1, 8, "#list needs"},
		{"dot on string", "${user.email.x}", 1, 13, "has no .x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, Text)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tpl.Render(sample())
			var re *RenderError
			if !errors.As(err, &re) {
				t.Fatalf("Render error = %v, want a *RenderError", err)
			}
			if re.Line != tt.line || re.Column != tt.col || !strings.Contains(re.Msg, tt.msgContain) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", re.Line, re.Column, re.Msg, tt.line, tt.col, tt.msgContain)
			}
		})
	}
}

func TestTemplateOutputBounded(t *testing.T) {
	big := map[string]any{}
	for i := range 2000 {
		big["k"+strconv.Itoa(i)] = strings.Repeat("v", 1000)
	}
	tpl, err := Parse("[#list big as k, v]${v}[/#list]", Text)
	if err != nil {
		t.Fatal(err)
	}
	var re *RenderError
	if _, err := tpl.Render(map[string]any{"big": big}); !errors.As(err, &re) || !strings.Contains(re.Msg, "exceeds") {
		t.Errorf("Render = %v, want an output-size error", err)
	}
}

// Loops that print nothing are bounded by steps, not by the output: four
// nested #lists over a 40-item value in a user's data (2.6 million passes)
// stop with a RenderError, which the sender answers with the shipped
// template. A list as long as a sign-up body allows, once, still renders.
func TestTemplateWorkBounded(t *testing.T) {
	items := make([]any, 40)
	for i := range items {
		items[i] = float64(i)
	}
	tpl, err := Parse("[#list a as x][#list a as y][#list a as z][#list a as w][#if false]${x}[/#if][/#list][/#list][/#list][/#list]", Text)
	if err != nil {
		t.Fatal(err)
	}
	var re *RenderError
	if _, err := tpl.Render(map[string]any{"a": items}); !errors.As(err, &re) || !strings.Contains(re.Msg, "steps") {
		t.Errorf("Render = %v, want a step-budget error", err)
	}
	long := make([]any, 10_000)
	for i := range long {
		long[i] = float64(i)
	}
	one, err := Parse("[#list a as x]${x},[/#list]", Text)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := one.Render(map[string]any{"a": long}); err != nil || !strings.HasSuffix(out, "9999,") {
		t.Errorf("one list of 10,000: %v", err)
	}
}
