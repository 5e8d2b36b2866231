// The account pages both apps share: create an account, confirm the
// address from the mail's link, "Forgot password?" and the reset from the
// mail's link, and "Change password" while logged in. Everything goes
// through the SDK's account calls: latchkey's keyless sign-up and
// FusionAuth's forgot password, change password and verify email. The
// mails' links open this page at /email/verify/{id} and
// /password/change/{id} (the apps serve index.html there); the id is read
// and then dropped from the address bar, so it stays out of the history.

/**
 * Wires the account forms. `ui` is what the shell gives: the SDK client,
 * show(section), finish(loginResult) (the app, or the second-factor form
 * when the login answered {twoFactor}), showLogin(), log(kind, text) and
 * $(id).
 */
export function wireAccounts(ui) {
  const { client, show, finish, showLogin, log, $ } = ui;
  let resetId = '';
  let resendTo = '';

  function notice(text, resend = false) {
    $('notice-text').textContent = text;
    $('resend').hidden = !resend;
    show('notice');
  }
  /** Runs a form's submit with its error line cleared and filled on failure. */
  function onSubmit(form, errorId, fn) {
    $(form).addEventListener('submit', async (ev) => {
      ev.preventDefault();
      $(errorId).textContent = '';
      try {
        await fn();
      } catch (e) {
        $(errorId).textContent = e.retryAfter ? `${e.message}` : e.message;
      }
    });
  }

  $('show-signup').addEventListener('click', async () => {
    show('signup');
    $('signup-first').focus();
    const rules = await client.passwordRules().catch(() => null);
    if (rules) $('signup-rules').textContent = `Passwords need at least ${rules.minLength} characters${rules.requireNumber ? ', a number' : ''}${rules.requireMixedCase ? ', upper and lower case' : ''}.`;
  });
  $('show-forgot').addEventListener('click', () => {
    $('forgot-email').value = $('loginId').value;
    show('forgot');
    $('forgot-email').focus();
  });
  for (const b of document.querySelectorAll('button.back')) b.addEventListener('click', showLogin);

  onSubmit('signup-form', 'signup-error', async () => {
    const email = $('signup-email').value;
    await client.signUp({ firstName: $('signup-first').value || undefined, email, password: $('signup-password').value });
    $('signup-password').value = '';
    resendTo = email;
    log('signup', `Account created for ${email}; confirmation email sent`);
    notice(`Welcome! We sent a confirmation link to ${email}. Open it, then log in.`, true);
  });
  onSubmit('forgot-form', 'forgot-error', async () => {
    const email = $('forgot-email').value;
    await client.forgotPassword(email);
    log('forgot', `Password reset asked for ${email}`);
    notice(`If ${email} has an account, a link to choose a new password is on its way.`);
  });
  onSubmit('reset-form', 'reset-error', async () => {
    const result = await client.changePassword({ changePasswordId: resetId, password: $('reset-password').value });
    $('reset-password').value = '';
    log('password', 'New password set; every other session was signed out');
    await finish(result);
  });
  $('show-change').addEventListener('click', () => {
    $('change-form').hidden = !$('change-form').hidden;
    $('change-current').focus();
  });
  onSubmit('change-form', 'change-error', async () => {
    const result = await client.changePassword({ currentPassword: $('change-current').value, password: $('change-password').value });
    $('change-current').value = $('change-password').value = '';
    $('change-form').hidden = true;
    log('password', 'Password changed; every other session was signed out');
    await finish(result);
  });
  $('resend').addEventListener('click', async () => {
    await client.resendVerification(resendTo).catch((e) => log('error', e.message));
    notice(`We sent another confirmation link to ${resendTo}.`, true);
  });

  return {
    /** Handles the mails' links; true when the path was one of them. */
    async route(path) {
      const m = path.match(/^\/(email\/verify|password\/change)\/([^/]+)$/);
      if (!m) return false;
      history.replaceState(null, '', '/');
      const id = decodeURIComponent(m[2]);
      if (m[1] === 'email/verify') {
        try {
          await client.verifyEmail(id);
          log('verified', 'Email address confirmed');
          notice('Your email address is confirmed. You can log in now.');
        } catch (e) {
          notice(e.status === 404 ? 'This confirmation link has expired or was already used.' : e.message);
        }
      } else if (await client.checkChangePasswordId(id)) {
        resetId = id;
        show('reset');
        $('reset-password').focus();
      } else {
        notice('This password reset link has expired or was already used. Ask for a new one.');
      }
      return true;
    },
    /** Handles a login that answered 212 or 203; true when it did. */
    loginError(e, loginId) {
      if (e.status === 212) {
        resendTo = loginId;
        notice(`Confirm your email address first: open the link we sent to ${loginId}.`, true);
        return true;
      }
      if (e.status === 203 && e.details?.changePasswordId) {
        resetId = e.details.changePasswordId;
        $('reset-error').textContent = `Your password must be changed (${e.details.changePasswordReason}).`;
        show('reset');
        return true;
      }
      return false;
    },
  };
}
