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

// Marks only move forward: a late write from an instance that just lost the partition
// cannot take the watermark back.
const MERGE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local eventTime, endTime = -1, -1
if current then
  local comma = string.find(current, ',')
  eventTime = tonumber(string.sub(current, 1, comma - 1))
  endTime = tonumber(string.sub(current, comma + 1))
end
eventTime = math.max(eventTime, tonumber(ARGV[2]))
endTime = math.max(endTime, tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d,%d', eventTime, endTime))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

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
  ) {
    this.key = `mmp:watermark:${groupId}:${topic}`;
  }

  /** Records progress; either time may be null when there is nothing new for it. */
  async record(partition: number, eventTimeMs: number | null, endMs: number | null): Promise<void> {
    await this.redis.eval(MERGE, {
      keys: [this.key],
      arguments: [String(partition), String(Math.floor(eventTimeMs ?? -1)), String(Math.floor(endMs ?? -1)), String(this.ttlMs)],
    });
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

  async passed(timeMs: number, partitionCount: number): Promise<boolean> {
    return allPassed(await this.marks(), timeMs, partitionCount);
  }

  async low(partitionCount: number): Promise<number | null> {
    return lowWatermark(await this.marks(), partitionCount);
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
