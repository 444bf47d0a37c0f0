import type { RedisClient } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import type { DayFolder } from './raw-store';

/**
 * The event_ids already in the lake, one Redis set per app, kind and day (hash-tagged by
 * app, so a cluster keeps an app's days on one slot). Checked before a segment is written
 * and filled after it is in place: a crash in between leaves a copy that the read-time
 * merge drops and compaction removes, never a loss.
 */
export class EventIdIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /** For each folder, which of its ids are already written. */
  async known(groups: { folder: DayFolder; ids: string[] }[]): Promise<boolean[][]> {
    if (groups.length === 0) return [];
    const pipeline = this.redis.multi();
    for (const { folder, ids } of groups) pipeline.smIsMember(this.keyOf(folder), ids);
    const replies = (await pipeline.execAsPipeline()) as unknown as unknown[][];
    return replies.map((reply) => reply.map((member) => member === true || Number(member) === 1));
  }

  async add(groups: { folder: DayFolder; ids: string[] }[]): Promise<void> {
    if (groups.length === 0) return;
    const pipeline = this.redis.multi();
    for (const { folder, ids } of groups) {
      const key = this.keyOf(folder);
      pipeline.sAdd(key, ids);
      pipeline.expire(key, this.ttlSeconds);
    }
    await pipeline.execAsPipeline();
  }

  /** A lease for one day's compaction, so instances sharing the lake never compact the same day at once. */
  async lease(folder: DayFolder, ms: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.prefix}:compact:{${folder.appId}}:${folder.kind}:${folder.day}`;
    const token = randomBytes(8).toString('hex');
    const taken = await this.redis.set(key, token, { NX: true, PX: ms });
    if (taken !== 'OK') return undefined;
    return async () => {
      await this.redis
        .eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", {
          keys: [key],
          arguments: [token],
        })
        .catch(() => undefined);
    };
  }

  private keyOf(folder: DayFolder): string {
    return `${this.prefix}:ids:{${folder.appId}}:${folder.kind}:${folder.day}`;
  }
}
