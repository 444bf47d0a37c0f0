import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { spawnLong } from '../deploy/support/cli';
import { waitFor } from './infra';
import { watchProcess } from './watched-processes';

describe('waiting on a process that dies', () => {
  it('waitForOutput fails as soon as the process exits, not at its timeout', async () => {
    const started = Date.now();
    const short = spawnLong(process.execPath, ['-e', 'console.log("starting"); setTimeout(() => process.exit(3), 200)']);
    try {
      await assert.rejects(short.waitForOutput(/never printed/, 120_000), /exited with 3/);
      assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);
    } finally {
      await short.stop('SIGTERM');
    }
  });

  it('any waitFor fails at once when a watched process exits on its own', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(7), 200)']);
    const unwatch = watchProcess('a short-lived service', child, () => 'its last words');
    try {
      const started = Date.now();
      await assert.rejects(
        waitFor('something the dead process would have done', () => false, 120_000),
        /a short-lived service exited with 7 while the test still needed it:\nits last words/,
      );
      assert.ok(Date.now() - started < 10_000);
    } finally {
      unwatch();
    }
  });

  it('a process the test stopped itself is not reported', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    const unwatch = watchProcess('a stopped service', child, () => '');
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    try {
      let polls = 0;
      assert.equal(await waitFor('three polls', () => ++polls >= 3 && polls, 5_000, 10), 3);
    } finally {
      unwatch();
    }
  });
});
