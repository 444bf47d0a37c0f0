import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { bytesDecoder, closeRedis, connectRedis, createRedis, ok, StreamConsumer, Watermark } from '@mmp/common';
import { REDIS_URL, ROOT, uniqueId, waitFor } from '../support/infra';
import { committedOffsets, createTopic, produce, quietLogger, testClient } from '../support/kafka';

const run = promisify(execFile);
const fleet = (args: string[]) =>
  run(process.execPath, [resolve(ROOT, 'tools/fleet/dist/main.js'), ...args], { cwd: ROOT, timeout: 60_000 });

it('fleet replay moves a stopped group to a time with its watermark marks, and refuses while the group is running', async () => {
  const topic = await createTopic(2);
  const now = Date.now();
  await produce(topic, [
    { key: 'a', value: 'old', partition: 0, timestamp: now - 120_000 },
    { key: 'b', value: 'old', partition: 1, timestamp: now - 120_000 },
    { key: 'c', value: 'new', partition: 1, timestamp: now - 10_000 },
  ]);
  const groupId = uniqueId('replay-cli');
  let handled = 0;
  const consumer = new StreamConsumer({
    client: testClient(),
    groupId,
    topic,
    decoder: bytesDecoder,
    logger: quietLogger,
    handler: async (messages) => ((handled += messages.length), messages.map(() => ok)),
  });
  await consumer.start();
  try {
    await waitFor('all consumed and committed', async () => {
      const committed = await committedOffsets(groupId, topic);
      return handled === 3 && committed.get(0) === 1n && committed.get(1) === 2n;
    });
    const from = new Date(now - 60_000).toISOString();
    await assert.rejects(fleet(['replay', '--group', groupId, '--topic', topic, '--from', from]), 'a running group is not moved');
  } finally {
    await consumer.stop();
  }

  const redis = createRedis(REDIS_URL, quietLogger);
  connectRedis(redis);
  await waitFor('redis', () => redis.isReady);
  const watermark = new Watermark(redis, groupId, topic);
  await watermark.record(0, now - 5000, now);
  await watermark.record(1, now - 10_000, null);

  const { stderr } = await fleet([
    'replay',
    '--group',
    groupId,
    '--topic',
    topic,
    '--from',
    new Date(now - 60_000).toISOString(),
  ]);
  assert.match(stderr, new RegExp(`${topic.replace(/\./g, '\\.')}\\[1\\] -> 1`));
  const committed = await committedOffsets(groupId, topic);
  assert.equal(committed.get(0), 1n, 'nothing on partition 0 after the time: its end');
  assert.equal(committed.get(1), 1n, 'partition 1 goes back to the message after the time');

  const marks = await watermark.marks();
  assert.deepEqual(marks.get(0), { eventTimeMs: now - 60_001, endMs: now - 60_001 }, 'the marks went back with the offsets');
  assert.deepEqual(marks.get(1), { eventTimeMs: now - 60_001, endMs: null });
  await watermark.clear();
  await closeRedis(redis);

  await assert.rejects(fleet(['replay', '--group', groupId, '--topic', topic, '--from', 'yesterday']), /RFC 3339/);
});
