import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import {
  closeRedis,
  connectRedis,
  createRedis,
  jsonDecoder,
  Metrics,
  ok,
  replayFrom,
  StreamConsumer,
  Watermark,
  type RedisClient,
} from '@mmp/common';
import { REDIS_URL, uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, endOffsets, produce, quietLogger, testClient } from '../support/kafka';
import { statsdValue } from '../support/statsd';

const itemSchema = z.strictObject({ id: z.string(), t: z.number().int() });
type Item = z.infer<typeof itemSchema>;

let redis: RedisClient;
const stores: Watermark[] = [];
before(async () => {
  redis = createRedis(REDIS_URL, quietLogger);
  connectRedis(redis);
  await waitFor('redis', () => redis.isReady);
});
after(async () => {
  await Promise.allSettled(stores.map((store) => store.clear()));
  await closeRedis(redis);
});

const NOW = Date.UTC(2026, 10, 22, 10);
function storeOf(options: { ttlMs?: number; clock?: () => number; groupId?: string; topic?: string } = {}): Watermark {
  const store = new Watermark(
    redis,
    options.groupId ?? uniqueId('wm-group'),
    options.topic ?? uniqueId('wm-topic'),
    options.ttlMs,
    2000,
    options.clock ?? (() => NOW),
  );
  stores.push(store);
  return store;
}

describe('Watermark in Redis: the merge script', () => {
  it('moves each time forward only, per partition, and keeps the other time', async () => {
    const store = storeOf();
    await store.record(0, NOW - 5000, null);
    await store.record(0, NOW - 9000, null);
    await store.record(1, null, NOW - 1000);
    await store.record(1, NOW - 7000, NOW - 3000);
    const marks = await store.marks();
    assert.deepEqual(marks.get(0), { eventTimeMs: NOW - 5000, endMs: null });
    assert.deepEqual(marks.get(1), { eventTimeMs: NOW - 7000, endMs: NOW - 1000 });
    assert.equal(await redis.hGet(store.key, '0'), `${NOW - 5000},-1`, 'the stored form other instances read');
  });

  it("keeps no mark beyond the writer's clock plus the grace, and pulls down one written before that rule", async () => {
    const store = storeOf();
    await store.record(0, NOW + 3_600_000, null);
    assert.equal((await store.marks()).get(0)?.eventTimeMs, NOW + 2000);
    await redis.hSet(store.key, '1', `${NOW + 86_400_000},-1`);
    await store.record(1, NOW - 10, null);
    assert.equal((await store.marks()).get(1)?.eventTimeMs, NOW + 2000, 'a far-future mark does not pin its partition');
    assert.equal(await store.passed(NOW + 2001, 2), false);
    assert.equal(await store.passed(NOW + 2000, 2), true);
  });
});

