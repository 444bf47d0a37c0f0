import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { DependencyDownError, jsonDecoder, ok, StreamConsumer, type BatchHandler, type StreamConsumerOptions } from '@mmp/common';
import { uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, endOffsets, produce, quietLogger, readTopic, testClient } from '../support/kafka';

const itemSchema = z.strictObject({ id: z.string() });
type Item = z.infer<typeof itemSchema>;
const item = (id: string, partition = 0) => ({ key: id, value: JSON.stringify({ id }), partition });

const running: StreamConsumer<Item>[] = [];
after(async () => {
  await Promise.allSettled(running.map((consumer) => consumer.stop()));
});

function consumerOf(topic: string, handler: BatchHandler<Item>, options: Partial<StreamConsumerOptions<Item>> = {}) {
  const consumer = new StreamConsumer<Item>({
    client: testClient(),
    groupId: uniqueId('failures'),
    topic,
    decoder: jsonDecoder(itemSchema),
    handler,
    logger: quietLogger,
    backoff: { initialMs: 50, maxMs: 200 },
    ...options,
  });
  running.push(consumer);
  return consumer;
}

async function committedToEnd(groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([endOffsets(topic), committedOffsets(groupId, topic)]);
  return [...ends].every(([partition, end]) => committed.get(partition) === end);
}

describe('StreamConsumer: two kinds of error', () => {
  it('a message that makes the handler throw (not an outage) is isolated by bisection and dead-lettered; the partition goes on', async () => {
    const topic = await createTopic(1);
    const ids = Array.from({ length: 64 }, (_, index) => `m-${index}`);
    ids[37] = 'poison';
    await produce(
      topic,
      ids.map((id) => item(id)),
    );
    const handled = new Set<string>();
    let calls = 0;
    const consumer = consumerOf(topic, async (messages) => {
      calls++;
      if (messages.some((message) => message.value.id === 'poison')) throw new TypeError('cannot read the poison');
      for (const message of messages) handled.add(message.value.id);
      return messages.map(() => ok);
    });
    await consumer.start();
    await waitFor('committed to the end', () => committedToEnd(consumer.groupId, topic), 30_000);

    assert.deepEqual(
      [...handled].sort(),
      ids.filter((id) => id !== 'poison').sort(),
      'every other message was handled, before and after the poison',
    );
    const [dead] = await readTopic(`${topic}.dlq`, 1);
    assert.equal(dead.key?.toString(), 'poison');
    assert.equal(dead.value?.toString(), JSON.stringify({ id: 'poison' }), 'the DLQ keeps the original bytes');
    assert.equal(dead.headers.error, 'handler failed: TypeError: cannot read the poison');
    assert.equal(dead.headers['source-topic'], topic);
    assert.equal(dead.headers['source-partition'], '0');
    assert.equal(dead.headers['source-offset'], '37');
    assert.ok(calls <= 40, `bounded work to find it: ${calls} handler calls`);
    await consumer.stop();
    const dlqEnds = await endOffsets(`${topic}.dlq`);
    assert.equal(dlqEnds.get(0), 1n, 'only the poison went to the DLQ');
  });

  it('a dependency outage is retried with backoff past the attempts allowed for errors, and nothing goes to the DLQ', async () => {
    const topic = await createTopic(1);
    await produce(topic, [item('a'), item('b'), item('c')]);
    let failures = 0;
    const handled: string[] = [];
    const consumer = consumerOf(
      topic,
      async (messages) => {
        if (failures < 8) {
          failures++;
          throw new DependencyDownError('redis', 'connection refused');
        }
        handled.push(...messages.map((message) => message.value.id));
        return messages.map(() => ok);
      },
      { maxAttempts: 2 },
    );
    await consumer.start();
    await waitFor('committed to the end', () => committedToEnd(consumer.groupId, topic), 30_000);
    assert.equal(failures, 8);
    assert.deepEqual(handled, ['a', 'b', 'c'], 'handled once it was back, nothing skipped');
    await consumer.stop();
    const dlqEnds = await endOffsets(`${topic}.dlq`);
    assert.equal(dlqEnds.get(0), 0n, 'nothing went to the DLQ for an outage');
  });
});

describe('StreamConsumer.stop()', () => {
  it('returns within 10 s while a handler never returns; the unfinished slice is not committed and goes to the next owner', async () => {
    const topic = await createTopic(1);
    await produce(
      topic,
      Array.from({ length: 5 }, (_, index) => item(`s-${index}`)),
    );
    const groupId = uniqueId('stuck');
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const commits: string[] = [];
    const stuck = consumerOf(
      topic,
      async () => {
        entered();
        return new Promise(() => undefined);
      },
      { groupId, observer: { committed: (partition, offset) => commits.push(`${partition}@${offset}`) } },
    );
    await stuck.start();
    await inHandler;
    const startedAt = Date.now();
    await stuck.stop();
    const took = Date.now() - startedAt;
    assert.ok(took < 10_000, `stop() took ${took} ms`);
    assert.deepEqual(commits, []);
    assert.equal((await committedOffsets(groupId, topic)).get(0) ?? -1n, -1n, 'nothing committed for the unfinished slice');

    const redelivered: string[] = [];
    const next = consumerOf(
      topic,
      async (messages) => (redelivered.push(...messages.map((message) => message.value.id)), messages.map(() => ok)),
      { groupId },
    );
    await next.start();
    await waitFor('the next owner got the slice and committed it', () => committedToEnd(groupId, topic), 30_000);
    assert.deepEqual(redelivered, ['s-0', 's-1', 's-2', 's-3', 's-4']);
  });
});
