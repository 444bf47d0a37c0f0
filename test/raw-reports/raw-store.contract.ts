import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { RawStore } from '@mmp/raw-reports/dist/store/raw-store';
import { linesOf } from '@mmp/raw-reports/dist/store/segment-merge';
import { uniqueId } from '../support/infra';

/**
 * What raw-reports needs of any RawStore, run against each implementation (the local file
 * system and an S3-compatible object store): the same suite, so a store that passes it keeps
 * the lake's guarantees (whole segments only, days in time order, retention by day, bounded
 * memory for large segments).
 */
export function rawStoreContract(newStore: () => Promise<RawStore> | RawStore): void {
  const folderOf = (appId: string, day = '2026-11-22') => ({ appId, kind: 'clicks' as const, day });

  async function readAll(store: RawStore, folder: ReturnType<typeof folderOf>, name: string): Promise<string[]> {
    const stream = await store.open(folder, name);
    assert.ok(stream, `${name} opens`);
    const lines: string[] = [];
    for await (const block of linesOf(stream)) lines.push(...block);
    return lines;
  }

  it('puts a segment whole and reads it back; lists, apps and days see it', async () => {
    const store = await newStore();
    const appId = uniqueId('com.store');
    const folder = folderOf(appId);
    await store.put(folder, 'events.attributed.v1+3+10-12+x.jsonl', ['{"a":1}\n', '{"a":2}\n']);
    assert.deepEqual(await store.list(folder), ['events.attributed.v1+3+10-12+x.jsonl']);
    assert.deepEqual(await readAll(store, folder, 'events.attributed.v1+3+10-12+x.jsonl'), ['{"a":1}', '{"a":2}']);
    assert.ok((await store.apps()).includes(appId));
    assert.deepEqual(await store.days(appId, 'clicks'), ['2026-11-22']);
    assert.deepEqual(await store.days(appId, 'installs'), []);
    assert.deepEqual(await store.list(folderOf(appId, '2026-11-23')), []);
    assert.equal(await store.open(folder, 'missing.jsonl'), undefined);
  });

  it('lists segments by name and days in time order, across months and years', async () => {
    const store = await newStore();
    const appId = uniqueId('com.store');
    for (const day of ['2027-01-02', '2026-12-31', '2026-02-28', '2026-11-09'])
      for (const name of ['b.jsonl', 'a.jsonl']) await store.put(folderOf(appId, day), name, [`${day}\n`]);
    assert.deepEqual(await store.days(appId, 'clicks'), ['2026-02-28', '2026-11-09', '2026-12-31', '2027-01-02']);
    assert.deepEqual(await store.list(folderOf(appId, '2026-12-31')), ['a.jsonl', 'b.jsonl']);
  });

  it('never shows a segment whose writer failed half way', async () => {
    const store = await newStore();
    const folder = folderOf(uniqueId('com.store'));
    async function* dying() {
      yield '{"first":1}\n'.repeat(50_000);
      throw new Error('the writer died');
    }
    await assert.rejects(store.put(folder, 'half.jsonl', dying()), /the writer died/);
    assert.deepEqual(await store.list(folder), []);
    assert.equal(await store.open(folder, 'half.jsonl'), undefined);
  });

  it('writes and streams back a segment far larger than its buffers, line for line', async () => {
    const store = await newStore();
    const folder = folderOf(uniqueId('com.store'));
    const lines = 120_000;
    const row = (i: number) => `{"event_id":"ev_${i.toString().padStart(9, '0')}","pad":"${'x'.repeat(150)}"}\n`;
    function* rows() {
      for (let i = 0; i < lines; i++) yield row(i);
    }
    await store.put(folder, 'big.jsonl', rows()); // about 20 MB: several upload parts
    const stream = await store.open(folder, 'big.jsonl');
    let count = 0;
    let last = '';
    for await (const block of linesOf(stream!)) {
      count += block.length;
      last = block[block.length - 1] ?? last;
    }
    assert.equal(count, lines);
    assert.equal(`${last}\n`, row(lines - 1));
  });

  it('holds many segments of a day open at once, as an export does, and reads them all', async () => {
    const store = await newStore();
    const folder = folderOf(uniqueId('com.store'));
    const count = 120;
    for (let at = 0; at < count; at += 20)
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.put(folder, `s${String(at + i).padStart(3, '0')}.jsonl`, [`{"n":${at + i}}\n`]),
        ),
      );
    // Every open before any read: a store that holds a connection per open body must not run out of them.
    const opening = (async () => {
      const streams = await Promise.all((await store.list(folder)).map((name) => store.open(folder, name)));
      const values: string[] = [];
      for (const stream of streams) for await (const block of linesOf(stream!)) values.push(...block);
      return values;
    })();
    const stuck = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('stuck holding segments open')), 30_000).unref(),
    );
    const values = await Promise.race([opening, stuck]);
    assert.equal(values.length, count);
  });

  it('removes segments (a missing one is no error) and whole days', async () => {
    const store = await newStore();
    const appId = uniqueId('com.store');
    const folder = folderOf(appId);
    await store.put(folder, 'a.jsonl', ['x\n']);
    await store.put(folder, 'b.jsonl', ['y\n']);
    await store.remove(folder, ['a.jsonl', 'never-written.jsonl']);
    assert.deepEqual(await store.list(folder), ['b.jsonl']);
    await store.put(folderOf(appId, '2026-11-23'), 'c.jsonl', ['z\n']);
    await store.removeDay(folder);
    assert.deepEqual(await store.days(appId, 'clicks'), ['2026-11-23']);
    await store.put(folder, 'd.jsonl', ['w\n']);
    assert.deepEqual(await store.list(folder), ['d.jsonl']);
  });

  it('refuses app ids, days and names that could leave the lake', async () => {
    const store = await newStore();
    const folder = folderOf(uniqueId('com.store'));
    for (const appId of ['..', '../x', '.hidden', 'a/b', 'a\\b', ''])
      await assert.rejects(store.put({ ...folder, appId }, 'a.jsonl', ['x\n']), /not a lake folder|outside/);
    await assert.rejects(store.put({ ...folder, day: '../../x' }, 'a.jsonl', ['x\n']), /not a day/);
    await assert.rejects(store.put(folder, '../a.jsonl', ['x\n']), /not a segment name/);
  });
}