describe('Watermark in Redis: expiry and replay', () => {
  it('the hash expires after the TTL without writes, and every write starts the TTL again', async () => {
    const store = storeOf({ ttlMs: 1500 });
    await store.record(0, NOW, null);
    const ttl = await redis.pTTL(store.key);
    assert.ok(ttl > 0 && ttl <= 1500, `PTTL ${ttl}`);
    await waitFor('TTL running down', async () => (await redis.pTTL(store.key)) < 1000);
    await store.record(1, NOW, null);
    assert.ok((await redis.pTTL(store.key)) > 1000, 'a write starts the TTL again');
    await waitFor('the hash expired', async () => (await redis.exists(store.key)) === 0, 5000);
    assert.equal((await store.marks()).size, 0);
  });

  it('rewind takes every mark back to just before the time, and leaves older ones as they were', async () => {
    const store = storeOf();
    await store.record(0, NOW - 1000, NOW);
    await store.record(1, NOW - 60_000, null);
    await store.record(2, null, NOW - 30_000);
    assert.equal(await store.rewind(NOW - 10_000), 3);
    const marks = await store.marks();
    assert.deepEqual(marks.get(0), { eventTimeMs: NOW - 10_001, endMs: NOW - 10_001 });
    assert.deepEqual(marks.get(1), { eventTimeMs: NOW - 60_000, endMs: null });
    assert.deepEqual(marks.get(2), { eventTimeMs: null, endMs: NOW - 30_000 });
  });

  it('replayFrom moves the marks back with the offsets; the group passes the time again only after reading it again', async () => {
    const topic = await createTopic(2);
    const groupId = uniqueId('wm-replay');
    const store = storeOf({ groupId, topic, clock: Date.now });
    const now = Date.now();
    const T = now - 30_000;
    // Event times at T and later; the Kafka timestamp (what replay seeks by) follows them.
    const records = [0, 1, 2, 3].map((index) => ({
      key: `e-${index}`,
      value: JSON.stringify({ id: `e-${index}`, t: T + index * 1000 }),
      partition: index % 2,
      timestamp: T + index * 1000,
    }));
    await produce(topic, records);
    let handled = 0;
    const makeConsumer = () =>
      new StreamConsumer<Item>({
        client: testClient(),
        groupId,
        topic,
        decoder: jsonDecoder(itemSchema),
        logger: quietLogger,
        lagIntervalMs: 300,
        watermark: { store, eventTimeOf: (value) => value.t },
        handler: async (messages) => ((handled += messages.length), messages.map(() => ok)),
      });
    const first = makeConsumer();
    await first.start();
    try {
      await waitFor('T + 2 s passed on both partitions', () => store.passed(T + 2000, 2), 20_000);
    } finally {
      await first.stop();
    }
    const ends = await endOffsets(topic);
    await waitFor('committed to the end', async () => {
      const committed = await committedOffsets(groupId, topic);
      return [...ends].every(([partition, end]) => committed.get(partition) === end);
    });

    const admin = testClient().admin();
    await admin.connect();
    try {
      const offsets = await replayFrom(admin, groupId, topic, T, store);
      assert.deepEqual(offsets, [
        { partition: 0, offset: '0' },
        { partition: 1, offset: '0' },
      ]);
    } finally {
      await admin.disconnect();
    }
    const marks = await store.marks();
    for (const partition of [0, 1]) {
      const mark = marks.get(partition)!;
      assert.ok(
        (mark.eventTimeMs ?? -1) < T && (mark.endMs ?? -1) < T,
        `partition ${partition} rewound: ${JSON.stringify(mark)}`,
      );
    }
    assert.equal(await store.passed(T, 2), false, 'replayed events are not decidable at once');

    const second = makeConsumer();
    handled = 0;
    await second.start();
    try {
      await waitFor('read again', () => handled === 4, 20_000);
      await waitFor('T + 2 s passed again', () => store.passed(T + 2000, 2), 20_000);
    } finally {
      await second.stop();
    }
  });

  it('end marks of idle partitions lag the wall clock by the grace (sound under that clock skew), and the lag is a gauge', async () => {
    const topic = await createTopic(2);
    const groupId = uniqueId('wm-gauge');
    const store = storeOf({ groupId, topic, clock: Date.now });
    const metrics = new Metrics({ service: 'test', host: '127.0.0.1', port: 8125, logger: quietLogger });
    const consumer = new StreamConsumer<Item>({
      client: testClient(),
      groupId,
      topic,
      decoder: jsonDecoder(itemSchema),
      logger: quietLogger,
      metrics,
      lagIntervalMs: 300,
      watermark: { store, eventTimeOf: (value) => value.t },
      handler: async (messages) => messages.map(() => ok),
    });
    await consumer.start();
    try {
      const lag = await waitFor('the watermark lag gauge', () =>
        statsdValue('gauges', 'mmp.test.consumer.watermark_lag_ms', { group: groupId, topic }),
      );
      // Idle partitions: the mark is the last end check minus the grace, so about 2 s behind.
      assert.ok(lag >= 2000 && lag < 10_000, `watermark lag ${lag} ms`);
      // An event stamped by an ingest clock 2 s behind ours, still on its way, is not vouched for.
      const before = Date.now();
      const marks = await store.marks();
      for (const partition of [0, 1]) {
        const endMs = marks.get(partition)?.endMs;
        assert.ok(endMs !== null && endMs !== undefined && endMs <= before - 2000, `end mark ${endMs} vs ${before}`);
      }
    } finally {
      await consumer.stop();
      await metrics.close();
    }
  });
});
