import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import {
  closeRedis,
  connectRedis,
  createRedis,
  deadLetter,
  DependencyDownError,
  jsonDecoder,
  Metrics,
  ok,
  replayFrom,
  StreamConsumer,
  Watermark,
  type BatchHandler,
  type RedisClient,
  type StreamConsumerOptions,
} from '@mmp/common';
import { infra, REDIS_URL, uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, endOffsets, produce, quietLogger, readTopic, testClient } from '../support/kafka';
import { statsdNames, statsdValue } from '../support/statsd';

const itemSchema = z.strictObject({ id: z.string(), t: z.number().int() });
type Item = z.infer<typeof itemSchema>;

const item = (id: string, partition: number, t = Date.now(), timestamp?: number) => ({
  key: id,
  value: JSON.stringify({ id, t }),
  partition,
  timestamp,
});

const running: StreamConsumer<unknown>[] = [];

function consumerOf<T = Item>(
  topic: string,
  handler: BatchHandler<T>,
  options: Partial<StreamConsumerOptions<T>> = {},
): StreamConsumer<T> {
  const consumer = new StreamConsumer<T>({
    client: testClient(),
    groupId: uniqueId('group'),
    topic,
    decoder: jsonDecoder(itemSchema) as never,
    handler,
    logger: quietLogger,
    lagIntervalMs: 500,
    backoff: { initialMs: 100, maxMs: 1000 },
    ...options,
  });
  running.push(consumer as StreamConsumer<unknown>);
  return consumer;
}

async function allCommitted(groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([endOffsets(topic), committedOffsets(groupId, topic)]);
  return [...ends].every(([partition, end]) => committed.get(partition) === end);
}

after(async () => {
  await Promise.allSettled(running.map((consumer) => consumer.stop()));
});

describe('StreamConsumer on the real Kafka', () => {
  it('hands over batches, commits the highest processed offset + 1, and sends poison to the DLQ while the partition goes on', async () => {
    const topic = await createTopic(3);
    const records = [];
    for (let index = 0; index < 30; index++) records.push(item(`ok-${index}`, index % 3));
    records.splice(10, 0, { key: 'bad-json', value: '{"id":', partition: 1, timestamp: undefined });
    records.splice(20, 0, { key: 'bad-field', value: '{"id":"x","t":"soon"}', partition: 1, timestamp: undefined });
    records.push(item('refuse-me', 1));
    records.push(item('after-poison', 1));
    await produce(topic, records);

    const seen: string[] = [];
    const consumer = consumerOf(topic, async (messages) =>
      messages.map((message) => {
        seen.push(message.value.id);
        return message.value.id === 'refuse-me' ? deadLetter('refused by the handler') : ok;
      }),
    );
    await consumer.start();
    await waitFor('every partition committed to its end', () => allCommitted(consumer.groupId, topic), 30_000);

    assert.equal(seen.length, 32);
    assert.ok(seen.includes('after-poison'), 'the partition goes on after poison');
    assert.ok(!seen.some((id) => id === 'x'), 'an invalid message never reaches the handler');

    const dlq = await readTopic(`${topic}.dlq`, 3);
    const byKey = new Map(dlq.map((record) => [record.key?.toString(), record]));
    assert.deepEqual([...byKey.keys()].sort(), ['bad-field', 'bad-json', 'refuse-me']);
    for (const record of dlq) {
      assert.equal(record.headers['source-topic'], topic);
      assert.equal(record.headers['source-partition'], '1');
      assert.match(record.headers['source-offset'], /^\d+$/);
    }
    assert.match(byKey.get('bad-json')!.headers.error, /^malformed JSON/);
    assert.match(byKey.get('bad-field')!.headers.error, /^invalid t:/);
    assert.equal(byKey.get('refuse-me')!.headers.error, 'refused by the handler');
    assert.equal(byKey.get('bad-json')!.value!.toString(), '{"id":', 'the DLQ keeps the original bytes');
    assert.deepEqual(consumer.check().status, 'passing');
  });

  it('reports processed counts and lag per partition to StatsD', async () => {
    const topic = await createTopic(2);
    await produce(topic, [item('m-0', 0), item('m-1', 1), item('m-2', 1)]);
    const metrics = new Metrics({ service: 'test', host: '127.0.0.1', port: 8125, logger: quietLogger });
    const consumer = consumerOf(topic, async (messages) => messages.map(() => ok), { metrics });
    try {
      await consumer.start();
      await waitFor(
        'processed count in StatsD',
        async () => (await statsdValue('counters', 'mmp.test.consumer.processed', { group: consumer.groupId })) === 3,
        20_000,
      );
      for (const partition of ['0', '1']) {
        await waitFor(
          `lag gauge of partition ${partition} in StatsD`,
          async () => (await statsdValue('gauges', 'mmp.test.consumer.lag', { group: consumer.groupId, partition, topic })) === 0,
          20_000,
        );
      }
      await waitFor('the batch timer in StatsD', async () =>
        (await statsdNames('timers')).some(
          (name) => name.startsWith('mmp.test.consumer.batch_ms;') && name.includes(`group=${consumer.groupId}`),
        ),
      );
    } finally {
      await consumer.stop();
      await metrics.close();
    }
  });

  it('finishes and commits the slice in flight on stop, then leaves the group within 10 s', async () => {
    const topic = await createTopic(1);
    await produce(
      topic,
      Array.from({ length: 20 }, (_, index) => item(`s-${index}`, 0)),
    );
    let release!: () => void;
    const entered = new Promise<void>((resolve) => (release = resolve));
    const processed: string[] = [];
    const consumer = consumerOf(topic, async (messages) => {
      release();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      processed.push(...messages.map((message) => message.value.id));
      return messages.map(() => ok);
    });
    await consumer.start();
    await entered;
    const started = Date.now();
    await consumer.stop();
    assert.ok(Date.now() - started < 10_000);
    assert.ok(processed.length > 0);
    const committed = await committedOffsets(consumer.groupId, topic);
    assert.equal(committed.get(0), BigInt(processed.length), 'the slice in flight was committed, and nothing beyond it');
  });

  it('replays a group from a time: exactly the messages from that time on come again', async () => {
    const topic = await createTopic(2);
    const now = Date.now();
    const early = Array.from({ length: 6 }, (_, index) => item(`early-${index}`, index % 2, now, now - 60_000));
    const late = Array.from({ length: 5 }, (_, index) => item(`late-${index}`, index % 2, now, now - 30_000));
    await produce(topic, [...early, ...late]);

    const groupId = uniqueId('replay');
    const firstPass: string[] = [];
    const first = consumerOf(
      topic,
      async (messages) => (firstPass.push(...messages.map((m) => m.value.id)), messages.map(() => ok)),
      { groupId },
    );
    await first.start();
    await waitFor('first pass', () => firstPass.length === 11);
    await waitFor('first pass committed', () => allCommitted(groupId, topic));
    await first.stop();

    const admin = testClient().admin();
    await admin.connect();
    try {
      await replayFrom(admin, groupId, topic, now - 30_000);
    } finally {
      await admin.disconnect();
    }
    const secondPass: string[] = [];
    const second = consumerOf(
      topic,
      async (messages) => (secondPass.push(...messages.map((m) => m.value.id)), messages.map(() => ok)),
      { groupId },
    );
    await second.start();
    await waitFor('replay committed', async () => secondPass.length >= 5 && (await allCommitted(groupId, topic)));
    assert.deepEqual(secondPass.sort(), late.map((record) => record.key).sort());
    await second.stop();
  });
});

