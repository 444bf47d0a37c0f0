import type { RedisClient } from '@mmp/common';
import { randomBytes } from 'node:crypto';

/** Each event_id's state in Redis: claimed by one request (short TTL) until its write is durable, then seen (long TTL). */
export const enum ClaimOutcome {
  Claimed = 0,
  Seen = 1,
  ClaimedElsewhere = 2,
}

const SEEN = 's';

// KEYS: one per event_id. ARGV[1]: the claim token, ARGV[2]: claim TTL in ms. One round trip for a whole batch.
const CLAIM = `
local out = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if not current then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    out[i] = 0
  elseif current == '${SEEN}' then
    out[i] = 1
  elseif current == ARGV[1] then
    out[i] = 0
  else
    out[i] = 2
  end
end
return out`;

// ARGV[1]: the claim token, ARGV[i + 1]: the key's expiry (epoch ms). A lapsed claim is still confirmed: the write is durable.
const CONFIRM = `
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if (not current) or current == ARGV[1] then
    redis.call('SET', key, '${SEEN}', 'PXAT', ARGV[i + 1])
  end
end
return #KEYS`;

const RELEASE = `
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n`;

export interface Claim {
  token: string;
  keys: string[];
  outcomes: ClaimOutcome[];
}

/**
 * Two-phase deduplication of event_ids per app: claim before the write, confirm after
 * it is durable, release when it failed. A crashed request's claim lapses after
 * `claimTtlMs`, so a failed write never leaves an event_id marked as seen.
 */
export class EventIdDedupe {
  constructor(
    private readonly redis: RedisClient,
    private readonly claimTtlMs = 60_000,
  ) {}

  static keyOf(appId: string, eventId: string): string {
    return `mmp:ingest:seen:{${appId}}:${eventId}`;
  }

  async claim(appId: string, eventIds: string[], token = randomBytes(9).toString('base64url')): Promise<Claim> {
    const keys = eventIds.map((eventId) => EventIdDedupe.keyOf(appId, eventId));
    const outcomes = (await this.redis.eval(CLAIM, { keys, arguments: [`c:${token}`, String(this.claimTtlMs)] })) as ClaimOutcome[];
    return { token, keys, outcomes };
  }

  /** Marks the keys seen until their expiry (epoch ms each, same order as keys). */
  async confirm(token: string, keys: string[], expiresAt: number[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.eval(CONFIRM, { keys, arguments: [`c:${token}`, ...expiresAt.map((at) => String(Math.ceil(at)))] });
  }

  async release(token: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.eval(RELEASE, { keys, arguments: [`c:${token}`] });
  }
}
