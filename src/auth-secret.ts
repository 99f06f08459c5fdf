import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from './config.js';
import { keptSecret } from './secret-file.js';

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
  const secret = keptSecret(path.join(config.dataDir, 'jwt-secret'), () =>
    randomBytes(48).toString('base64url'),
  );
  return { secret, generated: true };
}
