/**
 * Statements of the hot path as fixed SQL text (the shape of graphile-worker's `src/sql/*.ts`):
 * each lives in a `*.sql.ts` file of its feature with its parameters and row typed, and its text
 * never depends on a request. `runStatement` sends it through the driver's own API: on a
 * PostgreSQL server as a named prepared statement (`pool.query({ name, text, values })`), so each
 * pooled connection parses and plans it once; on PGlite as `query(text, values)`. Inside a
 * transaction it goes through the transaction's `execute`, with the same text and values.
 * Everything else is drizzle's query builder.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Database, type Queryable } from './database.js';

/** Each parameter of `P` by name, as its placeholder in the text (`$1`, `$2`, …). */
export type Placeholders<P> = { readonly [K in keyof P]-?: string };

export interface Statement<P, Row> {
  /** the prepared statement's name, and what a log line says of it (describeError) */
  readonly name: string;
  readonly text: string;
  /** the values of $1, $2, … */
  readonly values: (params: P) => unknown[];
  /** never set: carries the row type to runStatement */
  readonly row?: Row;
}

/**
 * A statement named `name`. `order` numbers every parameter (`$1` is the one numbered 1); `text`
 * gets their placeholders by name and is called once, here. Every number from 1 to the count
 * must be given once and appear in the text, or this throws at start-up.
 */
export function defineStatement<P extends object, Row>(
  name: string,
  order: { readonly [K in keyof P]-?: number },
  text: (at: Placeholders<P>) => string,
): Statement<P, Row> {
  const keys = (Object.keys(order) as (keyof P & string)[]).sort((a, b) => order[a] - order[b]);
  const at = Object.fromEntries(keys.map((k) => [k, `$${order[k]}`])) as Placeholders<P>;
  const body = text(at);
  keys.forEach((k, i) => {
    if (order[k] !== i + 1)
      throw new Error(`statement ${name}: parameters must be numbered 1 to ${keys.length}`);
    if (!new RegExp(`\\$${i + 1}(?!\\d)`).test(body))
      throw new Error(`statement ${name}: $${i + 1} is unused`);
  });
  return { name, text: body, values: (params) => keys.map((k) => params[k]) };
}

/**
 * Runs `statement`: on `database` itself as a named prepared statement (PGlite: plain text and
 * values), or in a transaction `tx` through drizzle's `execute`. A failure carries the
 * statement's name (describeError logs it, never a value). Timestamps come back as Date on the
 * root handle and as text in a transaction: read them with `new Date(…)`.
 */
export async function runStatement<P, Row>(
  q: Database | Queryable,
  statement: Statement<P, Row>,
  params: P,
): Promise<Row[]> {
  const values = statement.values(params);
  try {
    if ('ping' in q) return await q.query<Row>(statement.name, statement.text, values);
    return await rows<Row>(q, withValues(statement.text, values));
  } catch (err) {
    if (err && typeof err === 'object') (err as { statement?: string }).statement = statement.name;
    throw err;
  }
}

/** The text as drizzle SQL, each `$n` a parameter holding `values[n - 1]`. */
function withValues(text: string, values: unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  return sql.join(parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1]}`)));
}
