import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { placeRow } from './raw-row';
import { orderOf, sortSegment } from './row-order';
import { attributedEvent } from './test-events';

describe('orderOf', () => {
  it('reads time and event_id from every kind of lake line, as the slow path would', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('install', 'in_app_event', 'click', 'impression') as fc.Arbitrary<'install'>,
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
        (type, ms, eventId) => {
          const placement = placeRow(attributedEvent({ type, event_id: eventId, event_time: new Date(ms).toISOString() }));
          assert.equal(placement.kind, 'row');
          if (placement.kind !== 'row') return;
          const line = JSON.stringify(placement.placed.row);
          const order = orderOf(line);
          assert.equal(order.eventId, eventId);
          assert.equal(order.key, placement.placed.time + eventId);
        },
      ),
    );
  });

  it('falls back to parsing a line written in another shape', () => {
    const order = orderOf('{"event_id": "abcdefgh", "click_time": "2026-11-22T10:00:00.000Z"}');
    assert.equal(order.key, '2026-11-22T10:00:00.000Zabcdefgh');
  });
});

describe('sortSegment', () => {
  it('orders by time then event_id and keeps one line per event_id', () => {
    const lines = [
      { key: '2026-11-22T10:00:00.001Za', eventId: 'a', line: '1' },
      { key: '2026-11-22T10:00:00.000Zb', eventId: 'b', line: '2' },
      { key: '2026-11-22T10:00:00.001Za', eventId: 'a', line: '3' },
      { key: '2026-11-22T10:00:00.000Zc', eventId: 'c', line: '4' },
    ];
    assert.deepEqual(
      sortSegment(lines).map((line) => line.line),
      ['2', '4', '1'],
    );
  });
});
