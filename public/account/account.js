// The pages behind the links in e-mails (/verify, /reset-password, /report-email-change). Each
// reads the token from its link, posts it to the API and says what happened. Text from the API
// is shown with textContent, never as HTML.
(() => {
  const page = document.body.dataset.page;
  const api = document.documentElement.dataset.api;
  const token = new URLSearchParams(location.search).get('token');
  // The token leaves the address bar and the history at once: it is neither bookmarked, nor
  // shown to someone looking over a shoulder, nor sent anywhere (the Referrer-Policy is
  // no-referrer as well).
  history.replaceState(null, '', location.pathname);

  const status = document.getElementById('status');
  const EXPIRED_HINT = 'Each link works once and expires: ask for a new e-mail.';

  /** Shows `lines` as the outcome: `pending`, `ok` or `error`. */
  function show(outcome, ...lines) {
    status.dataset.outcome = outcome;
    status.replaceChildren(
      ...lines.map((line) => {
        const paragraph = document.createElement('p');
        paragraph.textContent = line;
        return paragraph;
      }),
    );
  }

  /** What a problem+json answer says: its detail, then each field's message. */
  function problemLines(problem) {
    const fieldMessages = Array.isArray(problem.errors)
      ? problem.errors.map((error) => error.message)
      : [];
    return [problem.detail ?? problem.title ?? 'Something went wrong.', ...fieldMessages];
  }

  /** POSTs `body` as JSON to the API; resolves to `{ ok, status, body }`, never rejects. */
  async function post(path, body) {
    try {
      const response = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'omit',
      });
      const answer = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, body: answer };
    } catch {
      return {
        ok: false,
        status: 0,
        body: { detail: 'The server could not be reached: check the connection and try again.' },
      };
    }
  }

  /** A bad or used token cannot succeed on a second try; anything else (429, 503) can. */
  const tokenIsDead = (answer) => answer.status === 400 && /_BAD_TOKEN$/.test(answer.body.code);

  async function verify() {
    show('pending', 'Checking the link…');
    const answer = await post('/auth/verify', { token });
    if (answer.ok) show('ok', `Your e-mail address ${answer.body.email} is verified.`);
    else
      show('error', ...problemLines(answer.body), ...(tokenIsDead(answer) ? [EXPIRED_HINT] : []));
  }

  function resetPassword() {
    const form = document.getElementById('reset-form');
    const password = form.elements.namedItem('password');
    const confirmation = form.elements.namedItem('confirmation');
    const button = form.querySelector('button');
    form.hidden = false;
    password.focus();
    form.addEventListener('input', () => confirmation.setCustomValidity(''));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (password.value !== confirmation.value) {
        confirmation.setCustomValidity('The two passwords differ.');
        confirmation.reportValidity();
        show('error', 'The two passwords differ.');
        return;
      }
      button.disabled = true;
      show('pending', 'Setting the new password…');
      const answer = await post('/auth/reset-password', { token, password: password.value });
      button.disabled = false;
      if (answer.ok) {
        form.hidden = true;
        show(
          'ok',
          'Your password is changed.',
          'Every session was signed out: sign in again with the new password.',
        );
      } else if (tokenIsDead(answer)) {
        form.hidden = true;
        show('error', ...problemLines(answer.body), EXPIRED_HINT);
      } else {
        show('error', ...problemLines(answer.body));
      }
    });
  }

  function reportEmailChange() {
    const form = document.getElementById('report-form');
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      form.querySelector('button').disabled = true;
      show('pending', 'Reporting the change…');
      const answer = await post('/auth/report-email-change', { token });
      form.hidden = answer.ok || tokenIsDead(answer);
      form.querySelector('button').disabled = false;
      if (answer.ok) show('ok', answer.body.detail, 'Now reset your password.');
      else show('error', ...problemLines(answer.body));
    });
  }

  const PAGES = {
    verify,
    'reset-password': resetPassword,
    'report-email-change': reportEmailChange,
  };
  if (!token) show('error', 'This link has no token: open the link from the e-mail again.');
  else PAGES[page]();
})();
