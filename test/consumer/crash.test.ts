import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { after, it } from 'node:test';
import { closeRedis, connectRedis, createRedis } from '@mmp/common';
import { REDIS_URL, uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, endOffsets, produce, quietLogger } from '../support/kafka';

const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.kill('SIGKILL')));

function startChild(topic: string, groupId: string, processedKey: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [resolve(__dirname, 'consumer-child.js'), topic, groupId, processedKey], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

it('kill -9 mid-batch: after a restart every message is processed at least once, and no commit was ever ahead of processing', async () => {
  const redis = createRedis(REDIS_URL, quietLogger);
  connectRedis(redis);
  await waitFor('redis', () => redis.isReady);
  const topic = await createTopic(3);
  const groupId = uniqueId('crash');
  const processedKey = uniqueId('crash-processed');
  const total = 3000;
  await produce(
    topic,
    Array.from({ length: total }, (_, index) => ({ key: `k${index}`, value: `message ${index}`, partition: index % 3 })),
  );
  try {
    const first = startChild(topic, groupId, processedKey);
    await waitFor('the first process under way', async () => (await redis.sCard(processedKey)) >= 400, 30_000);
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));
    const processedAtCrash = await redis.sCard(processedKey);
    assert.ok(processedAtCrash < total, 'the kill landed before the end');

    const committedAtCrash = await committedOffsets(groupId, topic);
    const processed = new Set(await redis.sMembers(processedKey));
    for (const [partition, offset] of committedAtCrash) {
      for (let next = 0n; next < offset; next++) {
        assert.ok(
          processed.has(`${partition}:${next}`),
          `offset ${next} of partition ${partition} committed but never processed`,
        );
      }
    }

    const second = startChild(topic, groupId, processedKey);
    await waitFor(`all ${total} processed after the restart`, async () => (await redis.sCard(processedKey)) === total, 60_000);
    const ends = await endOffsets(topic);
    await waitFor('committed to the end', async () => {
      const committed = await committedOffsets(groupId, topic);
      return [...ends].every(([partition, end]) => committed.get(partition) === end);
    });
    second.child.kill('SIGTERM');
    const code = await new Promise((done) => second.child.once('exit', done));
    assert.equal(code, 0, second.output());
  } finally {
    await redis.del(processedKey);
    await closeRedis(redis);
  }
});
