/**
 * Server-side request forgery guard for customers' webhook URLs (docs/webhooks.md, "Safety").
 * A URL is checked when an endpoint is created or changed and again before every delivery: its
 * host is resolved here, every address it resolves to must be public (unless private addresses
 * are allowed), and the delivery then connects to exactly the address that was checked
 * (send.ts pins it), so a DNS answer that changes between the check and the connection cannot
 * point the request inside the network.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export const MAX_URL_LENGTH = 2048;

export interface UrlPolicy {
  /** production: only https */
  requireHttps: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: loopback, private and other non-public addresses are allowed */
  allowPrivate: boolean;
}

/** A URL that passed the check, and the address the connection must go to. */
export interface CheckedUrl {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** Why a URL is refused: a sentence for the client (the catalogue's `invalid_webhook_url`). */
export class UnsafeUrl extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnsafeUrl';
  }
}

/** How host names are resolved: every address, as the operating system's resolver gives them. */
export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

/** What parsing alone can tell: a well-formed http(s) URL, https in production, no credentials. */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  if (raw.length > MAX_URL_LENGTH)
    throw new UnsafeUrl(`The URL must be at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrl('The URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UnsafeUrl('The URL must be http or https.');
  if (policy.requireHttps && url.protocol !== 'https:') throw new UnsafeUrl('The URL must use https.');
  if (url.username !== '' || url.password !== '')
    throw new UnsafeUrl('The URL must not carry a user name or password.');
  if (url.hostname === '') throw new UnsafeUrl('The URL has no host.');
  return url;
}

/**
 * Whether an address is on the public internet. IPv4-mapped IPv6 addresses are judged as the IPv4
 * address they carry; IPv6 must be global unicast (2000::/3) outside every special range.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (!v6.match(ipaddr.IPv6.parse('2000::'), 3)) return false;
  }
  return parsed.range() === 'unicast';
}

/** The URL checked and resolved: the address a delivery connects to, or `UnsafeUrl`. */
export async function checkWebhookUrl(
  raw: string,
  policy: UrlPolicy,
  resolve: Resolve = systemResolve,
): Promise<CheckedUrl> {
  const url = parseWebhookUrl(raw, policy);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new UnsafeUrl(`The host "${host}" does not resolve.`);
    }
    if (addresses.length === 0) throw new UnsafeUrl(`The host "${host}" does not resolve.`);
  }
  // Every address must be public: a resolver may hand out any one of them later.
  if (!policy.allowPrivate && addresses.some((a) => !isPublicAddress(a.address))) {
    throw new UnsafeUrl(
      `The URL's host resolves to a loopback, private, link-local or otherwise non-public address; webhooks go to public addresses only.`,
    );
  }
  const first = addresses[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
