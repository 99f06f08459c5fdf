/**
 * Webhook receivers of the run: real HTTP servers on 127.0.0.1 that record every delivery and
 * answer as their mode says. The healthy one always answers 200; the failing one is switched by
 * the fault schedule between answering 200, 500, hanging (no answer until labline gives up) and
 * closing the connection, and always recovers before the run settles.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = 'ok' | 'error' | 'hang' | 'close';

export interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  /** what the receiver did: the status it answered, or that it hung or closed */
  answered: number | 'hang' | 'close';
}

export interface ChaosReceiver {
  name: string;
  url: string;
  deliveries: Delivery[];
  mode: ReceiverMode;
  setMode(mode: ReceiverMode): void;
  close(): Promise<void>;
}

export async function startChaosReceiver(name: string): Promise<ChaosReceiver> {
  const deliveries: Delivery[] = [];
  let mode: ReceiverMode = 'ok';
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const now = mode;
      const answered = now === 'ok' ? 200 : now === 'error' ? 500 : now;
      deliveries.push({ path: req.url ?? '', headers, body, at: Date.now(), answered });
      if (now === 'hang') return; // labline's WEBHOOK_TIMEOUT_MS ends it
      if (now === 'close') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answered as number, { 'content-type': 'text/plain' }).end(now === 'ok' ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: ChaosReceiver = {
    name,
    url: `http://127.0.0.1:${port}`,
    deliveries,
    get mode() {
      return mode;
    },
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/**
 * What stands for a load balancer in front of the replicas for Junction's webhooks (the
 * simulator has one URL): each request goes to a replica picked at random, and to the other
 * when that one does not take the connection (killed). No answer at all: 502, and Junction retries.
 */
export async function startBalancer(
  targets: () => string[],
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const order = targets().sort(() => Math.random() - 0.5);
      const attempt = (i: number): void => {
        const target = order[i];
        if (!target) {
          res.writeHead(502).end();
          return;
        }
        const url = new URL(req.url ?? '/', target);
        const out = http.request(
          url,
          { method: req.method, headers: { ...req.headers, host: url.host }, timeout: 15_000 },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        out.on('error', () => (res.headersSent ? res.destroy() : attempt(i + 1)));
        out.on('timeout', () => out.destroy());
        out.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
