import { createHash } from 'node:crypto';
import type { RedisClient } from '@mmp/common';
import type { InstallFacts, Touch } from '../domain/last-touch';
import { HOUR_MS, type AppWindows } from '../domain/windows';

/** Late and backdated touches still find their installs for this long past their window. */
const SLACK_MS = HOUR_MS;
/** Candidates read per index and install: the latest ones, which are the only ones that can win. */
const CANDIDATES_PER_INDEX = 50;

type Index = 'clicks' | 'impressions' | 'fingerprint';

/**
 * Clicks by (app, advertising id) and by (app, ip, user agent), impressions by (app,
 * advertising id), each in a sorted set by event time. The hash tag is the device (or the
 * fingerprint), so a Redis Cluster spreads them and no command spans two slots. Each set
 * expires when the app's window for its rule has passed over its latest touch.
 */
export class TouchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  keyOf(index: Index, appId: string, advertisingId: string | null, ip: string | null, userAgent: string | null): string | null {
    if (index === 'fingerprint') {
      if (ip === null || userAgent === null) return null;
      const agent = createHash('sha1').update(userAgent).digest('hex').slice(0, 16);
      return `${this.prefix}:{${appId}:${ip}:${agent}}:fingerprint`;
    }
    return advertisingId === null ? null : `${this.prefix}:{${appId}:${advertisingId}}:${index}`;
  }

  /** Stores touches; every command is sent at once (one round trip). */
  async save(touches: readonly Touch[], windowsOf: (appId: string) => AppWindows): Promise<void> {
    const now = Date.now();
    const writes: Promise<unknown>[] = [];
    for (const touch of touches) {
      const windows = windowsOf(touch.appId);
      const member = encodeTouch(touch);
      const indexes: [Index, number][] =
        touch.type === 'click'
          ? [
              ['clicks', windows.clickLookbackHours],
              ['fingerprint', windows.probabilisticLookbackHours],
            ]
          : [['impressions', windows.viewThroughLookbackHours]];
      for (const [index, hours] of indexes) {
        const key = this.keyOf(index, touch.appId, touch.advertisingId, touch.ip, touch.userAgent);
        // A rule turned off (0 hours) stores nothing for it.
        if (key === null || hours <= 0) continue;
        const keepMs = hours * HOUR_MS + SLACK_MS;
        const expireAt = Math.max(touch.eventTimeMs, touch.receivedAtMs) + keepMs;
        if (expireAt <= now) continue;
        writes.push(
          this.redis.zAdd(key, { score: touch.eventTimeMs, value: member }),
          // NX sets the first expiry, GT only ever moves it later.
          this.redis.pExpireAt(key, expireAt, 'NX'),
          this.redis.pExpireAt(key, expireAt, 'GT'),
          this.redis.zRemRangeByScore(key, '-inf', now - keepMs),
        );
      }
    }
    await Promise.all(writes);
  }

  /** The touches that may win each install under the windows in force (one round trip for all). */
  async candidatesFor(installs: readonly { facts: InstallFacts; windows: AppWindows }[]): Promise<Touch[][]> {
    return Promise.all(
      installs.map(async ({ facts, windows }) => {
        const reads: [Index, number][] = [
          ['clicks', windows.clickLookbackHours],
          ['fingerprint', windows.probabilisticLookbackHours],
          ['impressions', windows.viewThroughLookbackHours],
        ];
        const lists = await Promise.all(
          reads.map(([index, hours]) => {
            const key = this.keyOf(index, facts.appId, facts.advertisingId, facts.ip, facts.userAgent);
            if (key === null || hours <= 0) return [];
            return this.redis.zRange(key, facts.eventTimeMs, facts.eventTimeMs - hours * HOUR_MS, {
              BY: 'SCORE',
              REV: true,
              LIMIT: { offset: 0, count: CANDIDATES_PER_INDEX },
            });
          }),
        );
        return lists.flat().map((member) => decodeTouch(member, facts.appId));
      }),
    );
  }
}

/** Compact, and the same bytes for the same touch: a replayed touch is the same sorted-set member. */
export function encodeTouch(touch: Touch): string {
  const { source } = touch;
  return JSON.stringify([
    touch.eventId,
    touch.type === 'click' ? 'c' : 'i',
    touch.eventTimeMs,
    touch.receivedAtMs,
    touch.advertisingId,
    touch.ip,
    touch.userAgent,
    source.media_source,
    source.campaign,
    source.adset,
    source.ad,
    source.site_id,
  ]);
}

export function decodeTouch(member: string, appId: string): Touch {
  const [eventId, type, eventTimeMs, receivedAtMs, advertisingId, ip, userAgent, media_source, campaign, adset, ad, site_id] =
    JSON.parse(member);
  return {
    eventId,
    appId,
    type: type === 'c' ? 'click' : 'impression',
    eventTimeMs,
    receivedAtMs,
    advertisingId,
    ip,
    userAgent,
    source: { media_source, campaign, adset, ad, site_id },
  };
}
