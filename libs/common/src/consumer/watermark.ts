import type { RedisClient } from '../redis/redis';

/** What one partition has shown: the latest event time consumed, and when it was last seen at its end. */
export interface PartitionMark {
  eventTimeMs: number | null;
  /** Wall time at which everything written to the partition before it had been consumed. */
  endMs: number | null;
}

/**
 * Contracts §5: has every partition of the topic passed time T? A partition passes when it
 * has consumed an event at or after T, or when it was seen at its end at or after T (an
 * idle partition has nothing older left to give).
 */
export function allPassed(marks: ReadonlyMap<number, PartitionMark>, timeMs: number, partitionCount: number): boolean {
  for (let partition = 0; partition < partitionCount; partition++) {
    const mark = marks.get(partition);
    if (!mark) return false;
    if ((mark.eventTimeMs ?? -Infinity) >= timeMs) continue;
    if ((mark.endMs ?? -Infinity) >= timeMs) continue;
    return false;
  }
  return true;
}

/** The earliest time T for which allPassed holds: the group's watermark; null until every partition has a mark. */
export function lowWatermark(marks: ReadonlyMap<number, PartitionMark>, partitionCount: number): number | null {
  let low = Infinity;
  for (let partition = 0; partition < partitionCount; partition++) {
    const mark = marks.get(partition);
    if (!mark) return null;
    const passed = Math.max(mark.eventTimeMs ?? -Infinity, mark.endMs ?? -Infinity);
    if (passed === -Infinity) return null;
    low = Math.min(low, passed);
  }
  return partitionCount === 0 ? null : low;
}

/** Contracts §5: the most the clocks of ingest and of a consumer may disagree by. */
export const WATERMARK_GRACE_MS = 2000;

// Marks only move forward: a late write from an instance that just lost the partition
// cannot take the watermark back. No mark is kept beyond the writer's clock plus the grace
// (ARGV[5]): a far-future event time would otherwise hold its partition's mark for good.
const MERGE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local eventTime, endTime = -1, -1
if current then
  local comma = string.find(current, ',')
  eventTime = tonumber(string.sub(current, 1, comma - 1))
  endTime = tonumber(string.sub(current, comma + 1))
end
local cap = tonumber(ARGV[5])
eventTime = math.min(math.max(eventTime, tonumber(ARGV[2])), cap)
endTime = math.min(math.max(endTime, tonumber(ARGV[3])), cap)
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d,%d', eventTime, endTime))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// Replay: every mark goes back to just before the time the group's offsets went back to.
const REWIND = `
local fields = redis.call('HGETALL', KEYS[1])
local to = tonumber(ARGV[1])
for i = 1, #fields, 2 do
  local value = fields[i + 1]
  local comma = string.find(value, ',')
  local eventTime = math.min(tonumber(string.sub(value, 1, comma - 1)), to)
  local endTime = math.min(tonumber(string.sub(value, comma + 1)), to)
  redis.call('HSET', KEYS[1], fields[i], string.format('%d,%d', eventTime, endTime))
end
return #fields / 2`;

/** The Redis hash that holds a group's marks on a topic. */
export const watermarkKey = (groupId: string, topic: string): string => `mmp:watermark:${groupId}:${topic}`;

/**
 * The marks of one consumer group on one topic, shared by all its instances in a Redis
 * hash (`mmp:watermark:<group>:<topic>`, field = partition, value = "eventTime,endTime").
 */
export class Watermark {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    readonly groupId: string,
    readonly topic: string,
    private readonly ttlMs = 7 * 24 * 3600 * 1000,
    /** Allowed clock skew between ingest and this consumer (contracts §5). */
    readonly graceMs = WATERMARK_GRACE_MS,
    private readonly clock: () => number = Date.now,
  ) {
    this.key = watermarkKey(groupId, topic);
  }

  /**
   * Records progress; either time may be null when there is nothing new for it. No time is
   * kept beyond this clock + grace. `endMs`: every event time before it has been consumed
   * (the consumer passes the wall time it saw the partition at its end, minus the grace).
   */
  async record(partition: number, eventTimeMs: number | null, endMs: number | null): Promise<void> {
    const cap = this.clock() + this.graceMs;
    await this.redis.eval(MERGE, {
      keys: [this.key],
      arguments: [
        String(partition),
        String(Math.floor(eventTimeMs ?? -1)),
        String(endMs === null ? -1 : Math.max(-1, Math.floor(endMs))),
        String(this.ttlMs),
        String(Math.floor(cap)),
      ],
    });
  }

  /**
   * Replay (contracts §5): takes every mark back to just before `timeMs`, as the group's
   * offsets went back to the first message at or after it. Returns the partitions rewound.
   */
  async rewind(timeMs: number): Promise<number> {
    return Number(await this.redis.eval(REWIND, { keys: [this.key], arguments: [String(Math.floor(timeMs) - 1)] }));
  }

  async marks(): Promise<Map<number, PartitionMark>> {
    const fields = await this.redis.hGetAll(this.key);
    const marks = new Map<number, PartitionMark>();
    for (const [partition, value] of Object.entries(fields)) {
      const [eventTime, endTime] = value.split(',').map(Number);
      marks.set(Number(partition), { eventTimeMs: eventTime >= 0 ? eventTime : null, endMs: endTime >= 0 ? endTime : null });
    }
    return marks;
  }

  /** True once every partition's mark is at or after the time. */
  async passed(timeMs: number, partitionCount: number): Promise<boolean> {
    return allPassed(await this.marks(), timeMs, partitionCount);
  }

  /** The group's watermark: the earliest time every partition has passed; null until each has a mark. */
  async low(partitionCount: number): Promise<number | null> {
    return lowWatermark(await this.marks(), partitionCount);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
