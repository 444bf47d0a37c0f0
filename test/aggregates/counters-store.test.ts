import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeRedis, createRedis, type RedisClient } from '@mmp/common';
import type { CounterDelta } from '@mmp/aggregates/dist/domain/counting';
import { toMicros } from '@mmp/aggregates/dist/domain/micros';
import { CountersStore } from '@mmp/aggregates/dist/store/counters.store';
import { REDIS_URL, uniqueId } from '../support/infra';
import { quietLogger } from '../support/kafka';

const today = new Date().toISOString().slice(0, 10);
const delta = (eventId: string, overrides: Partial<CounterDelta> = {}): CounterDelta => ({
  appId: 'com.store.test',
  eventId,
  day: today,
  mediaSource: 'fb',
  campaign: 'winter',
  metric: 'clicks',
  ...overrides,
});

describe('CountersStore over the real Redis', () => {
  let redis: RedisClient;
  let other: RedisClient;
  let prefix: string;
  let store: CountersStore;

  before(async () => {
    redis = createRedis(REDIS_URL, quietLogger);
    other = createRedis(REDIS_URL, quietLogger);
    await Promise.all([redis.connect(), other.connect()]);
    prefix = uniqueId('test:agg');
    store = new CountersStore(redis, { prefix, countedIdsRetentionDays: 45, countersRetentionDays: 400 });
  });

  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(keys);
    await Promise.all([closeRedis(redis), closeRedis(other)]);
  });

  it('adds each metric to its cell and revenue exactly, per currency', async () => {
    const appId = 'com.store.metrics';
    const deltas = [
      delta('e-imp-0001', { appId, metric: 'impressions' }),
      delta('e-clk-0001', { appId, metric: 'clicks' }),
      delta('e-clk-0002', { appId, metric: 'clicks' }),
      delta('e-ins-0001', { appId, metric: 'installs' }),
      delta('e-org-0001', { appId, metric: 'installs', mediaSource: 'organic', campaign: null }),
      ...Array.from({ length: 10 }, (_, index) =>
        delta(`e-iae-${String(index).padStart(4, '0')}`, {
          appId,
          metric: 'in_app_events',
          revenue: { currency: 'USD', micros: toMicros(0.1) },
        }),
      ),
      delta('e-ref-0001', { appId, metric: 'in_app_events', revenue: { currency: 'EUR', micros: toMicros(-2.5) } }),
      delta('e-eur-0001', { appId, metric: 'in_app_events', revenue: { currency: 'EUR', micros: toMicros(0.000001) } }),
    ];
    assert.equal(await store.count(appId, deltas), deltas.length);
    const cells = await store.cells(appId, [today]);
    const byField = new Map(cells.map((cell) => [`${cell.mediaSource}|${cell.campaign}`, cell]));
    assert.deepEqual(byField.get('fb|winter')?.counts, { impressions: 1, clicks: 2, installs: 1, in_app_events: 12 });
    assert.deepEqual([...byField.get('fb|winter')!.revenue].sort(), [
      ['EUR', -2_499_999n],
      ['USD', 1_000_000n],
    ]);
    assert.deepEqual(byField.get('organic|null')?.counts, { impressions: 0, clicks: 0, installs: 1, in_app_events: 0 });
    assert.equal(cells.length, 2);
    assert.ok((await redis.ttl(store.cellsKey(appId, today))) > 399 * 86_400);
    assert.ok((await redis.ttl(store.countedIdsKey(appId, today))) > 44 * 86_400);
  });

  it('counts a redelivered event_id once, even when two instances run the same events at the same time', async () => {
    const appId = 'com.store.twice';
    const deltas = Array.from({ length: 1000 }, (_, index) =>
      delta(`e-dup-${index}xxxx`, { appId, metric: 'in_app_events', revenue: { currency: 'USD', micros: 1_234_567n } }),
    );
    const twin = new CountersStore(other, { prefix, countedIdsRetentionDays: 45, countersRetentionDays: 400 });
    const [first, second] = await Promise.all([store.count(appId, deltas), twin.count(appId, [...deltas].reverse())]);
    assert.equal(first + second, 1000);
    assert.equal(await store.count(appId, deltas.slice(0, 500)), 0);
    // The same id inside one batch counts once too.
    assert.equal(await store.count(appId, [delta('e-dup-new0000', { appId }), delta('e-dup-new0000', { appId })]), 1);
    const cells = await store.cells(appId, [today]);
    assert.equal(cells.length, 1);
    assert.deepEqual(cells[0].counts, { impressions: 0, clicks: 1, installs: 0, in_app_events: 1000 });
    assert.deepEqual([...cells[0].revenue], [['USD', 1_234_567_000n]]);
  });

  it('keeps every key of an app in one hash slot', () => {
    // Redis Cluster hashes only what sits between the first '{' and the next '}'.
    const hashTagOf = (key: string) => key.slice(key.indexOf('{') + 1, key.indexOf('}', key.indexOf('{') + 1));
    const keys = [
      store.cellsKey('com.a', '2026-01-01'),
      store.cellsKey('com.a', '2026-03-01'),
      store.countedIdsKey('com.a', '2026-02-01'),
    ];
    assert.deepEqual(keys.map(hashTagOf), ['com.a', 'com.a', 'com.a']);
    assert.equal(hashTagOf(store.cellsKey('com.b', '2026-01-01')), 'com.b');
  });

  it('reads a range of days in one call, and nothing for days without counts', async () => {
    const appId = 'com.store.range';
    await store.count(appId, [
      delta('e-range-0001', { appId, day: '2026-11-01' }),
      delta('e-range-0002', { appId, day: '2026-11-03' }),
    ]);
    const cells = await store.cells(appId, ['2026-11-01', '2026-11-02', '2026-11-03']);
    assert.deepEqual(
      cells.map((cell) => cell.day),
      ['2026-11-01', '2026-11-03'],
    );
    assert.equal(store.isWithinRetention('2026-11-01', Date.parse('2026-12-14T00:00:00Z')), true);
    assert.equal(store.isWithinRetention('2026-11-01', Date.parse('2026-12-16T00:00:00Z')), false);
  });
});
