/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request and
 * answers as the test says (a status per request in turn, a delay, never).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** What the receiver does with one request: answer with a status (after a delay), or never. */
export type Answer =
  | number
  | { status: number; delayMs?: number; body?: string | Buffer; headers?: Record<string, string> }
  | 'never';

export interface Receiver {
  url: string;
  received: Received[];
  /** answers in turn, then `otherwise` for every later request */
  answer(...answers: Answer[]): void;
  otherwise(answer: Answer): void;
  /** resolves once `predicate` holds for what was received (checked on every request) */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  /** the requests carrying this webhook-id */
  withId(id: string): Received[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const queue: Answer[] = [];
  let fallback: Answer = 200;
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      received.push({ path: req.url ?? '', headers, body, at: Date.now() });
      const answer = queue.length > 0 ? (queue.shift() as Answer) : fallback;
      for (const w of waiters) w();
      if (answer === 'never') return;
      const a = typeof answer === 'number' ? { status: answer } : answer;
      const send = () => res.writeHead(a.status, a.headers).end(a.body ?? '');
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (...answers) => queue.push(...answers),
    otherwise: (answer) => {
      fallback = answer;
    },
    waitFor(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `receiver: condition not met within ${timeoutMs} ms; got ${received.length} request(s)`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    withId: (id) => received.filter((r) => r.headers['webhook-id'] === id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The event a request carries, verified with the Standard Webhooks library (throws if it does not verify). */
export function verified(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, r.headers);
}
