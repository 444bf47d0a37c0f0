import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDependencyDown, type Message, type Metrics } from '@mmp/common';
import type { CounterDelta } from '../domain/counting';
import type { CountersStore } from '../store/counters.store';
import type { CountedEvent } from './counted-event.schema';
import { EventCounting } from './event-counting';

const metrics = { increment: () => undefined } as unknown as Metrics;
const message = (value: Partial<CountedEvent>): Message<CountedEvent> =>
  ({
    value: {
      schema: 'mmp.event/1',
      event_id: 'evt-00000001',
      app_id: 'com.a',
      event_time: `${new Date().toISOString().slice(0, 10)}T01:00:00.000Z`,
      ...value,
    },
    record: {},
  }) as Message<CountedEvent>;

/** A store that only records what it is asked: the outcomes and the grouping are what is under test. */
function recordingStore(failure?: Error) {
  const calls: [string, CounterDelta[]][] = [];
  const store = {
    isWithinRetention: (day: string) => day >= '2020-01-01',
    count: async (appId: string, deltas: CounterDelta[]) => {
      if (failure) throw failure;
      calls.push([appId, deltas]);
      return deltas.length;
    },
  } as unknown as CountersStore;
  return { store, calls };
}

describe('EventCounting', () => {
  it('gives one outcome per message, dead-letters what breaks the rules, and counts per app', async () => {
    const { store, calls } = recordingStore();
    const outcomes = await new EventCounting(store, metrics).handle([
      message({ type: 'click', click: { media_source: 'fb', campaign: null } }),
      message({ type: 'session' }),
      message({ type: 'install' }),
      message({ type: 'click', app_id: 'com.b', click: { media_source: 'g', campaign: 'c' } }),
      message({ type: 'click', event_time: '2019-01-01T00:00:00.000Z', click: { media_source: 'fb', campaign: null } }),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.kind),
      ['ok', 'ok', 'dlq', 'ok', 'dlq'],
    );
    assert.deepEqual(
      calls.map(([appId, deltas]) => [appId, deltas.length]),
      [
        ['com.a', 1],
        ['com.b', 1],
      ],
    );
  });

  it('makes Redis answers that mean "not now" a dependency outage, and leaves other errors as they are', async () => {
    for (const reply of [
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script',
      'OOM command not allowed',
    ])
      await assert.rejects(
        new EventCounting(recordingStore(new Error(reply)).store, metrics).handle([
          message({ type: 'click', click: { media_source: 'fb', campaign: null } }),
        ]),
        (error) => isDependencyDown(error),
      );
    await assert.rejects(
      new EventCounting(recordingStore(new Error('WRONGTYPE')).store, metrics).handle([
        message({ type: 'click', click: { media_source: 'fb', campaign: null } }),
      ]),
      (error) => !isDependencyDown(error),
    );
  });
});
