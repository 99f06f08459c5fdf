/** PostgreSQL error codes the data layer turns into domain outcomes. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_SERIALIZATION_FAILURE = '40001';
export const PG_DEADLOCK = '40P01';
export const PG_QUERY_CANCELED = '57014';

/** The SQLSTATE of a database error, looking through Drizzle's wrapper (`cause`). */
export function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** node-postgres says these in words, without a code. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed|Connection closed/i;

/**
 * The database could not be reached or went away mid-statement (a socket error, the server
 * shutting down, no free connections), as opposed to a statement it refused. Such a request is
 * answered 503 with Retry-After: the pool drops the broken connection and the next request opens
 * a new one, so a retry succeeds once the server is back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const queue: unknown[] = [err];
  for (let seen = 0; queue.length > 0 && seen < 10; seen++) {
    const e = queue.shift();
    if (!e || typeof e !== 'object') continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (
        CONNECTION_CODES.has(code) ||
        code.startsWith('08') ||
        ['57P01', '57P02', '57P03', '53300'].includes(code)
      )
        return true;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return true;
    queue.push((e as { cause?: unknown }).cause, ...((e as { errors?: unknown[] }).errors ?? []));
  }
  return false;
}

export function isUniqueViolation(err: unknown): boolean {
  return pgCode(err) === PG_UNIQUE_VIOLATION;
}

/**
 * One line for a failure to connect to the PostgreSQL server (`url`, a valid DATABASE_URL) at
 * start: which server, which database, what went wrong and what to do. Never shows the password.
 */
export function describeConnectionFailure(url: string, err: unknown): string {
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || 'the current user';
  const database =
    decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'the default database';
  const host = u.hostname || 'localhost';
  const port = u.port || '5432';
  const where = `${host}:${port}`;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const cannot = `cannot use PostgreSQL at ${where}, database "${database}"`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${cannot}: nothing accepts connections there. Start PostgreSQL, or fix the host and port in DATABASE_URL.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${cannot}: the host name does not resolve. Fix the host in DATABASE_URL.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${cannot}: the server cannot be reached (${code}). Check the host in DATABASE_URL and the network between.`;
    case '3D000':
      return `${cannot}: the database does not exist. Create it (createdb -h ${host} -p ${port}${u.username ? ` -U ${user}` : ''} ${database}) or fix DATABASE_URL.`;
    case '28P01':
    case '28000':
      return `${cannot}: the server refused user "${user}" (${code === '28P01' ? 'wrong password' : 'not allowed'}). Fix the user and password in DATABASE_URL, or the server's pg_hba.conf.`;
    case '53300':
      return `${cannot}: the server has no free connections. Lower DB_POOL_SIZE or raise max_connections.`;
    default:
      if (/timeout/i.test(message)) {
        return `${cannot}: the server did not answer in time. Check the host in DATABASE_URL and that the server is up.`;
      }
      return `${cannot}: ${message.split('\n')[0]}. Check DATABASE_URL and that the server is up.`;
  }
}

/** A socket error's code (ECONNREFUSED…) or a server's SQLSTATE, looking into AggregateError. */
function errorCode(err: unknown): string | undefined {
  const sqlState = pgCode(err);
  if (sqlState) return sqlState;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown[] }).errors;
    e = Array.isArray(inner) && inner.length > 0 ? inner[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}
