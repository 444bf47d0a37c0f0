import { closeRedis, createLogger, createRedis, replayFrom, Watermark, type PartitionOffset } from '@mmp/common';
import { withKafkaAdmin } from '../kafka-admin';

export interface ReplayRequest {
  groupId: string;
  topic: string;
  from: string;
}

/** Reads `--from` as an RFC 3339 time or epoch milliseconds. */
export function replayTime(from: string): number {
  const millis = /^\d+$/.test(from) ? Number(from) : Date.parse(from);
  if (!Number.isFinite(millis) || !/^\d+$|^\d{4}-\d{2}-\d{2}T/.test(from)) {
    throw new Error(`--from wants an RFC 3339 time such as 2026-11-22T10:00:00Z, or epoch milliseconds; got '${from}'`);
  }
  return millis;
}

/**
 * Moves a stopped group to the first message at or after the time on every partition,
 * and its watermark marks in Redis (REDIS_URL) back with it (contracts §5).
 */
export async function replayGroup(request: ReplayRequest): Promise<PartitionOffset[]> {
  const timestamp = replayTime(request.from);
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', createLogger('fleet', 'error'));
  await redis.connect();
  try {
    const watermark = new Watermark(redis, request.groupId, request.topic);
    return await withKafkaAdmin((admin) => replayFrom(admin, request.groupId, request.topic, timestamp, watermark));
  } finally {
    await closeRedis(redis);
  }
}
