import { isIP } from 'node:net';

const MAPPED_PREFIX = '::ffff:';

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as dual-stack sockets report IPv4 peers) as plain IPv4. */
export function normalizeIp(address: string): string {
  if (address.length > MAPPED_PREFIX.length && address.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX) {
    const tail = address.slice(MAPPED_PREFIX.length);
    if (isIP(tail) === 4) return tail;
  }
  return address;
}

export const isIpAddress = (text: string): boolean => isIP(text) !== 0;
