import type { RedisClient } from '@mmp/common';
import { createHash, randomBytes } from 'node:crypto';

/** Each event_id's state in Redis: claimed by one request (short TTL) until its write is durable, then seen (long TTL). */
export const enum ClaimOutcome {
  Claimed = 0,
  Seen = 1,
  ClaimedElsewhere = 2,
}

const SEEN = 's';

// KEYS: one per event_id. ARGV[1]: the claim token, ARGV[2]: claim TTL in ms. One round trip for a whole batch;
// SET NX first because nearly every id is new, so most keys cost one command.
const CLAIM = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    out[i] = 0
  else
    local current = redis.call('GET', key)
    if current == '${SEEN}' then
      out[i] = 1
    elseif current == ARGV[1] or not current then
      out[i] = 0
    else
      out[i] = 2
    end
  end
end
return out`;

// ARGV[i]: the key's expiry (epoch ms). Unconditional: the write is durable, so the id is seen whoever holds a lapsed claim.
const CONFIRM = `
for i, key in ipairs(KEYS) do
  redis.call('SET', key, '${SEEN}', 'PXAT', ARGV[i])
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

const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');
const SCRIPTS = {
  claim: { text: CLAIM, sha: sha1(CLAIM) },
  confirm: { text: CONFIRM, sha: sha1(CONFIRM) },
  release: { text: RELEASE, sha: sha1(RELEASE) },
};

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
    const outcomes = (await this.run(SCRIPTS.claim, keys, [`c:${token}`, String(this.claimTtlMs)])) as ClaimOutcome[];
    return { token, keys, outcomes };
  }

  /** Marks the keys seen until their expiry (epoch ms each, same order as keys). */
  async confirm(keys: string[], expiresAt: number[]): Promise<void> {
    if (keys.length === 0) return;
    await this.run(
      SCRIPTS.confirm,
      keys,
      expiresAt.map((at) => String(Math.ceil(at))),
    );
  }

  async release(token: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.run(SCRIPTS.release, keys, [`c:${token}`]);
  }

  /** EVALSHA, loading the script once when Redis does not know it (first use, or after a restart). */
  private async run(script: { text: string; sha: string }, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.redis.evalSha(script.sha, { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(script.text, { keys, arguments: args });
    }
  }
}
