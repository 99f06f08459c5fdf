import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/database.js';
import { fingerprint, purgeExpired } from '../src/idempotency/plugin.js';
import { createOrder, orderBody, startLabStack, type LabStack } from './helpers/lab-stack.js';

describe('Idempotency-Key storage', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  it('fingerprints canonical JSON: key order does not matter, values do', () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint({ a: [1, 2] })).not.toBe(fingerprint({ a: [2, 1] }));
  });

  it('purges expired keys; an expired key can then be used for a new request', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await createOrder(s, body, key);
    expect(first.status).toBe(201);
    await s.t.database.db.execute(
      sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${key}`,
    );
    expect(await purgeExpired(s.t.database)).toBeGreaterThanOrEqual(1);
    const left = await rows(s.t.database.db, sql`select 1 from idempotency_keys where key = ${key}`);
    expect(left).toHaveLength(0);
    const again = await createOrder(s, body, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);
  });

  it('an expired key that was not purged yet counts as unused', async () => {
    const key = randomUUID();
    const first = await createOrder(s, orderBody(), key);
    await s.t.database.db.execute(
      sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${key}`,
    );
    const other = await createOrder(s, orderBody({ panel_id: 'pcos' }), key);
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
  });

  it('a replay only reads: the stored key is neither locked nor rewritten', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await createOrder(s, body, key);
    // A row lock or an update sets the row's xmax (the locking transaction) or moves it (ctid).
    const version = () =>
      rows(
        s.t.database.db,
        sql`select ctid::text as ctid, xmax::text as xmax from idempotency_keys where key = ${key}`,
      );
    const before = await version();
    expect(before).toHaveLength(1);
    const replay = await createOrder(s, body, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const reused = await createOrder(s, orderBody({ panel_id: 'pcos' }), key);
    expect(reused.status).toBe(409);
    expect(await version()).toEqual(before);
  });

  it('counts replays and conflicts in /metrics', async () => {
    const body = orderBody();
    const key = randomUUID();
    await createOrder(s, body, key);
    await createOrder(s, body, key);
    await createOrder(s, orderBody(), key);
    const metrics = (await s.t.request('GET', '/metrics')).text;
    expect(metrics).toMatch(
      /idempotency_outcomes_total\{route="POST \/v1\/lab-orders",outcome="replayed"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /idempotency_outcomes_total\{route="POST \/v1\/lab-orders",outcome="conflict"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /junction_call_duration_seconds_count\{operation="create_order",outcome="ok"\} [1-9]/,
    );
  });
});
