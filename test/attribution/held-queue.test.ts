import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  closeRedis,
  connectRedis,
  createRedis,
  HeldDrainer,
  HeldQueue,
  Watermark,
  type HeldDrainerOptions,
  type HeldItem,
  type RedisClient,
} from '@mmp/common';
import { REDIS_URL, uniqueId, waitFor } from '../support/infra';
import { quietLogger } from '../support/kafka';

const PARTITIONS = 3;
const GRACE = 2000;
const T0 = Date.parse('2026-11-22T10:00:00.000Z');

let redis: RedisClient;

before(async () => {
  redis = createRedis(REDIS_URL, quietLogger);
  connectRedis(redis);
  await waitFor('redis', () => redis.isReady);
});

after(async () => {
  await closeRedis(redis);
});

const item = (id: string, atMs: number, payload = `payload-${id}`): HeldItem => ({ id, atMs, payload });

/** A fresh queue and watermark under a group of their own. */
function fixture() {
  const groupId = uniqueId('held');
  const topic = 'events.raw.v1';
  return { groupId, queue: new HeldQueue(redis, groupId, topic), watermark: new Watermark(redis, groupId, topic) };
}

/** Every partition has consumed events up to `eventTimeMs`. */
async function advance(watermark: Watermark, eventTimeMs: number): Promise<void> {
  for (let partition = 0; partition < PARTITIONS; partition++) await watermark.record(partition, eventTimeMs, null);
}

function drainer(
  parts: ReturnType<typeof fixture>,
  handle: HeldDrainerOptions['handle'],
  overrides: Partial<HeldDrainerOptions> = {},
): HeldDrainer {
  return new HeldDrainer({
    queue: parts.queue,
    watermark: parts.watermark,
    partitionCount: PARTITIONS,
    graceMs: GRACE,
    owner: uniqueId('member'),
    ownedPartitions: () => [0, 1, 2],
    handle,
    logger: quietLogger,
    intervalMs: 50,
    ...overrides,
  });
}

describe('HeldQueue', () => {
  it('parks the same id twice as one item, keeping its first time and payload', async () => {
    const { queue } = fixture();
    await queue.park(0, [item('event-a', T0, 'first')]);
    await queue.park(0, [item('event-a', T0 + 5000, 'second'), item('event-b', T0 + 1)]);
    assert.deepEqual(await queue.due(0, T0 + 10_000, 100), [item('event-a', T0, 'first'), item('event-b', T0 + 1)]);
    assert.deepEqual(await queue.stats(0), { count: 2, oldestMs: T0 });
  });

  it('hands due items in time order, ties by id, up to the time and the limit, without removing them', async () => {
    const { queue } = fixture();
    await queue.park(1, [item('c', T0 + 20), item('b', T0 + 10), item('a', T0 + 10), item('d', T0 + 30)]);
    assert.deepEqual(
      (await queue.due(1, T0 + 20, 100)).map((held) => held.id),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      (await queue.due(1, T0 + 100, 2)).map((held) => held.id),
      ['a', 'b'],
    );
    assert.equal((await queue.due(1, T0 + 100, 100)).length, 4);
    assert.deepEqual(await queue.due(2, T0 + 100, 100), [], 'queues are per partition');
  });

  it('removes only the ids it is given', async () => {
    const { queue } = fixture();
    await queue.park(0, [item('a', T0), item('b', T0 + 1), item('c', T0 + 2)]);
    await queue.remove(0, ['a', 'c']);
    assert.deepEqual(await queue.due(0, T0 + 100, 100), [item('b', T0 + 1)]);
    assert.deepEqual(await queue.stats(0), { count: 1, oldestMs: T0 + 1 });
  });

  it('keeps both keys of a partition under one hash tag (one Cluster slot), and partitions apart', () => {
    const { queue } = fixture();
    const tagOf = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);
    const zero = Object.values(queue.keysOf(0)).map(tagOf);
    assert.equal(new Set(zero).size, 1);
    assert.notEqual(tagOf(queue.keysOf(1).order), zero[0]);
  });

  it('leases a partition to one member at a time, until released or expired', async () => {
    const { queue } = fixture();
    assert.equal(await queue.lease(0, 'member-a', 10_000), true);
    assert.equal(await queue.lease(0, 'member-b', 10_000), false);
    assert.equal(await queue.lease(0, 'member-a', 10_000), true, 'the holder extends it');
    assert.equal(await queue.lease(1, 'member-b', 10_000), true, 'leases are per partition');
    await queue.release(0, 'member-b');
    assert.equal(await queue.lease(0, 'member-b', 10_000), false, 'only the holder releases');
    await queue.release(0, 'member-a');
    assert.equal(await queue.lease(0, 'member-b', 300), true);
    await waitFor('the lease to expire', async () => queue.lease(0, 'member-a', 10_000), 5000, 50);
  });
});

