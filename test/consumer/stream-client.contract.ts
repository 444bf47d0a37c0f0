import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IncomingRecord, StreamClient } from '@mmp/common';
import { uniqueId, waitFor } from '../support/infra';

/**
 * What every StreamClient must do; kafkajs.contract.test.ts runs it for kafkajs, and a
 * replacement client adds one such file.
 */
export function streamClientContract(name: string, makeClient: () => StreamClient): void {
  describe(`StreamClient contract: ${name}`, () => {
    async function withAdmin<T>(work: (admin: ReturnType<StreamClient['admin']>) => Promise<T>): Promise<T> {
      const admin = makeClient().admin();
      await admin.connect();
      try {
        return await work(admin);
      } finally {
        await admin.disconnect();
      }
    }

    async function newTopic(partitions: number): Promise<string> {
      const topic = uniqueId('contract');
      await withAdmin(async (admin) => {
        await admin.ensureTopics([{ topic, partitions }]);
        await admin.ensureTopics([{ topic, partitions }]);
        assert.equal(await admin.partitionCount(topic), partitions, 'ensureTopics is idempotent');
      });
      return topic;
    }

    it('produces with acks=all and hands back key, value, headers, partition and timestamp', async () => {
      const topic = await newTopic(3);
      const producer = makeClient().producer();
      await producer.connect();
      await producer.send(topic, [
        { key: 'a', value: 'one', headers: { h: 'x' }, partition: 2, timestamp: 1_700_000_000_000 },
        { key: null, value: Buffer.from([0, 1, 2]), partition: 0 },
      ]);
      await producer.disconnect();
      const ends = await withAdmin((admin) => admin.endOffsets(topic));
      assert.deepEqual(ends, [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '0' },
        { partition: 2, offset: '1' },
      ]);

      const consumer = makeClient().consumer({ groupId: uniqueId('contract'), fromBeginning: true, maxWaitMs: 100 });
      const seen: IncomingRecord[] = [];
      // Recorded here and asserted below: an assert thrown inside eachBatch only makes the client redeliver.
      const highWatermarks: string[] = [];
      const stale: boolean[] = [];
      await consumer.connect();
      await consumer.subscribe([topic]);
      await consumer.run({
        concurrency: 1,
        eachBatch: async (batch, context) => {
          seen.push(...batch.records);
          highWatermarks.push(batch.highWatermark);
          stale.push(context.isStale());
          context.resolveOffset(batch.records[batch.records.length - 1].offset);
        },
      });
      await waitFor('two records', () => seen.length === 2);
      await consumer.disconnect();
      assert.deepEqual(highWatermarks, ['1', '1'], 'one batch per partition, each with its end offset');
      assert.deepEqual(stale, [false, false], 'a member that owns its partitions is not stale');
      const byPartition = new Map(seen.map((record) => [record.partition, record]));
      const keyed = byPartition.get(2)!;
      assert.equal(keyed.key?.toString(), 'a');
      assert.equal(keyed.value?.toString(), 'one');
      assert.equal(keyed.headers.h, 'x');
      assert.equal(keyed.timestamp, 1_700_000_000_000);
      assert.equal(keyed.offset, '0');
      assert.equal(byPartition.get(0)!.key, null);
      assert.deepEqual([...byPartition.get(0)!.value!], [0, 1, 2]);
    });

    it('commits exactly the offsets given, reads them back, and moves a group to a time', async () => {
      const topic = await newTopic(1);
      const producer = makeClient().producer();
      await producer.connect();
      await producer.send(topic, [
        { key: 'a', value: '1', timestamp: 1_000_000 },
        { key: 'b', value: '2', timestamp: 2_000_000 },
        { key: 'c', value: '3', timestamp: 3_000_000 },
      ]);
      await producer.disconnect();
      const groupId = uniqueId('contract');
      const consumer = makeClient().consumer({ groupId, fromBeginning: true, maxWaitMs: 100 });
      let count = 0;
      await consumer.connect();
      await consumer.subscribe([topic]);
      await consumer.run({
        concurrency: 1,
        eachBatch: async (batch, context) => {
          count += batch.records.length;
          await consumer.commit([{ topic, partition: 0, offset: '2' }]);
          context.resolveOffset(batch.records[batch.records.length - 1].offset);
        },
      });
      await waitFor('three records', () => count === 3);
      await consumer.disconnect();
      await withAdmin(async (admin) => {
        assert.deepEqual(await admin.committedOffsets(groupId, topic), [{ partition: 0, offset: '2' }]);
        assert.deepEqual(await admin.resetOffsetsToTime(groupId, topic, 2_000_000), [{ partition: 0, offset: '1' }]);
        assert.deepEqual(await admin.committedOffsets(groupId, topic), [{ partition: 0, offset: '1' }]);
        assert.deepEqual(await admin.resetOffsetsToTime(groupId, topic, 9_000_000_000_000), [{ partition: 0, offset: '3' }]);
      });
    });

    it('commit() resolves only once the broker accepted: a commit the client skips or the broker refuses rejects', async () => {
      const topic = await newTopic(1);
      const producer = makeClient().producer();
      await producer.connect();
      await producer.send(topic, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
      await producer.disconnect();
      const groupId = uniqueId('contract');
      const consumer = makeClient().consumer({ groupId, fromBeginning: true, maxWaitMs: 100 });
      const commits: Promise<void>[] = [];
      let count = 0;
      await consumer.connect();
      await consumer.subscribe([topic]);
      await consumer.run({
        concurrency: 1,
        eachBatch: async (batch, context) => {
          count += batch.records.length;
          commits.push(consumer.commit([{ topic, partition: 0, offset: '1' }]));
          context.resolveOffset(batch.records[batch.records.length - 1].offset);
        },
      });
      await waitFor('two records', () => count === 2);
      await Promise.all(commits);
      await consumer.disconnect();
      await assert.rejects(consumer.commit([{ topic, partition: 0, offset: '2' }]), 'a commit after the consumer stopped');
      await withAdmin(async (admin) => {
        assert.deepEqual(await admin.committedOffsets(groupId, topic), [{ partition: 0, offset: '1' }], 'nothing moved');
      });
    });

    it('stops handing over a paused partition until it is resumed, and reports the assignment', async () => {
      const topic = await newTopic(2);
      const consumer = makeClient().consumer({ groupId: uniqueId('contract'), fromBeginning: true, maxWaitMs: 100 });
      const assignments: number[][] = [];
      consumer.onAssignment((assigned) => assignments.push(assigned.find((entry) => entry.topic === topic)?.partitions ?? []));
      const byPartition = [0, 0];
      await consumer.connect();
      await consumer.subscribe([topic]);
      await consumer.run({
        concurrency: 2,
        eachBatch: async (batch, context) => {
          byPartition[batch.partition] += batch.records.length;
          context.resolveOffset(batch.records[batch.records.length - 1].offset);
        },
      });
      await waitFor('assignment', () => assignments.length > 0);
      assert.deepEqual([...assignments.at(-1)!].sort(), [0, 1]);
      consumer.pause([{ topic, partitions: [1] }]);
      const producer = makeClient().producer();
      await producer.connect();
      await producer.send(topic, [
        { key: 'x', value: 'p0', partition: 0 },
        { key: 'y', value: 'p1', partition: 1 },
      ]);
      await waitFor('partition 0 delivered', () => byPartition[0] === 1);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(byPartition[1], 0, 'a paused partition is not handed over');
      consumer.resume([{ topic, partitions: [1] }]);
      await waitFor('partition 1 delivered after resume', () => byPartition[1] === 1);
      await producer.disconnect();
      await consumer.disconnect();
    });
  });
}
