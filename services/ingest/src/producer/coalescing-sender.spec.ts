import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CoalescingSender, DivertedError } from './coalescing-sender';
import { ScriptedProducer } from './scripted-producer.spec-support';
import { recordBytes, SendBudget } from '@mmp/common';

const record = (value: string, key = 'k') => ({ key, value });

describe('CoalescingSender', () => {
  it('sends a lone request at once and joins requests of the same turn into one send', async () => {
    const producer = new ScriptedProducer();
    producer.autoAnswer = true;
    const sender = new CoalescingSender(producer, { topic: 't' });
    await sender.send([record('a')]);
    assert.equal(producer.sends.length, 1);
    await Promise.all([sender.send([record('b')]), sender.send([record('c'), record('d')])]);
    assert.equal(producer.sends.length, 2);
    assert.deepEqual(producer.sentValues(), ['a', 'b', 'c', 'd']);
  });

  it('keeps at most maxInFlight sends open; the rest wait and go out together', async () => {
    const producer = new ScriptedProducer();
    const sender = new CoalescingSender(producer, { topic: 't', maxInFlight: 1 });
    const first = sender.send([record('1')]);
    await nextTurn();
    const later = [sender.send([record('2')]), sender.send([record('3')])];
    await nextTurn();
    assert.equal(producer.sends.length, 1);
    producer.sends[0].ack();
    await first;
    await nextTurn();
    assert.equal(producer.sends.length, 2);
    assert.deepEqual(
      producer.sends[1].records.map((r) => r.value),
      ['2', '3'],
    );
    producer.sends[1].ack();
    await Promise.all(later);
  });

  it('never lets a send pass the byte budget: a big request goes in pieces, in order, one after the other', async () => {
    const producer = new ScriptedProducer();
    const budget = new SendBudget(16 * 1024);
    const sender = new CoalescingSender(producer, { topic: 't', budget });
    const records = Array.from({ length: 100 }, (_, i) => record(`${i}:${'u'.repeat(500)}`));
    const sending = sender.send(records);
    for (let answered = 0; ; answered++) {
      await nextTurn();
      if (producer.sends.length === answered) break;
      assert.equal(producer.sends.length, answered + 1, 'the next piece waits for the ack of the one before');
      producer.sends[answered].ack();
    }
    await sending;
    assert.ok(producer.sends.length > 1);
    for (const send of producer.sends)
      assert.ok(send.records.reduce((sum, r) => sum + recordBytes(r), 0) <= budget.bytes, 'a send within the budget');
    assert.deepEqual(
      producer.sentValues(),
      records.map((r) => r.value),
    );
  });

  it('reports when a request leaves the queue, and fails waiting requests with DivertedError on demand', async () => {
    const producer = new ScriptedProducer();
    const sender = new CoalescingSender(producer, { topic: 't', maxInFlight: 1 });
    const started: string[] = [];
    const first = sender.send([record('1')], () => started.push('1'));
    await nextTurn();
    const second = sender.send([record('2')], () => started.push('2'));
    await nextTurn();
    assert.deepEqual(started, ['1']);
    sender.divertWaiting();
    await assert.rejects(second, DivertedError);
    producer.sends[0].fail(new Error('broker gone'));
    await assert.rejects(first, /broker gone/);
    assert.equal(producer.sends.length, 1);
  });
});

describe('SendBudget', () => {
  it('keeps Kafka’s batch header and a margin out of the broker limit, and tells which records can never fit', () => {
    const budget = new SendBudget(1_048_588);
    assert.ok(budget.bytes < 1_048_588 - 61 && budget.bytes > 1_040_000);
    assert.equal(budget.fits(record('x'.repeat(1000))), true);
    assert.equal(budget.fits(record('x'.repeat(1_048_588))), false);
    const split = budget.split([record('x'.repeat(2_000_000)), record('y')]);
    assert.deepEqual(
      split.map((chunk) => chunk.records.length),
      [1, 1],
    );
  });
});
