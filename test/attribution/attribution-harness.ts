import {
  bootstrapService,
  eventKey,
  TOPICS,
  type GroupConsumer,
  type IncomingRecord,
  type OutgoingRecord,
  type RunningService,
} from '@mmp/common';
import { AttributionService, type AttributionConfig } from '@mmp/attribution';
import { uniqueId, waitFor } from '../support/infra';
import { testClient } from '../support/kafka';

export type RunningAttribution = RunningService<AttributionConfig>;

/** Moves a (stopped or new) group to the first offset at or after a time on every partition of a topic. */
export async function positionGroup(groupId: string, topic: string, timeMs: number): Promise<void> {
  await waitFor(
    `offsets of ${groupId} on ${topic}`,
    async () => {
      const admin = testClient().admin();
      await admin.connect();
      try {
        await admin.resetOffsetsToTime(groupId, topic, timeMs);
        return true;
      } finally {
        await admin.disconnect();
      }
    },
    60_000,
    500,
  );
}

/** An attribution instance in this process, with its own group and Redis keys, reading events.raw.v1 from a time. */
export function startAttribution(
  group: string,
  keyPrefix: string,
  env: Record<string, string> = {},
): Promise<RunningAttribution> {
  return bootstrapService(AttributionService, {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'error',
    INSTANCE_ID: uniqueId('attribution-test'),
    ATTRIBUTION_GROUP: group,
    ATTRIBUTION_KEY_PREFIX: keyPrefix,
    ...env,
  });
}

export interface RawEventFields {
  schema: 'mmp.event/1';
  event_id: string;
  app_id: string;
  type: 'click' | 'impression' | 'install' | 'in_app_event' | 'session';
  event_time: string;
  received_at: string;
  ip: string | null;
  user_agent: string | null;
  device: { platform: 'android' | 'ios' | null; advertising_id?: string | null };
  click?: { media_source: string; campaign: string | null; adset: null; ad: null; site_id: null; click_id: null };
  event_name: string | null;
  revenue: null;
  currency: null;
  app_version: null;
  customer_user_id: null;
}

let sequence = 0;
const randomOctet = () => Math.floor(Math.random() * 254) + 1;

/** A raw event of contracts §4, as ingest writes it. */
export function rawEvent(
  appId: string,
  type: RawEventFields['type'],
  options: {
    advertisingId?: string | null;
    ip?: string;
    userAgent?: string;
    eventTimeMs?: number;
    receivedAtMs?: number;
    mediaSource?: string;
    campaign?: string;
  } = {},
): RawEventFields {
  const receivedAtMs = options.receivedAtMs ?? Date.now();
  const touch = type === 'click' || type === 'impression';
  return {
    schema: 'mmp.event/1',
    event_id: `ev_${Date.now().toString(36)}_${(sequence++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`,
    app_id: appId,
    type,
    event_time: new Date(options.eventTimeMs ?? receivedAtMs).toISOString(),
    received_at: new Date(receivedAtMs).toISOString(),
    // A network of its own by default: events match by ip and user agent only when a test says so.
    ip: options.ip ?? `10.${randomOctet()}.${randomOctet()}.${randomOctet()}`,
    user_agent: options.userAgent ?? 'TestAgent/1.0',
    device: { platform: touch ? null : 'android', advertising_id: options.advertisingId ?? null },
    ...(touch
      ? {
          click: {
            media_source: options.mediaSource ?? 'network',
            campaign: options.campaign ?? null,
            adset: null,
            ad: null,
            site_id: null,
            click_id: null,
          },
        }
      : {}),
    event_name: type === 'in_app_event' ? 'purchase' : null,
    revenue: null,
    currency: null,
    app_version: null,
    customer_user_id: null,
  };
}

/** Writes raw events to events.raw.v1 in order, keyed as contracts §4, each on a chosen partition when given; one producer. */
export async function produceRaw(events: (RawEventFields | { event: RawEventFields; partition: number })[]): Promise<void> {
  const producer = testClient().producer();
  await producer.connect();
  try {
    for (const entry of events) {
      const event = 'event' in entry ? entry.event : entry;
      const record: OutgoingRecord = { key: eventKey(event as never), value: JSON.stringify(event) };
      if ('partition' in entry) record.partition = entry.partition;
      await producer.send(TOPICS.raw, [record]);
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  partition: number;
  key: string | null;
  text: string;
  value: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Reads a topic with a fresh group from a time on, keeping each JSON record by a field of its value (or by key). */
export class TopicReader {
  private readonly records: ReadRecord[] = [];
  private consumer?: GroupConsumer;

  static async start(topic: string, fromMs: number): Promise<TopicReader> {
    const reader = new TopicReader();
    const groupId = uniqueId('attribution-test-reader');
    await positionGroup(groupId, topic, fromMs);
    const consumer = testClient().consumer({ groupId, fromBeginning: true, maxWaitMs: 100 });
    reader.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe([topic]);
    void consumer.run({
      concurrency: 3,
      eachBatch: async (batch, context) => {
        for (const record of batch.records) {
          reader.keep(record);
          context.resolveOffset(record.offset);
        }
      },
    });
    return reader;
  }

  private keep(record: IncomingRecord): void {
    const text = record.value?.toString('utf8') ?? '';
    let value: Record<string, unknown> = {};
    try {
      value = JSON.parse(text);
    } catch {
      // DLQ records hold whatever bytes came; they are found by key.
    }
    this.records.push({
      partition: record.partition,
      key: record.key?.toString('utf8') ?? null,
      text,
      value,
      headers: record.headers,
    });
  }

  ofApp(appId: string): ReadRecord[] {
    return this.records.filter((record) => record.value.app_id === appId);
  }

  withKey(key: string): ReadRecord[] {
    return this.records.filter((record) => record.key === key);
  }

  /** Waits until every id was read for the app; resolves with the last record read for each. */
  async waitForIds(appId: string, ids: string[], timeoutMs = 60_000): Promise<Map<string, ReadRecord>> {
    return waitFor(
      `${ids.length} events of ${appId}`,
      () => {
        const byId = new Map(this.ofApp(appId).map((record) => [record.value.event_id as string, record]));
        return ids.every((id) => byId.has(id)) && byId;
      },
      timeoutMs,
      100,
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
