/**
 * Property-based robustness of every route, driven by the routes' own schemas: for each
 * operation in /openapi.json, fast-check generates bodies (and path parameters) the schema
 * accepts and breaks one place of them — wrong types, huge and odd strings, unicode, NUL and
 * other control characters, unpaired surrogates, deep nesting, prototype keys — and sends them
 * over HTTP to the demo app (seeded ids mixed in so requests also reach the handlers). For every
 * answer: no 5xx (except Junction's own 502 answers), every error is `{error, message}`, a refused
 * request stores nothing, a control character or unpaired surrogate is a 400 naming its field,
 * and nothing pollutes Object.prototype.
 *
 * At least PROPERTY_BODIES (default 2,000) broken bodies are sent, spread over the operations
 * that take one on both surfaces, and the test counts them so the claim cannot shrink unnoticed;
 * parameters get PROPERTY_RUNS (default 12) cases per operation. One seed drives the whole file
 * (PROPERTY_SEED, else a random one), and a failure prints it: `PROPERTY_SEED=<seed>` replays
 * the run.
 */
import { sql, type SQL } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  mutatedBody,
  valueFor,
  type KnownIds,
  type Mutated,
  type Schema,
} from '../helpers/schema-arbitrary.js';

/** cases per operation for path and query parameters */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);
/** broken bodies sent in all, at least (issue #11 asks for 2,000 in CI) */
const BODIES = Number(process.env.PROPERTY_BODIES ?? 2000);
const SEED = process.env.PROPERTY_SEED
  ? Number(process.env.PROPERTY_SEED)
  : Math.floor(Math.random() * 0x7fffffff);

/** Runs a property with the file's seed; a failure says how to replay it. */
async function assertProperty<T>(property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  try {
    await fc.assert(property, { numRuns, seed: SEED, endOnFailure: true });
  } catch (err) {
    if (err instanceof Error) err.message = `replay with PROPERTY_SEED=${SEED}\n${err.message}`;
    throw err;
  }
}

interface Operation {
  method: string;
  route: string;
  params: { name: string; in: string; schema: Schema; required?: boolean }[];
  body?: Schema;
}

const KNOWN: KnownIds = {
  strings: [
    DEMO.workspaceId,
    ...DEMO.clientIds,
    DEMO.referralId,
    DEMO.couponId,
    DEMO.couponCode,
    DEMO.brandId,
    DEMO.ownerUserId,
    DEMO.staffUserId,
  ],
  integers: [101, 205],
};

/** Rows of a query, on either driver (both answer `{rows}`). */
async function rows<T>(t: TestApp, query: SQL): Promise<T[]> {
  const result: unknown = await t.database.db.execute(query);
  return (result as { rows: T[] }).rows;
}

/**
 * The row count of every table a refused request must leave as it was. Counting every table is
 * the slow part of a case, so it is redone only when a transaction ended since the last count:
 * a change of rows needs one, and the next transaction id (the snapshot's xmax) tells.
 */
function storedRows(t: TestApp): () => Promise<Record<string, number>> {
  let names: string[] | null = null;
  let last: { xmax: string; counts: Record<string, number> } | null = null;
  const xmax = sql`pg_snapshot_xmax(pg_current_snapshot())::text`;
  return async () => {
    names ??= (
      await rows<{ table_name: string }>(
        t,
        sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
      )
    )
      .map((r) => r.table_name)
      .filter((n) => !n.startsWith('__drizzle') && !n.startsWith('job'));
    if (last) {
      const [now] = await rows<{ xmax: string }>(t, sql`select ${xmax} as xmax`);
      if (now!.xmax === last.xmax) return last.counts;
    }
    // One statement, so the counts and the xmax they go with are of one snapshot.
    const [counted] = await rows<Record<string, string>>(
      t,
      sql.join([
        sql`select ${xmax} as xmax, `,
        sql.raw(names.map((n) => `(select count(*) from "${n}") as "${n}"`).join(', ')),
      ]),
    );
    const { xmax: at, ...counts } = counted!;
    last = { xmax: at!, counts: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])) };
    return last.counts;
  };
}

