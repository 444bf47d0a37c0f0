import { isIP } from 'node:net';

const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * One spelling per address, so a device has one ip key (contracts §4): IPv6 in its
 * canonical form (RFC 5952: lower case, zeros compressed), and an IPv4-mapped IPv6
 * address (`::ffff:10.0.0.1`, as dual-stack sockets report IPv4 peers) as plain IPv4.
 */
export function normalizeIp(address: string): string {
  if (isIP(address) !== 6) return address;
  let canonical: string;
  try {
    // WHATWG URL serialises an IPv6 host canonically; a zone id (`fe80::1%eth0`) is not a URL host.
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
  const mapped = MAPPED.exec(canonical);
  if (!mapped) return canonical;
  const high = parseInt(mapped[1], 16);
  const low = parseInt(mapped[2], 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

export const isIpAddress = (text: string): boolean => isIP(text) !== 0;

/** Which `X-Forwarded-For` entries to believe: none (false), all (true), or that many proxies from our side. */
export type ProxyTrust = boolean | number;

/** TRUST_PROXY as written in the environment: `false`/`0`/empty, `true`, or a count of proxies. */
export function parseProxyTrust(text: string): ProxyTrust | undefined {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d{1,2}$/.test(value) ? Number(value) : undefined;
}

/**
 * The client's address. Untrusted, the socket's peer. Behind a trusted load balancer, the
 * address it reports: with `true` the left-most `X-Forwarded-For` entry, with a count n the
 * entry n hops from our side (each proxy appends the peer it saw, so only the last n entries
 * were written by proxies we run). An entry that is not an IP address is not believed.
 */
export function clientIp(peer: string, forwardedFor: string | string[] | undefined, trust: ProxyTrust): string {
  if (trust === false || trust === 0 || forwardedFor === undefined) return normalizeIp(peer);
  const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  chain.push(peer);
  const index = trust === true ? 0 : Math.max(0, chain.length - 1 - trust);
  const chosen = chain[index];
  return normalizeIp(isIpAddress(chosen) ? chosen : peer);
}
