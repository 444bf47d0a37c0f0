import type { PartitionOffset, StreamAdmin } from '../kafka/stream-client';
import type { Watermark } from './watermark';

/**
 * Moves a consumer group back (or forward) to the first message at or after a time on
 * every partition, and its watermark marks back with it (contracts §5), so replayed
 * events wait for the other partitions to be read again. The group must have no running
 * member: Kafka refuses to move the offsets of an active group, and we pass that refusal
 * on; the marks are left alone then.
 */
export async function replayFrom(
  admin: StreamAdmin,
  groupId: string,
  topic: string,
  timestampMs: number,
  watermark?: Watermark,
): Promise<PartitionOffset[]> {
  if (!Number.isFinite(timestampMs)) throw new Error('replay needs a valid time');
  if (watermark && (watermark.groupId !== groupId || watermark.topic !== topic)) {
    throw new Error(`the watermark of ${watermark.groupId} on ${watermark.topic} is not the one of ${groupId} on ${topic}`);
  }
  const offsets = await admin.resetOffsetsToTime(groupId, topic, timestampMs);
  await watermark?.rewind(timestampMs);
  return offsets;
}
