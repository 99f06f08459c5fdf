/**
 * What the clients saw, request by request: the checker's evidence for the "answers" and
 * "one answer per Idempotency-Key" invariants, and what they know they changed (for "events").
 */

export interface Call {
  actor: string;
  replica: string;
  method: string;
  /** the route, ids replaced by `:id` (for the summary) */
  route: string;
  path: string;
  /** the status, or null without an answer */
  status: number | null;
  outcome: 'answer' | 'timeout' | 'network';
  /** the `error` code of an error body */
  error?: string;
  retryAfter?: string | null;
  start: number;
  end: number;
  /** how long the client was willing to wait */
  patienceMs: number;
  /** waited as long as the documented bound: a timeout here is a hang */
  full: boolean;
  key?: string;
  /** body text of 5xx answers and of keyed creates' answers */
  text?: string;
}

/** One Idempotency-Key of a create, and every final answer it got. */
export interface KeyRecord {
  key: string;
  surface: 'lab_order' | 'lab_visit';
  tenant: string;
  path: string;
  token: string;
  body: unknown;
  /** final answers (2xx, and definite refusals that are stored and replayed) */
  answers: { status: number; text: string; at: number; replica: string }[];
}

/** A change a client made and was told (2xx) it made. */
export interface AckedChange {
  kind:
    | 'lab_order.created'
    | 'lab_order.cancelled'
    | 'lab_visit.created'
    | 'lab_visit.status'
    | 'lab_visit.results'
    | 'lab_visit.deleted';
  id: string;
  tenant: string;
  /** the status moved to, for status changes */
  to?: string;
  at: number;
}

export class Recorder {
  readonly calls: Call[] = [];
  readonly keys = new Map<string, KeyRecord>();
  readonly changes: AckedChange[] = [];

  call(c: Call): void {
    this.calls.push(c);
  }

  keyAnswer(rec: Omit<KeyRecord, 'answers'>, answer: KeyRecord['answers'][number]): void {
    let r = this.keys.get(rec.key);
    if (!r) this.keys.set(rec.key, (r = { ...rec, answers: [] }));
    r.answers.push(answer);
  }

  change(c: AckedChange): void {
    this.changes.push(c);
  }
}

export function routeOf(path: string): string {
  return path
    .split('?')[0]!
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id')
    .replace(/\b[0-9a-f]{24}\b/g, ':id');
}
