import type { PartitionOffset, StreamAdmin } from '../kafka/stream-client';

/**
 * Moves a consumer group back (or forward) to the first message at or after a time on
 * every partition. The group must have no running member: Kafka refuses to move the
 * offsets of an active group, and we pass that refusal on.
 */
export async function replayFrom(
  admin: StreamAdmin,
  groupId: string,
  topic: string,
  timestampMs: number,
): Promise<PartitionOffset[]> {
  if (!Number.isFinite(timestampMs)) throw new Error('replay needs a valid time');
  return admin.resetOffsetsToTime(groupId, topic, timestampMs);
}
