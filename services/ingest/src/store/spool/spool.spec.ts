import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Spool, SpoolFullError } from './spool';

describe('Spool', () => {
  const dirs: string[] = [];
  const freshDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spool-spec-'));
    dirs.push(dir);
    return dir;
  };
  const records = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps batches across a reopen until they are delivered, in order', async () => {
    const dir = await freshDir();
    const spool = await Spool.open(dir, { maxBytes: 1 << 20 });
    const [a, b, c] = await Promise.all([
      spool.append(records('a', 2)),
      spool.append(records('b', 3)),
      spool.append(records('c', 1)),
    ]);
    assert.deepEqual(await spool.read(b), records('b', 3));
    await spool.markDelivered([a]);
    await spool.close();

    const reopened = await Spool.open(dir, { maxBytes: 1 << 20 });
    assert.deepEqual(
      reopened.peek().map((batch) => batch.id),
      [b.id, c.id],
    );
    assert.equal(reopened.waitingEvents, 4);
    assert.deepEqual(await reopened.read(reopened.peek()[1]), records('c', 1));
    await reopened.markDelivered([...reopened.peek()]);
    assert.equal(reopened.empty, true);
    assert.deepEqual(await readdir(dir), []);
  });

  it('refuses appends past its size limit', async () => {
    const spool = await Spool.open(await freshDir(), { maxBytes: 4096 });
    await spool.append(records('x', 10));
    await assert.rejects(spool.append(records('y'.repeat(500), 10)), SpoolFullError);
    assert.equal(spool.waitingBatches, 1);
    await spool.close();
  });

  it('rolls segments and deletes the delivered ones from the oldest on', async () => {
    const dir = await freshDir();
    // One frame per segment makes the files easy to follow.
    const spool = await Spool.open(dir, { maxBytes: 1 << 20, segmentBytes: 1 });
    const batches = [];
    for (let i = 0; i < 5; i++) batches.push(await spool.append(records(`s${i}`, 3)));
    const segments = await readdir(dir);
    assert.equal(segments.length, 5);
    await spool.markDelivered([batches[1]]);
    assert.equal((await readdir(dir)).length, 6, 'a delivered segment behind an undelivered one stays; the mark takes a segment');
    await spool.markDelivered([batches[0]]);
    const left = await readdir(dir);
    assert.ok(!left.includes(segments[0]) && !left.includes(segments[1]) && left.includes(segments[2]), left.join());
    await spool.markDelivered(batches.slice(2));
    assert.deepEqual(await readdir(dir), []);
    await spool.close();
  });

  it('ignores a torn frame at the end of a segment', async () => {
    const dir = await freshDir();
    const spool = await Spool.open(dir, { maxBytes: 1 << 20 });
    const kept = await spool.append(records('kept', 2));
    await spool.close();
    const [segment] = await readdir(dir);
    await appendFile(join(dir, segment), Buffer.from([0x53, 0x46, 1, 0, 0, 0, 99]));
    const reopened = await Spool.open(dir, { maxBytes: 1 << 20 });
    assert.deepEqual(
      reopened.peek().map((batch) => batch.id),
      [kept.id],
    );
    assert.equal(reopened.skippedBytes, 7);
    await reopened.append(records('after', 1));
    assert.equal(reopened.waitingBatches, 2);
    await reopened.close();
  });

  it('holds and delivers 200,000 waiting batches, and reopens with them (no spread of a huge list)', async () => {
    const dir = await freshDir();
    const spool = await Spool.open(dir, { maxBytes: 1 << 30 });
    const total = 200_000;
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) appends.push(spool.append([{ key: 'k', value: String(i) }]));
    await Promise.all(appends);
    assert.equal(spool.waitingBatches, total);
    await spool.markDelivered(spool.peek().slice(0, 1));
    assert.equal(spool.waitingBatches, total - 1);
    await spool.close();

    const reopened = await Spool.open(dir, { maxBytes: 1 << 30 });
    assert.equal(reopened.waitingBatches, total - 1);
    assert.deepEqual(await reopened.read(reopened.peek()[0]), [{ key: 'k', value: '1' }]);
    let delivered = 0;
    for (;;) {
      const head = reopened.peek(5000);
      if (head.length === 0) break;
      await reopened.markDelivered(head);
      delivered += head.length;
    }
    assert.equal(delivered, total - 1);
    assert.equal(reopened.empty, true);
    await reopened.close();
  });

  it('never sends a delivered batch again after a restart, even when an append kept its segment', async () => {
    const dir = await freshDir();
    const spool = await Spool.open(dir, { maxBytes: 1 << 20 });
    const [a, b] = await Promise.all([spool.append(records('a', 1)), spool.append(records('b', 1))]);
    // The last waiting batches are delivered while another append is queued for the same segment.
    const [, c] = await Promise.all([spool.markDelivered([a, b]), spool.append(records('c', 1))]);
    await spool.close();

    const reopened = await Spool.open(dir, { maxBytes: 1 << 20 });
    assert.deepEqual(
      reopened.peek().map((batch) => batch.id),
      [c.id],
    );
    await reopened.close();
  });

  it('skips batches delivered out of order and keeps the rest in order', async () => {
    const spool = await Spool.open(await freshDir(), { maxBytes: 1 << 20 });
    const batches = [];
    for (let i = 0; i < 5; i++) batches.push(await spool.append(records(`o${i}`, 2)));
    await spool.markDelivered([batches[1], batches[3]]);
    assert.deepEqual(
      spool.peek().map((batch) => batch.id),
      [batches[0].id, batches[2].id, batches[4].id],
    );
    assert.equal(spool.waitingEvents, 6);
    await spool.markDelivered([batches[1]]);
    assert.equal(spool.waitingBatches, 3, 'a second mark of the same batch counts once');
    await spool.close();
  });
});
