import type { FastifyRequest } from 'fastify';
import { clientIp, type ProxyTrust } from '../domain/ip';

/** Where a request comes from: the client's address (through trusted proxies only, TRUST_PROXY) in one spelling. */
export class RequestOrigin {
  constructor(private readonly trust: ProxyTrust) {}

  ipOf(request: FastifyRequest): string {
    // Fastify's own trustProxy stays off: `request.ip` is the socket's peer.
    return clientIp(request.ip, request.headers['x-forwarded-for'], this.trust);
  }
}