describe('HeldDrainer', () => {
  it('does nothing until every partition has passed the item time plus the grace, then drains in time order', async () => {
    const parts = fixture();
    await parts.queue.park(0, [item('late', T0 + 500), item('early', T0)]);
    await parts.queue.park(2, [item('other', T0 + 100)]);
    const handled: string[][] = [];
    const drain = drainer(parts, async (partition, items) => {
      handled.push([String(partition), ...items.map((held) => held.id)]);
    });

    assert.equal(await drain.drainOnce(), 0, 'no watermark yet');
    await advance(parts.watermark, T0 + GRACE - 1);
    await parts.watermark.record(1, T0 + 60_000, null);
    assert.equal(await drain.drainOnce(), 0, '1 ms short of the grace on partitions 0 and 2');

    await advance(parts.watermark, T0 + GRACE);
    assert.equal(await drain.drainOnce(), 1, 'exactly the grace after the first item');
    assert.deepEqual(handled, [['0', 'early']]);

    // One partition idle at its end counts as passed.
    await parts.watermark.record(0, null, T0 + GRACE + 500);
    await parts.watermark.record(1, null, T0 + GRACE + 500);
    await parts.watermark.record(2, T0 + GRACE + 500, null);
    assert.equal(await drain.drainOnce(), 2);
    assert.deepEqual(handled.slice(1).sort(), [
      ['0', 'late'],
      ['2', 'other'],
    ]);
    assert.deepEqual(await parts.queue.stats(0), { count: 0, oldestMs: null });
  });

  it('removes an item only after its work succeeded: a failure hands the same items again', async () => {
    const parts = fixture();
    await parts.queue.park(0, [item('a', T0), item('b', T0 + 1)]);
    await advance(parts.watermark, T0 + 10_000);
    let failures = 1;
    const seen: string[][] = [];
    const drain = drainer(parts, async (_partition, items) => {
      seen.push(items.map((held) => held.id));
      if (failures-- > 0) throw new Error('kafka down');
    });
    assert.equal(await drain.drainOnce(), 0);
    assert.equal(drain.check().status, 'warning');
    assert.equal((await parts.queue.stats(0)).count, 2);
    assert.equal(await drain.drainOnce(), 2);
    assert.deepEqual(seen, [
      ['a', 'b'],
      ['a', 'b'],
    ]);
    assert.equal(drain.check().status, 'passing');
  });

  it('lets one member drain a partition while another holds its lease, and drains only owned partitions', async () => {
    const parts = fixture();
    await parts.queue.park(0, [item('zero', T0)]);
    await parts.queue.park(1, [item('one', T0)]);
    await advance(parts.watermark, T0 + 10_000);
    const byMember: Record<string, string[]> = { a: [], b: [] };
    const a = drainer(parts, async (_p, items) => void byMember.a.push(...items.map((held) => held.id)), {
      owner: 'member-a',
      ownedPartitions: () => [0],
    });
    const b = drainer(parts, async (_p, items) => void byMember.b.push(...items.map((held) => held.id)), {
      owner: 'member-b',
      // b still believes it owns 0 (a rebalance in progress): a's lease keeps it off.
      ownedPartitions: () => [0, 1],
    });
    await parts.queue.lease(0, 'member-a', 10_000);
    await Promise.all([a.drainOnce(), b.drainOnce()]);
    assert.deepEqual(byMember, { a: ['zero'], b: ['one'] });
  });

  it('gives back the lease of a partition it no longer owns', async () => {
    const parts = fixture();
    await advance(parts.watermark, T0);
    let owned = [0];
    const a = drainer(parts, async () => undefined, { owner: 'member-a', ownedPartitions: () => owned });
    await a.drainOnce();
    assert.equal(await parts.queue.lease(0, 'member-b', 10_000), false);
    owned = [];
    await a.drainOnce();
    assert.equal(await parts.queue.lease(0, 'member-b', 10_000), true);
  });

  it('runs on its own once started, and drains what is parked later; stop gives the leases back', async () => {
    const parts = fixture();
    await advance(parts.watermark, T0 + 10_000);
    const done: string[] = [];
    const drain = drainer(parts, async (_p, items) => void done.push(...items.map((held) => held.id)), { owner: 'member-a' });
    drain.start();
    try {
      await parts.queue.park(1, [item('x', T0)]);
      drain.kick();
      await waitFor('the parked item to be drained', () => done.includes('x'), 5000, 20);
      await parts.queue.park(1, [item('y', T0 + 8000)]);
      await waitFor('the second item', () => done.includes('y'), 5000, 20);
      assert.deepEqual(done, ['x', 'y']);
    } finally {
      await drain.stop();
    }
    assert.equal(await parts.queue.lease(1, 'member-b', 10_000), true);
  });
});
