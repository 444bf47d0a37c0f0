import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Contracts §6/§7: `Authorization: Bearer <api_token>` whose sha256 equals the app's
 * `api_token_sha256`. Compared in constant time; the plain token is never kept.
 */
export function isAuthorized(authorization: string | undefined, apiTokenSha256: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  const presented = createHash('sha256').update(match[1], 'utf8').digest();
  const expected = Buffer.from(apiTokenSha256, 'hex');
  return expected.length === presented.length && timingSafeEqual(presented, expected);
}
