import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FsRawStore } from './fs-raw-store';
import { linesOf } from './segment-merge';

const newRoot = () => mkdtempSync(join(tmpdir(), 'raw-store-spec-'));
const folder = { appId: 'com.example.game', kind: 'clicks' as const, day: '2026-11-22' };

async function readAll(store: FsRawStore, name: string): Promise<string[]> {
  const stream = await store.open(folder, name);
  assert.ok(stream);
  const lines: string[] = [];
  for await (const block of linesOf(stream)) lines.push(...block);
  return lines;
}

describe('FsRawStore', () => {
  it('lays segments out as <root>/<app_id>/<kind>/<yyyy>/<mm>/<dd>/ and reads them back', async () => {
    const root = newRoot();
    const store = new FsRawStore(root);
    await store.put(folder, 'events.attributed.v1+3+10-12+x.jsonl', ['{"a":1}\n', '{"a":2}\n']);
    assert.deepEqual(readdirSync(join(root, 'com.example.game', 'clicks', '2026', '11', '22')), [
      'events.attributed.v1+3+10-12+x.jsonl',
    ]);
    assert.deepEqual(await store.list(folder), ['events.attributed.v1+3+10-12+x.jsonl']);
    assert.deepEqual(await readAll(store, 'events.attributed.v1+3+10-12+x.jsonl'), ['{"a":1}', '{"a":2}']);
    assert.deepEqual(await store.apps(), ['com.example.game']);
    assert.deepEqual(await store.days('com.example.game', 'clicks'), ['2026-11-22']);
  });

  it('never lists a segment still being written, and sweeps those a dead writer left', async () => {
    const root = newRoot();
    const store = new FsRawStore(root);
    await store.put(folder, 'a.jsonl', ['x\n']);
    const path = join(root, 'com.example.game', 'clicks', '2026', '11', '22', '.aside-1-abc-b.jsonl');
    writeFileSync(path, '{"half":');
    assert.deepEqual(await store.list(folder), ['a.jsonl']);
    assert.equal(await store.sweepAbandoned(60_000), 0);
    utimesSync(path, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    assert.equal(await store.sweepAbandoned(60_000), 1);
    assert.deepEqual(readdirSync(join(root, 'com.example.game', 'clicks', '2026', '11', '22')), ['a.jsonl']);
  });

  it('keeps a segment readable once opened, even if it is removed', async () => {
    const store = new FsRawStore(newRoot());
    await store.put(folder, 'a.jsonl', ['{"a":1}\n']);
    const stream = await store.open(folder, 'a.jsonl');
    await store.remove(folder, ['a.jsonl']);
    assert.equal(await store.open(folder, 'a.jsonl'), undefined);
    const lines: string[] = [];
    for await (const block of linesOf(stream!)) lines.push(...block);
    assert.deepEqual(lines, ['{"a":1}']);
  });

  it('refuses app ids, days and names that could leave the root', async () => {
    const store = new FsRawStore(newRoot());
    for (const appId of ['..', '../x', '.hidden', 'a/b', 'a\\b', ''])
      await assert.rejects(store.put({ ...folder, appId }, 'a.jsonl', ['x\n']), /not a lake folder|outside/);
    await assert.rejects(store.put({ ...folder, day: '../../x' }, 'a.jsonl', ['x\n']), /not a day/);
    await assert.rejects(store.put(folder, '../a.jsonl', ['x\n']), /not a segment name/);
  });

  it('removes a whole day', async () => {
    const store = new FsRawStore(newRoot());
    await store.put(folder, 'a.jsonl', ['x\n']);
    await store.removeDay(folder);
    assert.deepEqual(await store.days('com.example.game', 'clicks'), []);
    await store.put(folder, 'b.jsonl', ['x\n']);
    assert.deepEqual(await store.list(folder), ['b.jsonl']);
  });
});
