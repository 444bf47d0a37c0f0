import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

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
});
