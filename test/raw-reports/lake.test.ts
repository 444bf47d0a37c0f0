import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeRedis, createLogger, createRedis, type RedisClient } from '@mmp/common';
import { placeRow, type PlacedRow } from '@mmp/raw-reports/dist/domain/raw-row';
import { EventIdIndex } from '@mmp/raw-reports/dist/store/event-id-index';
import { FsRawStore } from '@mmp/raw-reports/dist/store/fs-raw-store';
import { RawLake } from '@mmp/raw-reports/dist/store/raw-lake';
import { REDIS_URL, uniqueId } from '../support/infra';
import { attributed, lakeLines, newLakeRoot } from './raw-reports-harness';

const logger = createLogger('test', 'silent');
const NOW = Date.parse('2026-11-22T12:00:00.000Z');

function clickRows(appId: string, times: string[]): PlacedRow[] {
  return times.map((time) => {
    const placement = placeRow(attributed(appId, 'click', time) as never);
    assert.equal(placement.kind, 'row');
    return (placement as { placed: PlacedRow }).placed;
  });
}

async function readAll(lake: RawLake, appId: string, days: string[]): Promise<string[]> {
  const ids: string[] = [];
  for await (const block of lake.read(appId, 'clicks', days)) ids.push(...block.map((line) => line.eventId));
  return ids;
}

describe('RawLake on the file system with the Redis index', () => {
  const redis: RedisClient = createRedis(REDIS_URL, logger);
  const ready = redis.connect();
  after(() => closeRedis(redis));

  const newLake = (root = newLakeRoot(), prefix = `test:${uniqueId('lake')}`, retentionDays = 30) =>
    new RawLake(new FsRawStore(root), new EventIdIndex(redis, prefix, 3600), {
      retentionDays,
      compactMinSegments: 4,
      logger,
      now: () => NOW,
    });
  const source = (first: number) => ({
    topic: 'events.attributed.v1',
    partition: 0,
    firstOffset: String(first),
    lastOffset: String(first + 9),
  });

  it('writes an event_id once across redelivered slices, and a second instance on the same root and index agrees', async () => {
    await ready;
    const root = newLakeRoot();
    const prefix = `test:${uniqueId('lake')}`;
    const appId = uniqueId('com.lake');
    const rows = clickRows(appId, ['2026-11-22T10:00:00.000Z', '2026-11-22T09:00:00.000Z', '2026-11-21T23:59:59.999Z']);
    const one = newLake(root, prefix);
    const two = newLake(root, prefix);
    assert.deepEqual(await one.write(source(0), rows), { written: 3, duplicates: 0, expired: 0 });
    assert.deepEqual(await one.write(source(0), rows), { written: 0, duplicates: 3, expired: 0 });
    assert.deepEqual(await two.write(source(100), [...rows, ...rows]), { written: 0, duplicates: 6, expired: 0 });
    assert.equal(lakeLines(root, appId, 'clicks').length, 3);
    assert.deepEqual(await readAll(two, appId, ['2026-11-21', '2026-11-22']), [
      rows[2].eventId,
      rows[1].eventId,
      rows[0].eventId,
    ]);
  });

  it('reads each event once even when a crash left it in two segments, and compaction leaves one segment with one copy', async () => {
    await ready;
    const root = newLakeRoot();
    const appId = uniqueId('com.lake');
    const rows = clickRows(
      appId,
      Array.from({ length: 3000 }, (_, at) => new Date(Date.parse('2026-11-22T00:00:00.000Z') + at * 1000).toISOString()),
    );
    // Each slice on its own index: as if the process died after its segment and before indexing it.
    for (let slice = 0; slice < 5; slice++) await newLake(root).write(source(slice * 10), rows.slice(0, 600 * (slice + 1)));
    assert.equal(lakeLines(root, appId, 'clicks').length, 600 + 1200 + 1800 + 2400 + 3000);
    const lake = newLake(root);
    const expected = rows.map((row) => row.eventId);
    assert.deepEqual(await readAll(lake, appId, ['2026-11-22']), expected);

    // A reader that opened the day before compaction still reads it whole.
    const early = lake.read(appId, 'clicks', ['2026-11-22']);
    const first = ((await early.next()).value ?? []) as { eventId: string }[];
    assert.ok(first.length > 0 && first.length < rows.length, 'the reader is mid-day when compaction runs');
    assert.equal(await lake.compact({ appId, kind: 'clicks', day: '2026-11-22' }), 5);
    const rest: string[] = [];
    for await (const block of early) rest.push(...block.map((line) => line.eventId));
    assert.deepEqual([...first.map((line) => line.eventId), ...rest], expected);

    assert.equal(lakeLines(root, appId, 'clicks').length, 3000);
    assert.deepEqual(await readAll(lake, appId, ['2026-11-22']), expected);
  });

  it('deletes days past retention and does not write rows for them', async () => {
    await ready;
    const root = newLakeRoot();
    const appId = uniqueId('com.lake');
    const lake = newLake(root, undefined, 2);
    const kept = clickRows(appId, ['2026-11-20T00:00:00.000Z', '2026-11-22T00:00:00.000Z']);
    assert.equal((await lake.write(source(0), kept)).written, 2);
    assert.equal((await lake.write(source(10), clickRows(appId, ['2026-11-19T23:59:59.999Z']))).expired, 1);
    const later = new RawLake(new FsRawStore(root), new EventIdIndex(redis, `test:${uniqueId('lake')}`, 3600), {
      retentionDays: 2,
      compactMinSegments: 4,
      logger,
      now: () => NOW + 86_400_000,
    });
    assert.equal((await later.maintain()).expiredDays, 1);
    assert.deepEqual(await new FsRawStore(root).days(appId, 'clicks'), ['2026-11-22']);
  });
});
