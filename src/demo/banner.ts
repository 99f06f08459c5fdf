/** What `npm start` prints in demo mode: where the docs are, a token per persona, a curl per contract. */
import type { Config } from '../config.js';
import { mintedTokenLifetime, signToken, type TokenClaims } from '../http/auth.js';
import { DEMO, DEMO_LAB_ORDER, DEMO_LAB_VISIT } from './examples.js';

export interface DemoTokens {
  clinical: string;
  admin: string;
  owner: string;
  staff: string;
  customer: string;
}

/** Tokens that expire like any other: within the service's maximum token lifetime. */
export async function demoTokens(secret: string, maxLifetimeHours: number): Promise<DemoTokens> {
  const expiresIn = mintedTokenLifetime(maxLifetimeHours);
  const sign = (claims: TokenClaims) => signToken(secret, claims, expiresIn);
  return {
    clinical: await sign({
      sub: DEMO.clinicalServiceSub,
      scope: 'lab-orders:write lab-orders:read lab-orders:admin',
      brandIds: [DEMO.brandId],
    }),
    admin: await sign({ sub: DEMO.adminUserId, persona: 'admin' }),
    owner: await sign({ sub: DEMO.ownerUserId, name: 'Olivia Owens', email: 'olivia.owens@demo.example' }),
    staff: await sign({ sub: DEMO.staffUserId, name: 'Sam Stafford', email: 'sam.stafford@demo.example' }),
    customer: await sign({ sub: DEMO.customerUserId, persona: 'customer' }),
  };
}

const quote = (body: unknown) => `'${JSON.stringify(body)}'`;

/** The shell variables the printed curls use; the banner prints their `export` lines. */
export const TOKEN_VARS: Record<keyof DemoTokens, string> = {
  clinical: 'CLINICAL_TOKEN',
  admin: 'ADMIN_TOKEN',
  owner: 'OWNER_TOKEN',
  staff: 'STAFF_TOKEN',
  customer: 'CUSTOMER_TOKEN',
};

export function labOrderCurl(base: string): string {
  return (
    `curl -sS -X POST ${base}/v1/lab-orders -H "Authorization: Bearer $${TOKEN_VARS.clinical}" ` +
    `-H "Content-Type: application/json" -H "Idempotency-Key: demo-order-$(date +%s)" -d ${quote(DEMO_LAB_ORDER)}`
  );
}

export function labVisitCurl(base: string): string {
  return (
    `curl -sS -X POST ${base}/api/v1/workspace/${DEMO.workspaceId}/labs/visits -H "Authorization: Bearer $${TOKEN_VARS.owner}" ` +
    `-H "Content-Type: application/json" -d ${quote(DEMO_LAB_VISIT)}`
  );
}

/**
 * Pasteable as printed: the order's id comes from the list (newest first) in the same line, read
 * with node, which anyone running labline has (jq may not be installed).
 */
export function advanceCurl(base: string): string {
  const auth = `-H "Authorization: Bearer $${TOKEN_VARS.clinical}"`;
  const newest =
    `$(curl -sS "${base}/v1/lab-orders?brand_id=${DEMO.brandId}&limit=1" ${auth} | ` +
    `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).data[0].id')`;
  return `curl -sS -X POST "${base}/v1/demo/lab-orders/${newest}/advance" ${auth}`;
}

export function eventsCurl(base: string): string {
  return `curl -sS ${base}/v1/events -H "Authorization: Bearer $${TOKEN_VARS.clinical}"`;
}

/** What demo mode runs on: configured parts are used, demo supplies the rest. */
function runsOn(config: Config): string {
  const { database } = config;
  const db =
    database.kind === 'postgres'
      ? 'PostgreSQL from DATABASE_URL'
      : database.dataDir === null
        ? 'in-memory PGlite'
        : `embedded PGlite in ${database.dataDir}`;
  return `${db}, ${config.junction.apiKey === null ? 'Junction simulator in-process' : 'Junction from JUNCTION_API_KEY'}`;
}

/** `mode`: the line saying which mode and why. */
export function demoBanner(base: string, config: Config, mode: string, tokens: DemoTokens): string {
  const label: Record<keyof DemoTokens, string> = {
    clinical: 'clinical service (lab-orders:write read admin, brand demo-brand)',
    admin: 'platform admin',
    owner: 'workspace owner',
    staff: 'staff with labs.run and clients.write',
    customer: 'customer',
  };
  const exports = (Object.keys(TOKEN_VARS) as (keyof DemoTokens)[]).flatMap((k) => [
    `    # ${label[k]}`,
    `    export ${TOKEN_VARS[k]}=${tokens[k]}`,
  ]);
  return [
    '',
    `labline demo is ready at ${base}  (${runsOn(config)})`,
    mode,
    `  API reference: ${base}/docs`,
    '',
    '  Bearer tokens, one per persona (valid 30 days; paste into your shell):',
    ...exports,
    '',
    '  Place a lab order (clinical lab orders):',
    `    ${labOrderCurl(base)}`,
    '',
    '  Book a lab visit (workspace lab visits):',
    `    ${labVisitCurl(base)}`,
    '',
    ...(config.junction.apiKey === null
      ? [
          '  Move the newest lab order to completed at the simulated Junction (its webhooks then update the order):',
          `    ${advanceCurl(base)}`,
          '',
        ]
      : []),
    "  See every change as an event, newest first (a workspace's: /v1/workspace/<id>/events):",
    `    ${eventsCurl(base)}`,
    '',
  ].join('\n');
}
