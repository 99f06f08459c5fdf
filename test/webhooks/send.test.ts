/**
 * The outbound request to a receiver, against real local HTTP servers: Standard Webhooks headers
 * verified with the library's own `verify`, two signatures after a rotation, the deadline, no
 * redirects, 1 KiB of answer kept, the address check at delivery and the pinned connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, sendWebhook, type SendRequest } from '../../src/webhooks/send.js';
import { newSigningSecret, signatureHeader } from '../../src/webhooks/signing.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver whose answer each test sets; it records what it got. */
function receiver() {
  const received: Received[] = [];
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end('ok');
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res);
    });
  });
  return {
    received,
    answer(h: typeof handler) {
      handler = h;
    },
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const open = { requireHttps: false, allowPrivate: true };
const strict = { requireHttps: false, allowPrivate: false };

describe('sending a webhook', () => {
  const r = receiver();
  const other = receiver();
  let base: string;
  let otherBase: string;
  beforeAll(async () => {
    base = `http://127.0.0.1:${await r.start()}`;
    otherBase = `http://127.0.0.1:${await other.start()}`;
  });
  afterAll(async () => {
    await r.close();
    await other.close();
  });

  const request = (overrides: Partial<SendRequest> = {}, secrets = [newSigningSecret()]): SendRequest => {
    const body = JSON.stringify({ id: 'evt_1', type: 'lab_order.created', data: { object: { id: 'x' } } });
    const at = new Date();
    return {
      url: `${base}/hooks`,
      policy: open,
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'evt_1',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signatureHeader(secrets, 'evt_1', at, body),
      },
      body,
      timeoutMs: 2000,
      ...overrides,
    };
  };

  it('POSTs the body with Standard Webhooks headers that the library verifies; a 2xx is success', async () => {
    const secret = newSigningSecret();
    r.answer((_req, res) => res.writeHead(204).end());
    const before = r.received.length;
    const outcome = await sendWebhook(request({}, [secret]));
    expect(outcome).toMatchObject({ ok: true, status: 204, error: null });
    const got = r.received[before] as Received;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hooks');
    expect(got.headers['content-type']).toBe('application/json');
    const verified = new Webhook(secret).verify(got.body, got.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(got.body));
    expect(() =>
      new Webhook(newSigningSecret()).verify(got.body, got.headers as Record<string, string>),
    ).toThrow();
  });

  it('two secrets give two space-separated signatures, each verifiable with its own secret', async () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    r.answer((_req, res) => res.end('ok'));
    const before = r.received.length;
    await sendWebhook(request({}, [current, previous]));
    const got = r.received[before] as Received;
    const signatures = String(got.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    for (const [secret, signature] of [
      [current, signatures[0]],
      [previous, signatures[1]],
    ] as const) {
      const headers = { ...(got.headers as Record<string, string>), 'webhook-signature': String(signature) };
      expect(new Webhook(secret).verify(got.body, headers)).toEqual(JSON.parse(got.body));
    }
    const swapped = {
      ...(got.headers as Record<string, string>),
      'webhook-signature': String(signatures[1]),
    };
    expect(() => new Webhook(current).verify(got.body, swapped)).toThrow();
  });

  it('a non-2xx answer is a failure with its status and at most 1 KiB of its body', async () => {
    r.answer((_req, res) => res.writeHead(500).end('e'.repeat(5000)));
    const outcome = await sendWebhook(request());
    expect(outcome).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    expect(outcome.responseBody).toBe('e'.repeat(MAX_RESPONSE_BYTES));
  });

  it('a receiver that never answers is timed out', async () => {
    r.answer(() => {});
    const outcome = await sendWebhook(request({ timeoutMs: 300 }));
    expect(outcome).toMatchObject({
      ok: false,
      status: null,
      error: 'timed out after 300 ms',
      responseBody: null,
    });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('a redirect is not followed', async () => {
    r.answer((_req, res) => res.writeHead(302, { location: `${otherBase}/elsewhere` }).end());
    const before = other.received.length;
    const outcome = await sendWebhook(request());
    expect(outcome).toMatchObject({ ok: false, status: 302, error: 'redirects are not followed' });
    expect(other.received.length).toBe(before);
  });

  it('nothing listening: connection refused', async () => {
    const closed = receiver();
    const port = await closed.start();
    await closed.close();
    const outcome = await sendWebhook(request({ url: `http://127.0.0.1:${port}/x` }));
    expect(outcome).toMatchObject({ ok: false, status: null, error: 'connection refused' });
  });

  it('the address is checked again at delivery: a host that now resolves to a private address is not contacted', async () => {
    const before = r.received.length;
    const outcome = await sendWebhook(
      request({
        url: `http://receiver.example:${new URL(base).port}/hooks`,
        policy: strict,
        resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      }),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/^refused: .*non-public/);
    expect(r.received.length).toBe(before);
  });

  it('the connection goes to the address that was checked, with the URL’s host in the Host header', async () => {
    r.answer((_req, res) => res.end('ok'));
    let lookups = 0;
    const before = r.received.length;
    const port = new URL(base).port;
    const outcome = await sendWebhook(
      request({
        url: `http://receiver.example:${port}/pinned`,
        resolve: async () => {
          lookups++;
          return [{ address: '127.0.0.1', family: 4 }];
        },
      }),
    );
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(lookups).toBe(1);
    expect(r.received[before]).toMatchObject({
      url: '/pinned',
      headers: expect.objectContaining({ host: `receiver.example:${port}` }),
    });
  });
});
