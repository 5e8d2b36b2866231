package mail

import "github.com/latchkeyhq/latchkey/internal/storage"

// Ids of the default templates: fixed, so a Kickstart file or a tenant can
// name them, and so N nodes seeding at once agree.
const (
	DefaultEmailVerificationID = "7a1f5c1e-0001-4c6b-9b1e-6c6174636801"
	DefaultForgotPasswordID    = "7a1f5c1e-0002-4c6b-9b1e-6c6174636802"
	DefaultSetupPasswordID     = "7a1f5c1e-0003-4c6b-9b1e-6c6174636803"
	DefaultPasswordUpdateID    = "7a1f5c1e-0004-4c6b-9b1e-6c6174636804"
	DefaultTwoFactorCodeID     = "7a1f5c1e-0005-4c6b-9b1e-6c6174636805"
	DefaultPasswordlessID      = "7a1f5c1e-0006-4c6b-9b1e-6c6174636806"
	// DefaultRegistrationVerificationID is the registration verification
	// mail of an application with verifyRegistration.
	DefaultRegistrationVerificationID = "7a1f5c1e-0007-4c6b-9b1e-6c6174636807"
)

// Defaults returns the templates latchkey ships, one for every email it
// sends, in FusionAuth's template language. Each names the data it reads:
//
//	email verification: user, verificationId, verificationOneTimeCode (FormField strategy), baseUrl
//	forgot password:    user, changePasswordId, baseUrl, state (optional map, appended to the link)
//	setup password:     user, changePasswordId, baseUrl
//	password changed:   user
//	two-factor code:    user, code
//	passwordless login: user, code (link) or oneTimeCode, baseUrl, state (optional)
//	registration verification: user, application, verificationId,
//	                    verificationOneTimeCode (FormField strategy), baseUrl
func Defaults() []storage.EmailTemplate {
	return []storage.EmailTemplate{
		{
			ID: DefaultEmailVerificationID, Name: "[latchkey] Email verification", DefaultSubject: "Confirm your email address",
			DefaultHTMLTemplate: `<p>Hello[#if user.firstName??] ${user.firstName}[/#if],</p>
[#if verificationOneTimeCode??]
<p>Enter this code where you signed up to confirm that ${user.email} is yours:</p>
<p style="font-size:1.5em;letter-spacing:.2em"><strong>${verificationOneTimeCode}</strong></p>
[#else]
[#assign url = "${baseUrl}/email/verify/${verificationId}" /]
<p>Confirm that ${user.email} is yours by opening this link:</p>
<p><a href="${url}">${url}</a></p>
[/#if]
<p>If you did not create an account, you can ignore this email.</p>
`,
			DefaultTextTemplate: `Hello[#if user.firstName??] ${user.firstName}[/#if],

[#if verificationOneTimeCode??]
Enter this code where you signed up to confirm that ${user.email} is yours:

    ${verificationOneTimeCode}
[#else]
Confirm that ${user.email} is yours by opening this link:

${baseUrl}/email/verify/${verificationId}
[/#if]

If you did not create an account, you can ignore this email.
`,
		},
		{
			ID: DefaultForgotPasswordID, Name: "[latchkey] Forgot password", DefaultSubject: "Reset your password",
			DefaultHTMLTemplate: `[#setting url_escaping_charset="UTF-8"]
[#assign url = "${baseUrl}/password/change/${changePasswordId}" /]
[#assign sep = "?" /][#list state!{} as key, value][#if value??][#assign url = url + sep + key?url + "=" + value?url /][#assign sep = "&" /][/#if][/#list]
<p>Hello[#if user.firstName??] ${user.firstName}[/#if],</p>
<p>Someone asked to reset the password of ${user.email}. To choose a new one, open this link:</p>
<p><a href="${url}">${url}</a></p>
<p>The link works once and expires soon. If you did not ask for it, ignore this email: your password stays as it is.</p>
`,
			DefaultTextTemplate: `[#setting url_escaping_charset="UTF-8"]
[#assign url = "${baseUrl}/password/change/${changePasswordId}" /]
[#assign sep = "?" /][#list state!{} as key, value][#if value??][#assign url = url + sep + key?url + "=" + value?url /][#assign sep = "&" /][/#if][/#list]
Hello[#if user.firstName??] ${user.firstName}[/#if],

Someone asked to reset the password of ${user.email}. To choose a new one, open this link:

${url}

The link works once and expires soon. If you did not ask for it, ignore this email: your password stays as it is.
`,
		},
		{
			ID: DefaultSetupPasswordID, Name: "[latchkey] Set up password", DefaultSubject: "Set up your password",
			DefaultHTMLTemplate: `[#assign url = "${baseUrl}/password/change/${changePasswordId}" /]
<p>Hello[#if user.firstName??] ${user.firstName}[/#if],</p>
<p>An account was created for ${user.email}. Choose your password here:</p>
<p><a href="${url}">${url}</a></p>
`,
			DefaultTextTemplate: `Hello[#if user.firstName??] ${user.firstName}[/#if],

An account was created for ${user.email}. Choose your password here:

${baseUrl}/password/change/${changePasswordId}
`,
		},
		{
			ID: DefaultPasswordUpdateID, Name: "[latchkey] Password changed", DefaultSubject: "Your password was changed",
			DefaultHTMLTemplate: `<p>Hello[#if user.firstName??] ${user.firstName}[/#if],</p>
<p>The password of ${user.email} was just changed, and your other sessions were signed out.</p>
<p>If this was not you, reset your password now and tell your administrator.</p>
`,
			DefaultTextTemplate: `Hello[#if user.firstName??] ${user.firstName}[/#if],

The password of ${user.email} was just changed, and your other sessions were signed out.

If this was not you, reset your password now and tell your administrator.
`,
		},
		{
			ID: DefaultRegistrationVerificationID, Name: "[latchkey] Registration verification", DefaultSubject: "Confirm your registration",
			DefaultHTMLTemplate: `<p>Hello[#if user.firstName??] ${user.firstName}[/#if],</p>
[#if verificationOneTimeCode??]
<p>Enter this code where you registered to confirm your registration for ${application.name}:</p>
<p style="font-size:1.5em;letter-spacing:.2em"><strong>${verificationOneTimeCode}</strong></p>
[#else]
[#assign url = "${baseUrl}/registration/verify/${verificationId}" /]
<p>Confirm your registration for ${application.name} by opening this link:</p>
<p><a href="${url}">${url}</a></p>
[/#if]
<p>If you did not register, you can ignore this email.</p>
`,
			DefaultTextTemplate: `Hello[#if user.firstName??] ${user.firstName}[/#if],

[#if verificationOneTimeCode??]
Enter this code where you registered to confirm your registration for ${application.name}:

    ${verificationOneTimeCode}
[#else]
Confirm your registration for ${application.name} by opening this link:

${baseUrl}/registration/verify/${verificationId}
[/#if]

If you did not register, you can ignore this email.
`,
		},
		{
			ID: DefaultTwoFactorCodeID, Name: "[latchkey] Two-factor code", DefaultSubject: "Your sign-in code",
			DefaultHTMLTemplate: `<p>Your sign-in code is</p>
<p style="font-size:1.5em;letter-spacing:.2em"><strong>${code}</strong></p>
<p>Enter it on the sign-in form. If you are not signing in, someone knows your password: change it.</p>
`,
			DefaultTextTemplate: `Your sign-in code is

    ${code}

Enter it on the sign-in form. If you are not signing in, someone knows your password: change it.
`,
		},
		{
			ID: DefaultPasswordlessID, Name: "[latchkey] Passwordless login", DefaultSubject: "Your sign-in link",
			DefaultHTMLTemplate: `[#setting url_escaping_charset="UTF-8"]
[#if oneTimeCode??]
<p>Your sign-in code is <strong>${oneTimeCode}</strong>.</p>
[#else]
[#assign url = "${baseUrl}/passwordless/${code}" /]
[#assign sep = "?" /][#list state!{} as key, value][#if value??][#assign url = url + sep + key?url + "=" + value?url /][#assign sep = "&" /][/#if][/#list]
<p>Open this link to sign in as ${user.email}:</p>
<p><a href="${url}">${url}</a></p>
[/#if]
<p>It works once and expires soon. If you did not ask to sign in, ignore this email.</p>
`,
			DefaultTextTemplate: `[#setting url_escaping_charset="UTF-8"]
[#if oneTimeCode??]
Your sign-in code is ${oneTimeCode}.
[#else]
[#assign url = "${baseUrl}/passwordless/${code}" /]
[#assign sep = "?" /][#list state!{} as key, value][#if value??][#assign url = url + sep + key?url + "=" + value?url /][#assign sep = "&" /][/#if][/#list]
Open this link to sign in as ${user.email}:

${url}
[/#if]

It works once and expires soon. If you did not ask to sign in, ignore this email.
`,
		},
	}
}