describe('StreamConsumer health', () => {
  it('goes to warning while a partition fails, critical past the limit, and passing once it recovers', async () => {
    const topic = await createTopic(1);
    let dependencyDown = true;
    const handled: string[] = [];
    const consumer = consumerOf(
      topic,
      async (messages) => {
        if (dependencyDown) throw new DependencyDownError('partner-api', 'dependency down');
        handled.push(...messages.map((message) => message.value.id));
        return messages.map(() => ok);
      },
      { criticalAfterMs: 2500, backoff: { initialMs: 100, maxMs: 400 } },
    );
    await produce(topic, [item('h-0', 0), item('h-1', 0)]);
    await consumer.start();
    await waitFor('warning while failing', () => consumer.check().status === 'warning', 20_000);
    assert.match(consumer.check().detail ?? '', /partition 0 failing .*dependency down/);
    await waitFor('critical past the limit', () => consumer.check().status === 'critical', 20_000);
    dependencyDown = false;
    await waitFor('passing after recovery', () => consumer.check().status === 'passing', 20_000);
    assert.deepEqual(handled, ['h-0', 'h-1']);
    await waitFor('committed', () => allCommitted(consumer.groupId, topic));
  });

  it('is critical when messages wait and the loop makes no progress, passing again once it moves', async () => {
    const topic = await createTopic(1);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const consumer = consumerOf(
      topic,
      async (messages) => {
        await stuck;
        return messages.map(() => ok);
      },
      { stallAfterMs: 2000 },
    );
    await produce(topic, [item('s-0', 0)]);
    try {
      await consumer.start();
      await waitFor('critical while stuck with lag', () => consumer.check().status === 'critical', 20_000);
      assert.match(consumer.check().detail ?? '', /no progress for \d+ ms with 1 messages behind/);
    } finally {
      release();
    }
    await waitFor('passing once it moved', () => consumer.check().status === 'passing', 20_000);
  });
});

