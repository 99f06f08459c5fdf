/**
 * Bearer-token authentication (docs/authentication.md). Every route is authenticated unless its config says
 * `public: true`; the check runs in onRequest, before the body is read or validated, so an
 * anonymous caller learns nothing about a route. A route's `config.scope` is checked here too.
 */
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Errors } from './errors.js';

export type Persona = 'admin' | 'customer';

export interface Principal {
  /** The token's subject: a user id (24-hex ObjectId) for people, any string for machine clients. */
  readonly sub: string;
  readonly scopes: ReadonlySet<string>;
  /** Brands the token may act for; null = not restricted by brand. */
  readonly brandIds: readonly string[] | null;
  readonly persona: Persona | null;
  /**
   * When the credential stops working: a JWT's `exp`, an API key's `expires_at`; null: never (a key
   * made without expiry by the operator's CLI). An API key it makes expires no later (api-keys).
   */
  readonly expiresAt: Date | null;
  /** What a person's token says of its holder (`name`, `email`, `email_verified` claims), when it does. */
  readonly name?: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
}

/** A claim kept for display when it is a short, non-empty string; anything else is ignored, not refused. */
function displayClaim(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text.length > 0 && text.length <= maxLength ? text : undefined;
}

export interface AuthOptions {
  jwtSecret: string | null;
  jwksUrl: string | null;
  issuer: string | null;
  audience: string | null;
  /** AUTH_MAX_TOKEN_LIFETIME_HOURS: a JWT must expire, and within this long */
  maxTokenLifetimeHours: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No bearer token needed (health, docs, Svix-signed webhooks). */
    public?: boolean;
    /** Scope the token must carry for this route. */
    scope?: string;
    /**
     * Authorization that needs the validated request (the brand a body names). It runs as the
     * first preHandler, before any other: an idempotent replay (idempotency/plugin.ts) must never
     * answer a caller this would refuse.
     */
    authorize?: (request: FastifyRequest) => void | Promise<void>;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const SCOPES = {
  labOrdersWrite: 'lab-orders:write',
  labOrdersRead: 'lab-orders:read',
  labOrdersAdmin: 'lab-orders:admin',
} as const;

const HS_ALGS = ['HS256'];
const VERIFIED_TTL_MS = 5 * 60 * 1000;
const VERIFIED_MAX = 10_000;
const ASYM_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export function createTokenVerifier(options: AuthOptions): (token: string) => Promise<Principal> {
  const secret = options.jwtSecret === null ? null : new TextEncoder().encode(options.jwtSecret);
  const jwks = options.jwksUrl === null ? null : createRemoteJWKSet(new URL(options.jwksUrl));
  const algorithms = [...(secret ? HS_ALGS : []), ...(jwks ? ASYM_ALGS : [])];
  // Imported once: handing jose the raw bytes would import them again for every token.
  const hmacKey = secret
    ? crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    : null;
  // A key that cannot be imported fails each verification (401), not the process.
  hmacKey?.catch(() => {});
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && hmacKey) return hmacKey;
    if (jwks) return jwks(header, token);
    throw new joseErrors.JOSEAlgNotAllowed('unexpected algorithm');
  };
  const verifyOptions = {
    algorithms,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };

  // A client sends the same token with many requests: its verified principal is kept until the
  // token expires (at most VERIFIED_TTL_MS), so the signature is checked once, not per request.
  const verified = new Map<string, { principal: Principal; until: number }>();

  return async (token) => {
    if (algorithms.length === 0)
      throw Errors.unauthenticated('This service has no token verification configured.');
    const now = Date.now();
    const hit = verified.get(token);
    if (hit && hit.until > now) return hit.principal;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, verifyOptions));
    } catch (err) {
      throw Errors.unauthenticated(describeJoseError(err));
    }
    checkLifetime(payload, options.maxTokenLifetimeHours, now);
    const principal = toPrincipal(payload);
    if (verified.size >= VERIFIED_MAX) verified.clear();
    const expires = typeof payload.exp === 'number' ? payload.exp * 1000 : now + VERIFIED_TTL_MS;
    verified.set(token, { principal, until: Math.min(expires, now + VERIFIED_TTL_MS) });
    return principal;
  };
}

/**
 * A leaked token must stop working: it needs an `exp`, and its lifetime may not exceed the
 * maximum. The lifetime counts from `iat`, or from now when the token has none (or claims to be
 * issued in the future), so neither a long-lived token nor one far in the future gets through.
 */
const LIFETIME_LEEWAY_HOURS = 1 / 60;

function checkLifetime(payload: JWTPayload, maxHours: number, now: number): void {
  if (typeof payload.exp !== 'number') {
    throw Errors.unauthenticated(
      `The bearer token has no expiry ("exp" claim); this service accepts only tokens that expire within ${maxHours} hours. ` +
        'Machine clients that want long-lived credentials use an API key.',
    );
  }
  const nowSeconds = Math.floor(now / 1000);
  const hasIat = typeof payload.iat === 'number';
  const from = hasIat ? Math.min(payload.iat!, nowSeconds) : nowSeconds;
  const hours = (payload.exp - from) / 3600;
  // A minute of leeway: a token minted for exactly the maximum can have its `iat` and `exp` read
  // from the clock a second apart (jose computes each from "now"), one second over.
  if (hours > maxHours + LIFETIME_LEEWAY_HOURS) {
    throw Errors.unauthenticated(
      `The bearer token is valid for ${Math.ceil(hours)} hours ("exp" ${hasIat ? 'minus "iat"' : 'from now'}); ` +
        `this service accepts at most ${maxHours} hours. Mint a shorter-lived token, or use an API key.`,
    );
  }
}

