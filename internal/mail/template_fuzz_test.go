package mail

import (
	"errors"
	"strings"
	"testing"
)

// sentinel ends every fuzzed value: a '<' that comes from a value is always
// followed by it, and no template can contain it (templates with \x01 are
// skipped), so finding it unescaped in HTML output means a value's '<'
// escaped escaping.
const sentinel = "<zq\x01"

// FuzzTemplate: parse then render never panics, errors are always the
// positioned types, and in an HTML template no value's '<' reaches the
// output unescaped, whatever the template does with it (assign, concatenate,
// list, default, ?url, ?then ...).
func FuzzTemplate(f *testing.F) {
	seeds := []string{
		"Hi ${user.firstName!'x'}", "[#if v??]${v}[#else]-[/#if]", `[#assign u = "a" + v + "<b>"]${u}`,
		"[#list h as k, x]${k}=${x?url}&[/#list]", "${(user.email == v)?then(v, '<i>')}", "<#if v?has_content>${v?html}</#if>",
		"[#-- c --]${'<'}${v}", `${"x${v}y"}`, "${v!}", "[#list h!{} as k]${k}[#else]none[/#list]",
	}
	for _, s := range seeds {
		f.Add(s, "<script>&'\"")
	}
	f.Fuzz(func(t *testing.T, src, v string) {
		if strings.ContainsRune(src, '\x01') {
			t.Skip()
		}
		v += sentinel
		data := map[string]any{
			"v":    v,
			"user": map[string]any{"email": v, "firstName": v},
			"h":    map[string]any{v: v, "k": []any{v}},
		}
		for _, format := range []Format{Text, HTML} {
			tpl, err := Parse(src, format)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse error %T %v is not a *ParseError", err, err)
				}
				return
			}
			out, err := tpl.Render(data)
			if err != nil {
				var re *RenderError
				if !errors.As(err, &re) {
					t.Fatalf("Render error %T %v is not a *RenderError", err, err)
				}
				continue
			}
			if format == HTML && strings.Contains(out, sentinel) {
				t.Fatalf("HTML output of %q contains a value's unescaped '<': %q", src, out)
			}
		}
	})
}
