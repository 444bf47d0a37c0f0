import { createLogger, KafkajsStreamClient, type IncomingRecord, type OutgoingRecord, type StreamClient } from '@mmp/common';
import { KAFKA_BROKERS, uniqueId, waitFor } from './infra';

export const quietLogger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

export function testClient(clientId = uniqueId('test')): StreamClient {
  return new KafkajsStreamClient({ brokers: KAFKA_BROKERS, clientId, logger: quietLogger });
}

/** A topic of its own for one test, so tests never see each other's messages. */
export async function createTopic(partitions: number, prefix = 'test'): Promise<string> {
  const topic = uniqueId(prefix).replace(/[^A-Za-z0-9._-]/g, '.');
  const admin = testClient().admin();
  await admin.connect();
  try {
    await admin.ensureTopics([
      { topic, partitions },
      { topic: `${topic}.dlq`, partitions: 1 },
    ]);
  } finally {
    await admin.disconnect();
  }
  return topic;
}

export async function produce(topic: string, records: OutgoingRecord[]): Promise<void> {
  const producer = testClient().producer();
  await producer.connect();
  try {
    for (let start = 0; start < records.length; start += 1000) await producer.send(topic, records.slice(start, start + 1000));
  } finally {
    await producer.disconnect();
  }
}

/** Reads a topic from the beginning with a fresh group until `count` records arrived. */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000): Promise<IncomingRecord[]> {
  const consumer = testClient().consumer({ groupId: uniqueId('reader'), fromBeginning: true, maxWaitMs: 100 });
  const records: IncomingRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    await consumer.run({
      concurrency: 1,
      eachBatch: async (batch, context) => {
        records.push(...batch.records);
        context.resolveOffset(batch.records[batch.records.length - 1].offset);
      },
    });
    await waitFor(`${count} records on ${topic} (have ${records.length})`, () => records.length >= count, timeoutMs);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = testClient().admin();
  await admin.connect();
  try {
    return new Map((await admin.committedOffsets(groupId, topic)).map(({ partition, offset }) => [partition, BigInt(offset)]));
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsets(topic: string): Promise<Map<number, bigint>> {
  const admin = testClient().admin();
  await admin.connect();
  try {
    return new Map((await admin.endOffsets(topic)).map(({ partition, offset }) => [partition, BigInt(offset)]));
  } finally {
    await admin.disconnect();
  }
}
