import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLogger } from '@mmp/common';
import { Spool } from './spool';
import { SpoolDirectory } from './spool-directory';
import { LEASE_MS, SELF_FENCE_MS, type SpoolOwner } from './spool-owner';

const run = promisify(execFile);

/** One process that opens the spool root at a given wall-clock instant, as a starting ingest does, and stays a while. */
const OPENER = `
const { SpoolDirectory } = require(${JSON.stringify(join(__dirname, 'spool-directory'))});
const { createLogger } = require('@mmp/common');
const [root, id, startAt] = process.argv.slice(1);
const wait = Math.max(0, Number(startAt) - Date.now());
setTimeout(async () => {
  const directory = await SpoolDirectory.open(root, id, { maxBytes: 1 << 20 }, createLogger('spec', 'silent'));
  console.log(directory.dir);
  setTimeout(() => directory.close(), 500);
}, wait);
`;

describe('SpoolDirectory', () => {
  const roots: string[] = [];
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it('lets instances in separate processes start together on one spool root', async () => {
    // `npm start` starts two ingest processes on one root at once. A sibling waiting for
    // the root's lock file must never find it empty or half-written.
    const root = await mkdtemp(join(tmpdir(), 'spool-root-spec-'));
    roots.push(root);
    for (let round = 0; round < 5; round++) {
      const startAt = Date.now() + 1500;
      const outputs = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          run(process.execPath, ['-e', OPENER, root, `ingest-${round}-${i}`, String(startAt)], { timeout: 30_000 }),
        ),
      );
      const dirs = outputs.map(({ stdout }) => stdout.trim());
      assert.equal(new Set(dirs).size, 8, dirs.join('\n'));
    }
    assert.deepEqual(await readdir(root), [], 'no lock file or directory left behind');
  });

  it('adopts, while running, the spool of a process whose lease lapsed, and leaves a live one of another namespace alone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spool-root-spec-'));
    roots.push(root);
    const options = { maxBytes: 1 << 20, adoptEveryMs: 3_600_000 };
    const running = await SpoolDirectory.open(root, 'running', options, createLogger('spec', 'silent'));
    let woken = 0;
    running.onAdopted = () => woken++;

    const leaveSpool = async (name: string, owner: Partial<SpoolOwner>) => {
      const spool = await Spool.open(join(root, name), { maxBytes: 1 << 20 });
      await spool.append([{ key: name, value: `${name}-event` }]);
      await spool.close();
      const record = { instanceId: name, token: `${name}-token`, host: 'same-host-name', pid: 999_999, ...owner };
      await writeFile(join(root, name, 'owner.json'), JSON.stringify(record));
    };
    // Crashed after the running process started: its lease lapsed.
    await leaveSpool('crashed', { heartbeatAt: Date.now() - LEASE_MS - 1000 });
    // Alive in another container: same host name, a pid that means nothing here, a fresh lease.
    await leaveSpool('sibling', { heartbeatAt: Date.now(), kernel: 'other-boot', pidNamespace: 'pid:[1]' });

    assert.equal(await running.adoptNow(options), 1);
    assert.equal(woken, 1);
    assert.equal(running.spools.length, 2);
    assert.equal(running.spools[0].waitingBatches, 1, 'the adopted spool comes before its own');
    assert.deepEqual(await running.spools[0].read(running.spools[0].peek()[0]), [{ key: 'crashed', value: 'crashed-event' }]);
    assert.deepEqual((await readdir(root)).sort(), ['running', 'sibling']);
    assert.equal(await running.adoptNow(options), 0, 'a live lease is never taken');
    assert.equal(running.usable, true);
    await running.spools[0].markDelivered(running.spools[0].peek());
    await running.close();
  });

  it('stops using its directory after a stalled renewal until it proved it is still its own, and for good once adopted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spool-root-spec-'));
    roots.push(root);
    let clock = Date.now();
    const options = { maxBytes: 1 << 20, adoptEveryMs: 3_600_000, now: () => clock };
    const logger = createLogger('spec', 'silent');
    const kept = await SpoolDirectory.open(root, 'kept', options, logger);
    const lost = await SpoolDirectory.open(root, 'lost', options, logger);
    assert.equal(kept.usable, true);

    clock += SELF_FENCE_MS + 1000; // both event loops stalled this long
    assert.equal(kept.usable, false, 'no writes on a lease that may be lapsing');
    assert.equal(lost.usable, false);
    // Meanwhile another process adopted `lost` (an adopter moves the directory away).
    await rename(lost.dir, join(root, 'elsewhere'));

    await waitFor(() => kept.usable && lost.fenced);
    assert.equal(lost.usable, false);
    await kept.close();
    await lost.close();
  });
});

/** Polls every 20 ms for up to 10 s (the heartbeat runs every 2 s). */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
