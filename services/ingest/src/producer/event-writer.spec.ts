import { createLogger } from '@mmp/common';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpoolDirectory } from '../store/spool/spool-directory';
import { EventWriter, UnavailableError, type Durability } from './event-writer';
import { ScriptedProducer } from './scripted-producer.spec-support';
import { recordBytes, SendBudget } from '@mmp/common';

const logger = createLogger('ingest-spec', 'silent');

/** Polls a condition every 10 ms; fails after `ms`. */
async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('EventWriter', () => {
  const roots: string[] = [];
  const writers: EventWriter[] = [];
  const setUp = async (
    producer: ScriptedProducer,
    options: { maxBytes?: number; produceTimeoutMs?: number; budget?: SendBudget } = {},
  ) => {
    const root = await mkdtemp(join(tmpdir(), 'event-writer-spec-'));
    roots.push(root);
    const directory = await SpoolDirectory.open(root, 'spec', { maxBytes: options.maxBytes ?? 1 << 24 }, logger);
    const writer = () => {
      const created = new EventWriter(producer, directory, {
        topic: 't',
        produceTimeoutMs: options.produceTimeoutMs ?? 1000,
        budget: options.budget,
        logger,
      });
      writers.push(created);
      return created;
    };
    return { root, directory, writer };
  };
  const record = (value: string) => ({ key: 'app:device', value });

  after(async () => {
    for (const writer of writers) await writer.close(100).catch(() => undefined);
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it('is critical, not warning, while the spool is full, and recovers once the replay made room', async () => {
    const producer = new ScriptedProducer();
    producer.connectError = new Error('Kafka down');
    const { writer } = await setUp(producer, { maxBytes: 64 * 1024 });
    const w = writer();
    await w.start(50);
    let refused: unknown;
    for (let i = 0; i < 1000 && !refused; i++) {
      await w.write([record(`${i}:${'x'.repeat(1000)}`)]).catch((error) => (refused = error));
    }
    assert.ok(refused instanceof UnavailableError, 'the spool fills up');
    assert.equal(w.spoolHealth().status, 'critical', JSON.stringify(w.spoolHealth()));
    assert.equal(w.kafkaHealth({ status: 'critical', detail: 'Kafka unreachable' }).status, 'critical');

    producer.connectError = undefined;
    producer.autoAnswer = true;
    await until('the replay to catch up', () => !w.isSpooling, 20_000);
    assert.equal(w.spoolHealth().status, 'passing');
  });

  it('counts the produce timeout from the send, not from the wait in the coalescer queue', async () => {
    const producer = new ScriptedProducer();
    const { writer } = await setUp(producer, { produceTimeoutMs: 1000 });
    const w = writer();
    await w.start(1000);
    // Four sends keep the coalescer busy (its limit); a fifth request waits in its queue.
    const writes: Promise<Durability>[] = [];
    for (let i = 0; i < 4; i++) {
      writes.push(w.write([record(`busy-${i}`)]));
      await until(`send ${i}`, () => producer.sends.length === i + 1);
    }
    writes.push(w.write([record('queued')]));
    await sleep(600);
    for (const send of producer.sends) send.ack();
    await until('the queued request to be sent', () => producer.sends.length === 5);
    // 600 ms in the queue plus 600 ms at Kafka: over the timeout from arrival, well within it from the send.
    await sleep(600);
    producer.sends[4].ack();
    assert.deepEqual(await Promise.all(writes), ['kafka', 'kafka', 'kafka', 'kafka', 'kafka']);
    assert.equal(w.isSpooling, false);
  });

  it('does not send a batch twice when Kafka acknowledges it after the write went to the spool', async () => {
    const producer = new ScriptedProducer();
    const { directory, writer } = await setUp(producer, { produceTimeoutMs: 100 });
    const w = writer();
    await w.start(1000);
    assert.equal(await w.write([record('late')]), 'spool');
    producer.sends[0].ack();
    producer.autoAnswer = true;
    await until('the spooled copy to count as delivered', () => directory.own.waitingBatches === 0 && !w.isSpooling);
    assert.deepEqual(producer.sentValues(), ['late']);
  });

  it('replays a spooled batch bigger than the broker takes in sends under its limit, and sets aside a record it refuses', async () => {
    const producer = new ScriptedProducer();
    const budget = new SendBudget(32 * 1024);
    const { root, directory, writer } = await setUp(producer, { budget });
    const values = Array.from({ length: 200 }, (_, i) => `${i}:${'u'.repeat(500)}`);
    const tooLarge = new Error('The request included a message larger than the max message size the server will accept');
    // Spooled by an earlier process with a bigger limit; the broker refuses record 7 whatever its company.
    await directory.own.append(values.map((value) => record(value)));
    producer.autoAnswer = true;
    producer.refuse = (records) => (records.some((r) => r.value === values[7]) ? tooLarge : undefined);
    const w = writer();
    assert.equal(w.isSpooling, true, 'a waiting spool is replayed before anything new');
    await w.start(1000);
    await until('the replay', () => !w.isSpooling && directory.own.waitingBatches === 0);

    for (const send of producer.sends)
      assert.ok(send.records.reduce((sum, r) => sum + recordBytes(r), 0) <= budget.bytes, 'each send within the budget');
    const acked = producer.sends.filter((send) => !send.records.some((r) => r.value === values[7]));
    assert.deepEqual(
      acked.flatMap((send) => send.records.map((r) => r.value)),
      values.filter((_, i) => i !== 7),
      'everything but the refused record, once and in order',
    );
    const [file] = await readdir(join(root, 'set-aside'));
    const setAside = (await readFile(join(root, 'set-aside', file), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      setAside.map((line) => line.value),
      [values[7]],
    );
  });

  it('refuses, before writing anything, records that no send could ever carry', async () => {
    const producer = new ScriptedProducer();
    producer.autoAnswer = true;
    const { writer } = await setUp(producer, { budget: new SendBudget(16 * 1024) });
    const w = writer();
    await w.start(1000);
    assert.equal(w.producible([record('x'.repeat(20_000))]), false);
    await assert.rejects(w.write([record('small'), record('x'.repeat(20_000))]), { name: 'RecordTooLargeError' });
    assert.equal(producer.sends.length, 0);
  });

  it('names a failing spool in its health without the file-system path', async () => {
    const producer = new ScriptedProducer();
    producer.connectError = new Error('Kafka down');
    const { root, writer } = await setUp(producer);
    const w = writer();
    await w.start(50);
    await rm(root, { recursive: true, force: true });
    await assert.rejects(w.write([record('lost')]), UnavailableError);
    const health = w.spoolHealth();
    assert.equal(health.status, 'critical');
    assert.ok(!health.detail?.includes(root) && !health.detail?.includes('/'), health.detail);
    assert.match(health.detail!, /ENOENT/);
  });
});
