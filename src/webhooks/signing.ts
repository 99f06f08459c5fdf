/**
 * Standard Webhooks signatures, made by the `standardwebhooks` library (the reference
 * implementation receivers verify with): `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per
 * secret in effect, space-separated while a rotated-out secret still signs.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** 32 random bytes, base64, with the `whsec_` prefix receivers' libraries expect. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The `webhook-signature` header: one signature per secret, newest first. */
export function signatureHeader(
  secrets: readonly string[],
  messageId: string,
  at: Date,
  body: string,
): string {
  return secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' ');
}
