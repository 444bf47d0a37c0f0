import type { RedisClient } from '../../redis/redis';

/** One piece of parked work: its id (an event_id), the time it waits on, and what the drainer needs to do it. */
export interface HeldItem {
  id: string;
  atMs: number;
  payload: string;
}

// Takes the lease when it is free or already ours, and extends it; single key, so Cluster-safe.
const TAKE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Work parked until a time, one queue per partition of a consumer group, in Redis:
 * a sorted set of ids by time and a hash of payloads, both under the hash tag
 * `{<group>:<topic>:<partition>}` so one MULTI covers them in a Redis Cluster.
 *
 * - `park` is idempotent: the same id parked twice is one item, with its first time and payload.
 * - `due` reads without removing; `remove` is called once the work's effect is durable,
 *   so a crash in between means the work is done again, never lost.
 * - A lease per partition lets one member at a time take the work of a partition.
 */
export class HeldQueue {
  readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    readonly groupId: string,
    readonly topic: string,
    /** Kept this long after the last change of a partition's queue (a queue nobody drains does not live forever). */
    private readonly ttlMs = 30 * 24 * 3600 * 1000,
  ) {
    this.prefix = `mmp:held:${groupId}:${topic}`;
  }

  keysOf(partition: number): { order: string; items: string; lease: string } {
    const tag = `{${this.groupId}:${this.topic}:${partition}}`;
    return { order: `mmp:held:${tag}:order`, items: `mmp:held:${tag}:items`, lease: `mmp:held:${tag}:lease` };
  }

  /** Parks items on a partition's queue; one round trip. */
  async park(partition: number, items: readonly HeldItem[]): Promise<void> {
    if (items.length === 0) return;
    const { order, items: payloads } = this.keysOf(partition);
    const multi = this.redis.multi();
    multi.zAdd(
      order,
      items.map((item) => ({ score: item.atMs, value: item.id })),
      { NX: true },
    );
    for (const item of items) multi.hSetNX(payloads, item.id, item.payload);
    multi.pExpire(order, this.ttlMs);
    multi.pExpire(payloads, this.ttlMs);
    await multi.exec();
  }

  /** The oldest items whose time is at or before `untilMs`, in time order (ties by id). */
  async due(partition: number, untilMs: number, limit: number): Promise<HeldItem[]> {
    const { order, items } = this.keysOf(partition);
    const entries = await this.redis.zRangeByScoreWithScores(order, '-inf', Math.floor(untilMs), {
      LIMIT: { offset: 0, count: limit },
    });
    if (entries.length === 0) return [];
    const payloads = await this.redis.hmGet(
      items,
      entries.map((entry) => entry.value),
    );
    const due: HeldItem[] = [];
    entries.forEach((entry, index) => {
      const payload = payloads[index];
      // An id without a payload was removed between the two reads: done already.
      if (payload !== null && payload !== undefined) due.push({ id: entry.value, atMs: entry.score, payload });
    });
    return due;
  }

  /** Removes items whose effect is durable. */
  async remove(partition: number, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const { order, items } = this.keysOf(partition);
    await this.redis
      .multi()
      .zRem(order, [...ids])
      .hDel(items, [...ids])
      .exec();
  }

  /** How many items wait on a partition, and the time of the oldest. */
  async stats(partition: number): Promise<{ count: number; oldestMs: number | null }> {
    const { order } = this.keysOf(partition);
    const [count, oldest] = await Promise.all([this.redis.zCard(order), this.redis.zRangeWithScores(order, 0, 0)]);
    return { count, oldestMs: oldest[0]?.score ?? null };
  }

  /** Takes (or extends) the partition's lease for `owner`; false while another member holds it. */
  async lease(partition: number, owner: string, ttlMs: number): Promise<boolean> {
    const taken = await this.redis.eval(TAKE_LEASE, { keys: [this.keysOf(partition).lease], arguments: [owner, String(ttlMs)] });
    return taken === 1;
  }

  async release(partition: number, owner: string): Promise<void> {
    await this.redis.eval(RELEASE_LEASE, { keys: [this.keysOf(partition).lease], arguments: [owner] });
  }

  /** Drops every partition's queue (tests, and a group that is retired). */
  async clear(partitionCount: number): Promise<void> {
    const keys = Array.from({ length: partitionCount }, (_, partition) => Object.values(this.keysOf(partition))).flat();
    // One DEL per key: keys of different partitions live in different slots.
    await Promise.all(keys.map((key) => this.redis.del(key)));
  }
}
