import { ErrorCode } from '@membercard/shared';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../../lib/errors';

// Where the server will send webhook deliveries. A webhook URL is a request the server makes on HQ's word, so
// without a rule a console account could point it at the database, the cloud's metadata service or anything
// else inside the network (SSRF). Production sends over https only; and unless the deployment allows it
// (demo mode and tests, whose receivers run on localhost; WEBHOOK_ALLOW_PRIVATE_URLS for an on-premises
// receiver), the host must resolve only to public addresses. Checked when HQ saves the URL and again before
// each attempt, since a name can be pointed elsewhere after it was saved.

export interface WebhookUrlPolicy {
  httpsOnly: boolean;
  allowPrivate: boolean;
}

export type WebhookUrlRefusal = 'NOT_HTTPS' | 'PRIVATE_ADDRESS' | 'UNRESOLVABLE';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** Loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, multicast or reserved. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // IPv4-mapped and NAT64 addresses stand for the IPv4 address in their last 32 bits.
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (embedded) return isPrivateAddress(embedded[1]!);
  const mappedHex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (mappedHex) {
    const [hi, lo] = [parseInt(mappedHex[1]!, 16), parseInt(mappedHex[2]!, 16)];
    return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return blocked.check(address, 'ipv6');
}

/** Why the URL is refused under the policy, or null when it may be used. */
export async function webhookUrlRefusal(url: string, policy: WebhookUrlPolicy, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<WebhookUrlRefusal | null> {
  const parsed = new URL(url);
  if (policy.httpsOnly && parsed.protocol !== 'https:') return 'NOT_HTTPS';
  if (policy.allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return 'UNRESOLVABLE';
  }
  if (addresses.length === 0) return 'UNRESOLVABLE';
  return addresses.some(isPrivateAddress) ? 'PRIVATE_ADDRESS' : null;
}

const MESSAGES: Record<WebhookUrlRefusal, string> = {
  NOT_HTTPS: 'Webhook URLs must use https.',
  PRIVATE_ADDRESS: 'The URL’s host is (or resolves to) a private, loopback or link-local address; the server does not send there.',
  UNRESOLVABLE: 'The URL’s host name does not resolve.',
};

/** 400 WEBHOOK_URL_REFUSED with the reason, for HQ's create and update. */
export async function assertWebhookUrl(url: string, policy: WebhookUrlPolicy, field = 'body.url'): Promise<void> {
  const refusal = await webhookUrlRefusal(url, policy);
  if (refusal) throw new AppError(ErrorCode.WEBHOOK_URL_REFUSED, MESSAGES[refusal], { reason: refusal, fields: [{ field, message: MESSAGES[refusal] }] });
}

/** The sender's note for an attempt it did not make. */
export function refusedAttemptError(refusal: WebhookUrlRefusal): string {
  return `refused: ${refusal}`;
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
