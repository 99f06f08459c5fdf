import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';

export interface JwtSecret {
  secret: string | null;
  /** true when no auth is configured and the service made (or reuses) its own secret in DATA_DIR */
  generated: boolean;
}

/**
 * The HS256 secret in effect: AUTH_JWT_SECRET; none when only a JWKS URL is configured; in demo
 * mode with no auth configured, a secret generated once and kept in DATA_DIR so tokens survive
 * restarts and `npm run token` signs with the same key. A deployment never makes its own secret:
 * it must be configured (config.ts, checkDeployment).
 */
export function resolveJwtSecret(config: Config): JwtSecret {
  if (config.auth.jwtSecret !== null) return { secret: config.auth.jwtSecret, generated: false };
  if (config.auth.jwksUrl !== null || !config.demo) return { secret: null, generated: false };
  const file = path.join(config.dataDir, 'jwt-secret');
  try {
    return { secret: fs.readFileSync(file, 'utf8').trim(), generated: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, generated: true };
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveJwtSecret(config);
    throw err;
  }
}