/** Every UTF-8 byte percent-encoded (encodeURIComponent throws on an unpaired surrogate). */
const percentEncode = (v: string) =>
  [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

describe('every route, property-based', () => {
  let t: TestApp;
  let operations: Operation[];
  let clinicalToken: string;
  let adminToken: string;
  let ownerToken: string;
  /** how many bodies with a control character or unpaired surrogate were refused naming the field */
  let refusedText = 0;
  /** broken bodies sent, by surface */
  const bodiesSent = { clinical: 0, workspace: 0 };
  let tableCounts: () => Promise<Record<string, number>>;
  let idempotencyKeys = 0;

  beforeAll(async () => {
    t = await startTestApp({ demo: true });
    // A refused request must change no table; the simulator's own webhooks (sent a moment after an
    // order this run placed) would write to them in the background, between two counts.
    t.sim.setWebhookUrl(null);
    tableCounts = storedRows(t);
    clinicalToken = await t.token({
      sub: 'property-clinical',
      scope: 'lab-orders:read lab-orders:write lab-orders:admin',
      brandIds: [DEMO.brandId],
    });
    adminToken = await t.token({ sub: DEMO.adminUserId, persona: 'admin' });
    ownerToken = await t.token({ sub: DEMO.ownerUserId });
    const doc = (await t.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Schema>>;
    };
    operations = Object.entries(doc.paths).flatMap(([route, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        route,
        params: ((op.parameters as Operation['params'] | undefined) ?? []).filter(
          (p) => p.in === 'path' || p.in === 'query',
        ),
        body: (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content?.[
          'application/json'
        ]?.schema,
      })),
    );
  }, 180_000);
  afterAll(async () => t?.close());
  beforeEach(() => {
    onTestFailed(() => {
      console.error(`properties.test.ts ran with PROPERTY_SEED=${SEED}: set it to replay this run`);
    });
  });

  /** The persona that may call the route, so that requests get past authorization to the handler. */
  const tokenFor = (route: string) =>
    route.includes('/workspace/')
      ? ownerToken
      : /\/(workspaces|labs\/tests|me)\b/.test(route)
        ? adminToken
        : clinicalToken;

  /** Path and query from generated parameter values; a value may itself be mutated text. */
  function url(op: Operation, values: Record<string, string>): string {
    let path = op.route;
    const query = new URLSearchParams();
    for (const p of op.params) {
      const v = values[p.name];
      if (v === undefined) continue;
      if (p.in === 'path') path = path.replace(`{${p.name}}`, percentEncode(v));
      else query.set(p.name, v);
    }
    const q = query.toString();
    return q ? `${path}?${q}` : path;
  }

  /** Parameters that reach the handler: the demo's workspace, other ids from the schema. */
  /**
   * The known ids a route's parameters are drawn from. A generated change of a member never names
   * the seeded owner: demoted or removed (another generated request may have added a second
   * owner), it would turn the owner's later requests into 403s.
   */
  function knownFor(op: Operation): typeof KNOWN {
    return /\/members\/\{userId\}$/.test(op.route)
      ? { ...KNOWN, strings: KNOWN.strings.filter((v) => v !== DEMO.ownerUserId) }
      : KNOWN;
  }

  function validParams(op: Operation): fc.Arbitrary<Record<string, string>> {
    return fc.record(
      Object.fromEntries(
        op.params
          .filter((p) => p.in === 'path')
          .map((p) => [
            p.name,
            p.name === 'workspaceId'
              ? fc.constant(DEMO.workspaceId)
              : valueFor(p.schema, knownFor(op)).map(String),
          ]),
      ),
    );
  }

  function paramValues(op: Operation): fc.Arbitrary<Record<string, string>> {
    const hostile = fc.oneof(
      fc.constantFrom(
        '\u0000',
        'a\u0000b',
        '\ud800',
        '%',
        '..',
        '../../etc/passwd',
        "' or 1=1 --",
        'x'.repeat(5000),
        '😀',
        'ß\u0301',
      ),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const known = knownFor(op);
    return fc.record(
      Object.fromEntries(
        op.params.map((p) => [
          p.name,
          fc.oneof(
            { weight: 3, arbitrary: valueFor(p.schema, known).map(String) },
            { weight: 1, arbitrary: hostile },
          ),
        ]),
      ),
      { requiredKeys: op.params.filter((p) => p.in === 'path' || p.required).map((p) => p.name) },
    );
  }

  async function check(op: Operation, values: Record<string, string>, sent?: Mutated): Promise<void> {
    const before = await tableCounts();
    const target = url(op, values);
    const res = await t.request(op.method, target, {
      token: tokenFor(op.route),
      ...(sent
        ? {
            rawBody: sent.text,
            headers: { 'content-type': 'application/json', 'idempotency-key': `prop-${++idempotencyKeys}` },
          }
        : {}),
    });
    const what = `${op.method} ${target.slice(0, 200)} ${sent ? `${sent.mutation.kind} at ${sent.mutation.path}` : ''} → ${res.status} ${res.text.slice(0, 300)}`;
    if (res.status >= 500) expect(res.body?.error, what).toMatch(/^junction_/);
    expect(res.status, what).toBeLessThan(res.status === 502 ? 503 : 500);
    if (res.status >= 400) {
      expect(typeof res.body?.error, what).toBe('string');
      expect(typeof res.body?.message, what).toBe('string');
      expect(await tableCounts(), what).toEqual(before);
    }
    // A resource in the path that does not exist (404) is answered before the body is read.
    const bodyRead = res.status !== 404;
    if (
      bodyRead &&
      sent &&
      (sent.mutation.kind === 'control-char' || sent.mutation.kind === 'lone-surrogate')
    ) {
      expect(res.status, what).toBe(400);
      expect(res.body.error, what).toBe('validation_error');
      expect(
        res.body.details.map((d: { path: string }) => d.path),
        what,
      ).toContain(sent.mutation.path);
      refusedText++;
    }
    if (bodyRead && sent?.mutation.kind === 'deep-nesting' && sent.mutation.path !== '')
      expect(res.status, what).toBe(400);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
  }

  // First: the generated requests below may change the demo workspace's members (a role, a removal),
  // and this one needs its owner as seeded.
  it('a control character in a text field is a 400 naming the field (the NUL that once gave a 500)', async () => {
    const res = await t.request('POST', '/v1/lab-orders', {
      token: clinicalToken,
      headers: { 'idempotency-key': 'nul-brand' },
      body: { brand_id: '\u0000', patient_id: DEMO.patientId, panel_id: 'hashimotos' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_error' });
    expect(res.body.details).toContainEqual({
      path: '/brand_id',
      message: expect.stringContaining('U+0000'),
    });
    const visit = await t.request('POST', `/v1/workspace/${DEMO.workspaceId}/clients`, {
      token: ownerToken,
      body: { firstName: 'Ada\u0007', lastName: 'Lovelace' },
    });
    expect(visit.status).toBe(400);
    expect(visit.body.details).toContainEqual({
      path: '/firstName',
      message: expect.stringContaining('U+0007'),
    });
    // Tab and newline are text.
    const ok = await t.request('POST', `/v1/workspace/${DEMO.workspaceId}/referrals`, {
      token: ownerToken,
      body: { name: 'Dr\tWho', notes: 'line one\nline two' },
    });
    expect(ok.status).toBe(201);
  });

  it(
    `bodies: at least ${BODIES} generated from the routes’ schemas, then broken in one place`,
    { timeout: 900_000 },
    async () => {
      const withBody = operations.filter((op) => op.body);
      expect(withBody.length).toBeGreaterThan(20);
      const runs = Math.ceil(BODIES / withBody.length);
      for (const op of withBody) {
        const surface = op.route.includes('/workspace') ? 'workspace' : 'clinical';
        await assertProperty(
          fc.asyncProperty(mutatedBody(op.body!, KNOWN), validParams(op), async (sent, values) => {
            bodiesSent[surface]++;
            await check(op, values, sent);
          }),
          runs,
        );
      }
      expect(refusedText).toBeGreaterThan(withBody.length / 2);
      // The count the issue promises, on both surfaces.
      expect(bodiesSent.clinical + bodiesSent.workspace).toBeGreaterThanOrEqual(BODIES);
      expect(bodiesSent.clinical).toBeGreaterThanOrEqual(BODIES / 5);
      expect(bodiesSent.workspace).toBeGreaterThanOrEqual(BODIES / 5);
    },
  );

  it('path and query parameters: generated, then hostile', { timeout: 600_000 }, async () => {
    const withParams = operations.filter(
      (op) => op.params.length > 0 && op.route !== '/v1/webhooks/junction',
    );
    expect(withParams.length).toBeGreaterThan(20);
    for (const op of withParams) {
      const body = op.body
        ? valueFor(op.body, KNOWN).map((v): Mutated => ({
            text: JSON.stringify(v),
            mutation: { kind: 'none', path: '' },
          }))
        : fc.constant(undefined);
      await assertProperty(
        fc.asyncProperty(paramValues(op), body, async (values, sent) => check(op, values, sent)),
        RUNS,
      );
    }
  });
});