/**
 * Which check failed, so that a caller (or an operator with a token minted for another service)
 * can tell a wrong key from a wrong issuer; never a secret, a key or an expected claim value.
 */
function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The bearer token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss')
      return 'The bearer token\'s issuer ("iss" claim) is not the one this service expects (AUTH_ISSUER).';
    if (err.claim === 'aud')
      return 'The bearer token\'s audience ("aud" claim) is not the one this service expects (AUTH_AUDIENCE).';
    return `The bearer token's "${err.claim}" claim is not accepted.`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return "The bearer token's signature does not verify: it was signed with another secret or key than this service's (AUTH_JWT_SECRET, AUTH_JWKS_URL).";
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The bearer token is signed with an algorithm this service does not accept (HS256 with AUTH_JWT_SECRET; RS, PS, ES or EdDSA with AUTH_JWKS_URL).';
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return 'No key of this service\'s AUTH_JWKS_URL matches the bearer token\'s key id ("kid").';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid)
    return 'The bearer token is not a well-formed JWT.';
  return 'The bearer token is invalid.';
}

function toPrincipal(payload: JWTPayload): Principal {
  const {
    sub,
    scope,
    brand_ids: brandIds,
    persona,
    name,
    email,
    email_verified: emailVerified,
  } = payload as JWTPayload & {
    scope?: unknown;
    brand_ids?: unknown;
    persona?: unknown;
    name?: unknown;
    email?: unknown;
    email_verified?: unknown;
  };
  if (typeof sub !== 'string' || sub.length === 0)
    throw Errors.unauthenticated('The bearer token has no subject.');
  if (scope !== undefined && typeof scope !== 'string')
    throw Errors.unauthenticated('The "scope" claim must be a string.');
  if (brandIds !== undefined && (!Array.isArray(brandIds) || !brandIds.every((b) => typeof b === 'string'))) {
    throw Errors.unauthenticated('The "brand_ids" claim must be an array of strings.');
  }
  if (persona !== undefined && persona !== 'admin' && persona !== 'customer') {
    throw Errors.unauthenticated('The "persona" claim must be "admin" or "customer".');
  }
  return {
    sub,
    scopes: new Set((scope ?? '').split(' ').filter(Boolean)),
    brandIds: brandIds ?? null,
    persona: persona ?? null,
    expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
    name: displayClaim(name, 200),
    email: displayClaim(email, 320)?.toLowerCase(),
    emailVerified: emailVerified === true,
  };
}

export const authPlugin = fp<{ verify: (token: string) => Promise<Principal> }>(
  async function auth(app: FastifyInstance, { verify }) {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config;
      // Unknown routes answer 404 without a token; public routes need none.
      if (config.public || request.is404) return;
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1]) throw Errors.unauthenticated();
      request.principal = await verify(match[1]);
      if (config.scope && !request.principal.scopes.has(config.scope))
        throw Errors.insufficientScope(config.scope);
    });
    // Registered before the idempotency plugin's preHandler, so it runs first.
    app.addHook('preHandler', async (request) => {
      await request.routeOptions.config.authorize?.(request);
    });
  },
  { name: 'labline-auth' },
);

/** The authenticated principal of a route that is not public. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw Errors.unauthenticated();
  return request.principal;
}

/** 403 `brand_forbidden` unless the token may act for `brandId`. */
export function requireBrand(principal: Principal, brandId: string): void {
  if (principal.brandIds !== null && !principal.brandIds.includes(brandId))
    throw Errors.brandForbidden(brandId);
}

/**
 * The brands a list shows: the one asked for (403 unless the token may act for it), else every
 * brand of the token (null: all brands).
 */
export function brandsToList(principal: Principal, brandId: string | undefined): readonly string[] | null {
  if (brandId === undefined || brandId === '') return principal.brandIds;
  requireBrand(principal, brandId);
  return [brandId];
}

export interface TokenClaims {
  sub: string;
  scope?: string;
  brandIds?: string[];
  persona?: Persona;
  /** the holder's name and (verified) email, for display and invitations */
  name?: string;
  email?: string;
  issuer?: string | null;
  audience?: string | null;
}

/** How long the tokens this service mints live: 30 days, or less when the maximum is lower. */
export function mintedTokenLifetime(maxLifetimeHours: number): string {
  return `${Math.min(30 * 24, maxLifetimeHours)}h`;
}

/** Mints an HS256 token (demo mode and `npm run token`); it always has `iat` and `exp`. */
export async function signToken(
  secret: string,
  claims: TokenClaims,
  expiresIn: string | number = '30d',
): Promise<string> {
  const payload: Record<string, unknown> = {};
  if (claims.scope) payload.scope = claims.scope;
  if (claims.brandIds) payload.brand_ids = claims.brandIds;
  if (claims.persona) payload.persona = claims.persona;
  if (claims.name) payload.name = claims.name;
  if (claims.email) Object.assign(payload, { email: claims.email, email_verified: true });
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