describe('StreamConsumer while a dependency is down', () => {
  let redis: RedisClient;

  before(async () => {
    redis = createRedis(REDIS_URL, quietLogger);
    connectRedis(redis);
    await waitFor('redis', () => redis.isReady);
  });

  after(async () => {
    await infra('start', 'redis');
    await closeRedis(redis);
  });

  it('pauses and retries the partition while Redis is stopped for 10 s: nothing skipped, nothing in the DLQ, resumes by itself', async () => {
    const topic = await createTopic(2);
    const setKey = uniqueId('processed');
    const consumer = consumerOf(
      topic,
      async (messages) => {
        await redis.sAdd(
          setKey,
          messages.map((message) => message.value.id),
        );
        return messages.map(() => ok);
      },
      { criticalAfterMs: 60_000 },
    );
    await produce(
      topic,
      Array.from({ length: 10 }, (_, index) => item(`before-${index}`, index % 2)),
    );
    await consumer.start();
    await waitFor('first messages processed', async () => (await redis.sCard(setKey)) === 10);

    await infra('stop', 'redis');
    try {
      await produce(
        topic,
        Array.from({ length: 10 }, (_, index) => item(`during-${index}`, index % 2)),
      );
      await waitFor('health warning while Redis is down', () => consumer.check().status === 'warning', 20_000);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      assert.equal(consumer.check().status, 'warning', 'still retrying, not critical, within the limit');
    } finally {
      await infra('start', 'redis');
    }

    await waitFor('redis back', () => redis.isReady, 20_000);
    await waitFor('every message processed after Redis came back', async () => (await redis.sCard(setKey)) === 20, 30_000);
    await waitFor('committed to the end', () => allCommitted(consumer.groupId, topic), 30_000);
    await waitFor('health passing again', () => consumer.check().status === 'passing', 10_000);
    const dlqEnds = await endOffsets(`${topic}.dlq`);
    assert.equal(
      [...dlqEnds.values()].reduce((sum, offset) => sum + offset, 0n),
      0n,
      'nothing went to the DLQ for an outage',
    );
    await redis.del(setKey);
  });
});

describe('StreamConsumer in a group of two', () => {
  it('loses no message across a rebalance, and commits a partition only while it owns it', async () => {
    const topic = await createTopic(6);
    const groupId = uniqueId('pair');
    const total = 1800;
    await produce(
      topic,
      Array.from({ length: total }, (_, index) => item(`r-${index}`, index % 6)),
    );
    const processed = new Set<string>();
    const foreignCommits: string[] = [];
    const make = (name: string) => {
      const consumer: StreamConsumer<Item> = consumerOf(
        topic,
        async (messages) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          for (const message of messages) processed.add(message.value.id);
          return messages.map(() => ok);
        },
        {
          groupId,
          maxHandlerBatch: 20,
          observer: {
            committed: (partition) => {
              if (!consumer.assignedPartitions().has(partition)) foreignCommits.push(`${name}:${partition}`);
            },
          },
        },
      );
      return consumer;
    };
    const first = make('first');
    await first.start();
    await waitFor('the first member under way', () => processed.size >= 100, 30_000);
    const second = make('second');
    await second.start();
    await waitFor(
      'both members own partitions',
      () => first.assignedPartitions().size > 0 && second.assignedPartitions().size > 0,
      30_000,
    );
    await waitFor(`all ${total} processed (have ${processed.size})`, () => processed.size === total, 60_000);
    await waitFor('committed to the end', () => allCommitted(groupId, topic), 30_000);
    assert.deepEqual(foreignCommits, []);
    assert.equal(first.assignedPartitions().size + second.assignedPartitions().size, 6);
  });

  it('shares the watermark: time T is not passed while one partition is held back, and is once it catches up or reaches its end', async () => {
    const topic = await createTopic(4);
    const groupId = uniqueId('watermark');
    const redis = createRedis(REDIS_URL, quietLogger);
    connectRedis(redis);
    await waitFor('redis', () => redis.isReady);
    const store = new Watermark(redis, groupId, topic);
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    const handler: BatchHandler<Item> = async (messages, source) => {
      if (source.partition === 3) await held;
      return messages.map(() => ok);
    };
    const options = { groupId, watermark: { store, eventTimeOf: (value: Item) => value.t } };
    const first = consumerOf(topic, handler, options);
    const second = consumerOf(topic, handler, options);
    try {
      await Promise.all([first.start(), second.start()]);
      await waitFor(
        'both members own partitions',
        () =>
          first.assignedPartitions().size > 0 &&
          second.assignedPartitions().size > 0 &&
          first.assignedPartitions().size + second.assignedPartitions().size === 4,
        30_000,
      );
      // Ahead of the wall clock (within the grace, or the marks would be capped below it), so the
      // end marks of idle partitions (wall-clock times minus the grace) cannot vouch for it.
      const T = Date.now() + 1000;
      await produce(topic, [item('a', 0, T + 10), item('b', 1, T + 20), item('c', 2, T + 30), item('held', 3, T + 40)]);
      await waitFor('partitions 0-2 past T', async () => {
        const marks = await store.marks();
        return [0, 1, 2].every((partition) => (marks.get(partition)?.eventTimeMs ?? 0) >= T);
      });
      for (let check = 0; check < 5; check++) {
        assert.equal(await store.passed(T, 4), false, 'T must not pass while partition 3 is held back');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      releaseHeld();
      await waitFor('T passed once partition 3 caught up', () => store.passed(T, 4), 20_000);

      const now = Date.now();
      await waitFor('an idle group passes the present through end marks', () => store.passed(now, 4), 20_000);
    } finally {
      releaseHeld();
      await Promise.all([first.stop(), second.stop()]);
      await store.clear();
      await closeRedis(redis);
    }
  });
});
