/** Pieces every page uses: loading data, showing the API's errors, money, dates, form fields. */
import { cloneElement, isValidElement, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/client';
import { fieldErrors, fieldName } from './field-errors';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/**
 * Runs `load` now and whenever `deps` change; the latest answer wins. When `deps` change (another
 * filter, another page) what was shown is dropped, so the page says it is loading rather than
 * showing rows that no longer match; `reload` keeps it in view until the new answer comes.
 */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const lastRound = useRef(round);
  useEffect(() => {
    let current = true;
    const reloading = lastRound.current !== round;
    lastRound.current = round;
    setState((s) => (reloading ? { ...s, loading: true } : { loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  return {
    data: state.data,
    error: state.error,
    loading: state.loading,
    reload: useCallback(() => setRound((r) => r + 1), []),
    setData: useCallback((data: T) => setState({ data, loading: false }), []),
  };
}

/** A form's submission: busy while it runs, the API's message when it fails. */
export function useSubmit(): {
  busy: boolean;
  error: unknown;
  /** runs `action`; true when it succeeded, false when it failed (its error is then `error`) */
  run: (action: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: useCallback(() => setError(null), []) };
}

/** Saves a fetched file as a download (a plain link could not carry the Authorization header). */
function saveAs(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A button that fetches a file with the signed-in token and saves it, with the API's message on failure. */
export function Download({
  label,
  filename,
  fetch,
  action,
}: {
  label: string;
  filename: string;
  fetch: () => Promise<Blob>;
  action: string;
}) {
  const submit = useSubmit();
  const run = () => submit.run(async () => saveAs(await fetch(), filename));
  return (
    <>
      <p>
        <button type="button" class="secondary" disabled={submit.busy} onClick={() => void run()}>
          {label}
        </button>
      </p>
      <Problem error={submit.error} action={action} />
    </>
  );
}

/** An error as the API said it: a 403 says what this sign-in may not do. */
export function Problem({ error, action }: { error: unknown; action?: string }) {
  if (error === null || error === undefined) return null;
  if (error instanceof ApiError && error.status === 403) {
    return (
      <div class="problem forbidden" role="alert">
        <strong>Not allowed{action ? `: ${action}` : ''}.</strong> {error.message}
      </div>
    );
  }
  const fields = fieldErrors(error);
  if (fields.size > 0) {
    return (
      <div class="problem" role="alert">
        <strong>Some of what was entered needs a change.</strong>
        <ul class="field-errors">
          {[...fields].map(([path, words]) => (
            <li key={path}>
              {fieldName(path)}: {words}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : 'Something went wrong.';
  return (
    <div class="problem" role="alert">
      {message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>;
}

/** Whatever a request loads: its loading state, its error, or the page. */
export function Show<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.data !== undefined) return <>{children(loaded.data)}</>;
  if (loaded.error) return <Problem error={loaded.error} action={`see ${what}`} />;
  return <Loading what={what} />;
}

/**
 * The page's title, focused when the page opens so that keyboard and screen reader users start
 * there. It leads with a name; `secondary` (what the thing is, its id) follows it in small type.
 */
export function PageTitle({
  children,
  secondary,
}: {
  children: ComponentChildren;
  secondary?: ComponentChildren;
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  // The tab's title names the page (what the heading says once it has loaded).
  useEffect(() => {
    const text = ref.current?.textContent?.trim();
    if (text) document.title = `${text} · labline console`;
  });
  return (
    <>
      <h1 tabIndex={-1} ref={ref} class={secondary ? 'with-secondary' : undefined}>
        {children}
      </h1>
      {secondary ? (
        <p class="muted small title-secondary" data-testid="title-secondary">
          {secondary}
        </p>
      ) : null}
    </>
  );
}

/**
 * A table, focusable so the keyboard can scroll it sideways. On a narrow screen (styles.css) a
 * table of `cards` shows each row as a card, each cell under its column's name (copied from the
 * header into the cell's `data-label`), so no column is off-screen; a two-column table (`cards`
 * false) scrolls sideways instead.
 */
export function TableWrap({
  label,
  cards = true,
  children,
}: {
  label: string;
  cards?: boolean;
  children: ComponentChildren;
}) {
  const table = useRef<HTMLTableElement>(null);
  useEffect(() => {
    if (!cards || !table.current) return;
    const names = [...table.current.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
    // Explicit roles keep it a table for screen readers when the cards' CSS makes its parts blocks.
    table.current.setAttribute('role', 'table');
    for (const group of table.current.querySelectorAll('thead, tbody'))
      group.setAttribute('role', 'rowgroup');
    for (const row of table.current.querySelectorAll('tr')) row.setAttribute('role', 'row');
    for (const th of table.current.querySelectorAll('thead th')) th.setAttribute('role', 'columnheader');
    for (const row of table.current.querySelectorAll('tbody tr')) {
      [...row.children].forEach((cell, i) => {
        cell.setAttribute('data-label', names[i] ?? '');
        cell.setAttribute('role', cell.tagName === 'TH' ? 'rowheader' : 'cell');
      });
    }
  });
  return (
    <div class={cards ? 'table-wrap cards' : 'table-wrap'} role="region" aria-label={label} tabIndex={0}>
      <table ref={table}>{children}</table>
    </div>
  );
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
/** Money as the API gives it (a number of dollars), in the workspace's currency format (USD). */
export const money = (amount: number): string => usd.format(amount);

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' }) : '—';

/** `datetime-local` input value (local time) ⇄ ISO date-time. */
export const localInputValue = (date: Date): string => {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
};
export const isoFromLocal = (value: string): string | null => {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
};

/**
 * A labelled control: the label names the control by its id. `error` (the API's refusal of this
 * field, in words: field-errors.ts) shows under it, and the control is marked invalid and
 * described by it (and by the hint).
 */
export function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string | null | undefined;
  children: ComponentChildren;
}) {
  const control =
    error && isValidElement(children)
      ? cloneElement(children, {
          'aria-invalid': 'true',
          'aria-describedby': [(children.props as Record<string, unknown>)['aria-describedby'], `${id}-error`]
            .filter(Boolean)
            .join(' '),
        })
      : children;
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {control}
      {hint ? (
        <small class="muted" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
      {error ? (
        <small class="field-error" id={`${id}-error`}>
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** A short note where the console leaves out what this sign-in may not do. */
export function NotOffered({ children }: { children: ComponentChildren }) {
  return <p class="note">{children}</p>;
}

/** Reads an input event's value. */
export const valueOf = (event: Event): string => (event.currentTarget as HTMLInputElement).value;

/** Keyset pages: the cursor of the page shown, and the way forward and back (a stack of cursors). */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    next: (cursor: string) => setCursors([...cursors, cursor]),
    back: () => setCursors(cursors.slice(0, -1)),
    restart: () => setCursors([undefined]),
  };
}

export function Pager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null;
}) {
  return (
    <div class="pager">
      <button type="button" class="secondary" disabled={pages.page === 1} onClick={pages.back}>
        Previous page
      </button>
      <span class="muted">Page {pages.page}</span>
      <button
        type="button"
        class="secondary"
        disabled={nextCursor === null}
        onClick={() => nextCursor !== null && pages.next(nextCursor)}
      >
        Next page
      </button>
    </div>
  );
}

/** The pager, only when there is more than one page. */
export function PagerIfMore({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null;
}) {
  return pages.page > 1 || nextCursor !== null ? <Pager pages={pages} nextCursor={nextCursor} /> : null;
}

let dialogs = 0;

/**
 * A second step before an action that cannot be undone: a modal dialog (the page behind it inert)
 * titled `label`, saying what will happen (`children`), with the action (`yes`) and the safe answer
 * (`no`). It takes the focus on its safe answer; Escape answers that too; when it closes, the
 * focus goes back to where it was when it opened (the button that asked for it). `onYes` answers
 * whether the action succeeded (useSubmit's run): when it failed, the dialog closes (`onFailed`,
 * else `onNo`) so that the page shows the refusal where the action was asked.
 */
export function Confirm({
  label,
  yes,
  no,
  busy,
  onYes,
  onNo,
  onFailed,
  children,
}: {
  label: string;
  yes: string;
  no: string;
  busy: boolean;
  onYes: () => Promise<boolean> | void;
  onNo: () => void;
  onFailed?: () => void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const [id] = useState(() => `confirm-${++dialogs}`);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    keep.current?.focus();
    return () => {
      if (element?.open) element.close();
      // The button that asked may be gone (the action removed it): then the page's title.
      if (opener?.isConnected) opener.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={onNo}
    >
      <h2 id={`${id}-title`}>{label}</h2>
      <p id={`${id}-body`}>{children}</p>
      <div class="actions">
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() =>
            void Promise.resolve(onYes()).then((ok) => {
              if (ok === false) (onFailed ?? onNo)();
            })
          }
        >
          {yes}
        </button>
        <button type="button" class="secondary" ref={keep} disabled={busy} onClick={onNo}>
          {no}
        </button>
      </div>
    </dialog>
  );
}

/** Copies `value` to the clipboard, and says so (or says to select it when the browser refuses). */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [said, setSaid] = useState<string | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(value).then(
      () => setSaid('Copied.'),
      () => setSaid('The browser did not allow copying: select the text and copy it.'),
    );
  return (
    <p class="actions">
      <button type="button" class="secondary" aria-label={label} onClick={() => void copy()}>
        Copy
      </button>
      <span role="status">{said}</span>
    </p>
  );
}

/** A secret in the one answer that carries it (a webhook signing secret, an API key). */
export function ShownOnce({
  title,
  value,
  testId,
  children,
}: {
  title: string;
  value: string;
  testId: string;
  children: ComponentChildren;
}) {
  return (
    <section class="secret" aria-labelledby={`${testId}-title`}>
      <h2 id={`${testId}-title`}>{title}</h2>
      <p>
        <code data-testid={testId}>{value}</code>
      </p>
      <CopyButton value={value} label={`Copy ${title.charAt(0).toLowerCase()}${title.slice(1)}`} />
      <p class="muted">{children}</p>
    </section>
  );
}
