/**
 * Sign-in: paste a bearer token or an API key; in demo mode, one click per demo persona. The
 * token stays in this tab's sessionStorage. The next call to the API checks it: a 401 brings this
 * page back with the API's message.
 */
import { useState } from 'preact/hooks';
import { demoPersonas } from './demo';
import { session } from './session';
import { Field, PageTitle, Problem, useApi, valueOf } from './ui';

export function SignIn() {
  const personas = useApi(demoPersonas, []);
  const [token, setToken] = useState('');
  const expired = session.expiredMessage();
  const submit = (event: Event) => {
    event.preventDefault();
    const value = token.trim().replace(/^Bearer\s+/i, '');
    if (value) session.signIn(value);
  };
  return (
    <main id="main" class="sign-in">
      <PageTitle>Sign in to the labline console</PageTitle>
      {expired ? (
        <div class="problem" role="alert">
          <strong>Signed out.</strong> {expired}
        </div>
      ) : null}
      {personas.data ? (
        <section aria-labelledby="personas-title">
          <h2 id="personas-title">Demo personas</h2>
          <p class="muted">This service runs in demo mode: sign in as one of its people with one click.</p>
          <ul class="personas">
            {personas.data.map((p) => (
              <li key={p.persona}>
                <button
                  type="button"
                  onClick={() => session.signIn(p.token)}
                  aria-describedby={`persona-${p.persona}`}
                >
                  Sign in as {p.label}
                </button>
                <span class="muted" id={`persona-${p.persona}`}>
                  {p.description}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <Problem error={personas.error} />
      <section aria-labelledby="token-title">
        <h2 id="token-title">With a token</h2>
        <form onSubmit={submit}>
          <Field
            id="token"
            label="Bearer token or API key"
            hint="Kept in this browser tab only (session storage), never in a URL. Closing the tab signs you out."
          >
            <textarea
              id="token"
              rows={3}
              spellcheck={false}
              autocomplete="off"
              aria-describedby="token-hint"
              value={token}
              onInput={(e) => setToken(valueOf(e))}
            />
          </Field>
          <button type="submit" disabled={!token.trim()}>
            Sign in
          </button>
        </form>
      </section>
    </main>
  );
}
