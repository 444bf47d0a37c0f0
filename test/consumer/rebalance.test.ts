import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { z } from 'zod';
import { jsonDecoder, ok, StreamConsumer, type BatchHandler, type ConsumerObserver } from '@mmp/common';
import { uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, endOffsets, produce, quietLogger, testClient } from '../support/kafka';

const itemSchema = z.strictObject({ id: z.string() });
type Item = z.infer<typeof itemSchema>;

const running: StreamConsumer<Item>[] = [];
after(async () => {
  await Promise.allSettled(running.map((consumer) => consumer.stop()));
});

interface Seen {
  at: number;
  member: string;
  kind: 'hand' | 'commit';
  partition: number;
  offsets: string[];
}

it('a second member joins while the first is inside a slow handler: the first commits nothing for the revoked partitions and hands over no more of their slices', async () => {
  const topic = await createTopic(2);
  const groupId = uniqueId('revoke');
  const perPartition = 60;
  await produce(
    topic,
    Array.from({ length: perPartition * 2 }, (_, index) => ({
      key: `r-${index}`,
      value: JSON.stringify({ id: `r-${index}` }),
      partition: index % 2,
    })),
  );

  const seen: Seen[] = [];
  const processed = new Set<string>();
  let revokedAt: number | undefined;
  const firstAssignments: { at: number; partitions: number[] }[] = [];
  let slow: { partition: number; offsets: string[]; returnedAt?: number } | undefined;
  let entered!: () => void;
  const inSlowHandler = new Promise<void>((resolve) => (entered = resolve));

  const observe = (member: string, extra: ConsumerObserver = {}): ConsumerObserver => ({
    handing: (partition, offsets) => seen.push({ at: Date.now(), member, kind: 'hand', partition, offsets }),
    committed: (partition, offset) => seen.push({ at: Date.now(), member, kind: 'commit', partition, offsets: [offset] }),
    ...extra,
  });
  const make = (member: string, handler: BatchHandler<Item>, observer: ConsumerObserver) => {
    const consumer = new StreamConsumer<Item>({
      client: testClient(),
      groupId,
      topic,
      decoder: jsonDecoder(itemSchema),
      handler,
      logger: quietLogger,
      concurrency: 1,
      maxHandlerBatch: 10,
      heartbeatIntervalMs: 300,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 15_000,
      observer,
    });
    running.push(consumer);
    return consumer;
  };

  const first = make(
    'first',
    async (messages, source) => {
      if (!slow) {
        slow = { partition: source.partition, offsets: messages.map((message) => message.record.offset) };
        entered();
        // Slow until this member knows it lost its partitions (bounded, so that old code fails on the asserts below).
        const until = Date.now() + 20_000;
        while (revokedAt === undefined && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
        slow.returnedAt = Date.now();
      }
      for (const message of messages) processed.add(message.value.id);
      return messages.map(() => ok);
    },
    observe('first', {
      revoked: () => (revokedAt ??= Date.now()),
      assigned: (partitions) => firstAssignments.push({ at: Date.now(), partitions }),
    }),
  );
  const second = make(
    'second',
    async (messages) => {
      for (const message of messages) processed.add(message.value.id);
      return messages.map(() => ok);
    },
    observe('second'),
  );

  await first.start();
  await inSlowHandler;
  const joined = second.start();
  await waitFor('the first member learns of the revocation', () => revokedAt, 20_000);
  await joined;
  await waitFor(`all ${perPartition * 2} processed`, () => processed.size === perPartition * 2, 30_000);
  const ends = await endOffsets(topic);
  await waitFor('committed to the end', async () => {
    const committed = await committedOffsets(groupId, topic);
    return [...ends].every(([partition, end]) => committed.get(partition) === end);
  });

  assert.ok(slow?.returnedAt !== undefined && revokedAt! <= slow.returnedAt, 'learnt while inside the slow handler');
  const reassigned = firstAssignments.find((assignment) => assignment.at >= revokedAt!);
  const firstAfter = seen.filter((entry) => entry.member === 'first' && entry.at >= revokedAt!);
  const beforeReassignment = firstAfter.filter((entry) => !reassigned || entry.at < reassigned.at);
  assert.deepEqual(beforeReassignment, [], 'after the revocation, nothing handed over or committed until the next assignment');
  if (reassigned) {
    const outside = firstAfter.filter((entry) => !reassigned.partitions.includes(entry.partition));
    assert.deepEqual(outside, [], 'afterwards, only the partitions of the new assignment');
  }
  const slowEnd = String(BigInt(slow!.offsets.at(-1)!) + 1n);
  assert.ok(
    !seen.some(
      (entry) =>
        entry.member === 'first' &&
        entry.kind === 'commit' &&
        entry.partition === slow!.partition &&
        entry.offsets[0] === slowEnd &&
        (!reassigned || entry.at < reassigned.at),
    ),
    'the slow slice was not committed by the member that lost it',
  );
  assert.ok(
    seen.some(
      (entry) =>
        entry.kind === 'hand' &&
        entry.at > slow!.returnedAt! &&
        entry.partition === slow!.partition &&
        entry.offsets.includes(slow!.offsets[0]),
    ),
    'the slow slice was handed over again after the rebalance',
  );
  assert.ok(
    seen.some((entry) => entry.member === 'second' && entry.kind === 'commit'),
    'the second member took over partitions',
  );
});
