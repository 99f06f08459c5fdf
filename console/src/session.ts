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

/**
 * How a sign-in reaches a new tab of this console (a link opened in a new tab starts with an empty
 * sessionStorage): the new tab asks on a BroadcastChannel, which only pages of this origin can
 * open, and a tab that is signed in answers with its token. Nothing is written to storage other
 * tabs or sites can read, and the token never enters a URL. Signing out in one tab signs out every
 * tab that holds the same token. docs/console.md, "Signing in".
 */
const CHANNEL = 'labline.console.session';
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL);
const tabId = crypto.randomUUID();
type Message =
  | { type: 'ask'; from: string }
  | { type: 'token'; to: string; token: string }
  | { type: 'signed-out'; token: string };

channel?.addEventListener('message', (event: MessageEvent<Message>) => {
  const message = event.data;
  const token = session.token();
  if (message.type === 'ask' && token !== null) {
    channel.postMessage({ type: 'token', to: message.from, token } satisfies Message);
  } else if (message.type === 'token' && message.to === tabId && token === null) {
    session.signIn(message.token);
  } else if (message.type === 'signed-out' && token === message.token) {
    sessionStorage.removeItem(KEY);
    notify();
  }
});

/**
 * Asks the other tabs of this console for their sign-in; resolves once one answered (this tab is
 * then signed in) or after `waitMs`.
 */
export function askOtherTabs(waitMs = 400): Promise<void> {
  if (channel === null || session.token() !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    const unsubscribe = session.subscribe(done);
    channel.postMessage({ type: 'ask', from: tabId } satisfies Message);
  });
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
    const token = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    if (token !== null) channel?.postMessage({ type: 'signed-out', token } satisfies Message);
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
