/**
 * The signed-in token, kept in this tab's sessionStorage (gone when the tab closes, never in a
 * URL), and who listens for sign-in and sign-out.
 */
const KEY = 'labline.console.token';

type Listener = () => void;
const listeners = new Set<Listener>();
let expiredMessage: string | null = null;

function notify(): void {
  for (const listener of listeners) listener();
}

export const session = {
  token(): string | null {
    return sessionStorage.getItem(KEY);
  },
  signIn(token: string): void {
    sessionStorage.setItem(KEY, token);
    expiredMessage = null;
    notify();
  },
  signOut(): void {
    sessionStorage.removeItem(KEY);
    notify();
  },
  /**
   * The API refused `token` (401): back to the sign-in page, with the API's message. Only while
   * `token` is still the signed-in one: the first refusal ends the session, and a late answer to a
   * request sent with an earlier token leaves a newer sign-in alone.
   */
  expire(message: string, token: string | null): void {
    if (token === null || session.token() !== token) return;
    expiredMessage = message;
    session.signOut();
  },
  /** Why the last session ended, if the API ended it. */
  expiredMessage(): string | null {
    return expiredMessage;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
