import { bootstrapService, TOPICS, type GroupConsumer, type RawEvent, type RunningService } from '@mmp/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestService, type IngestConfig } from '@mmp/ingest';
import { uniqueId, waitFor } from '../support/infra';
import { testClient } from '../support/kafka';

export type RunningIngest = RunningService<IngestConfig>;

export const newSpoolRoot = (): string => mkdtempSync(join(tmpdir(), 'mmp-ingest-spool-'));

/** One ingest instance in this process, on a free port, with its own spool root unless told otherwise. */
export function startIngest(env: Record<string, string> = {}): Promise<RunningIngest> {
  return bootstrapService(IngestService, {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'error',
    SPOOL_DIR: newSpoolRoot(),
    INSTANCE_ID: uniqueId('ingest-test'),
    ...env,
  });
}

export interface ReadEvent {
  key: string | null;
  partition: number;
  event: RawEvent;
}

/**
 * Reads events.raw.v1 with a fresh consumer group from a point in time on, and keeps
 * every event by app, so a test can wait for what it wrote and count it.
 */
export class RawTopicReader {
  private readonly byApp = new Map<string, ReadEvent[]>();
  private consumer?: GroupConsumer;
  private readonly client = testClient(uniqueId('ingest-test-reader'));

  static async start(fromMs: number): Promise<RawTopicReader> {
    const reader = new RawTopicReader();
    const groupId = uniqueId('ingest-test-reader');
    // Right after a Kafka restart the partitions may still be electing leaders.
    await waitFor(
      `offsets of ${TOPICS.raw} at ${new Date(fromMs).toISOString()}`,
      async () => {
        const admin = reader.client.admin();
        await admin.connect();
        try {
          await admin.resetOffsetsToTime(groupId, TOPICS.raw, fromMs);
          return true;
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
      500,
    );
    const consumer = reader.client.consumer({ groupId, fromBeginning: true, maxWaitMs: 100 });
    reader.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe([TOPICS.raw]);
    void consumer.run({
      concurrency: 1,
      eachBatch: async (batch, context) => {
        for (const record of batch.records) {
          try {
            const event = JSON.parse(record.value!.toString('utf8')) as RawEvent;
            const list = reader.byApp.get(event.app_id) ?? [];
            list.push({ key: record.key?.toString('utf8') ?? null, partition: record.partition, event });
            reader.byApp.set(event.app_id, list);
          } catch {
            // Other writers' junk is not ours to judge.
          }
          context.resolveOffset(record.offset);
        }
      },
    });
    return reader;
  }

  events(appId: string): ReadEvent[] {
    return this.byApp.get(appId) ?? [];
  }

  /** Waits until the app's events include every one of the ids; resolves with all of the app's events read so far. */
  async waitForIds(appId: string, eventIds: string[], timeoutMs = 60_000): Promise<ReadEvent[]> {
    return waitFor(
      `${eventIds.length} events of ${appId} on ${TOPICS.raw}`,
      () => {
        const seen = new Set(this.events(appId).map((read) => read.event.event_id));
        return eventIds.every((id) => seen.has(id)) && this.events(appId);
      },
      timeoutMs,
    );
  }

  async waitForEvent(appId: string, eventId: string, timeoutMs = 60_000): Promise<ReadEvent> {
    const read = await this.waitForIds(appId, [eventId], timeoutMs);
    return read.find(({ event }) => event.event_id === eventId)!;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** How many times each event_id was read. */
export function countById(events: ReadEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { event } of events) counts.set(event.event_id, (counts.get(event.event_id) ?? 0) + 1);
  return counts;
}

let sequence = 0;
export const eventId = (prefix = 'ev'): string =>
  `${prefix}_${Date.now().toString(36)}_${(sequence++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** A valid install (contracts §3) with the given advertising id; fields may be overridden. */
export function install(advertisingId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: eventId(),
    type: 'install',
    event_time: new Date().toISOString(),
    device: { platform: 'android', advertising_id: advertisingId },
    ...overrides,
  };
}
