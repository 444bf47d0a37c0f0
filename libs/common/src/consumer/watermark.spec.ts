import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allPassed, lowWatermark, type PartitionMark } from './watermark';

const marks = (entries: [number, Partial<PartitionMark>][]) =>
  new Map(entries.map(([partition, mark]) => [partition, { eventTimeMs: null, endMs: null, ...mark }]));

describe('allPassed', () => {
  it('is true when every partition has consumed an event at or past the time', () => {
    assert.equal(
      allPassed(
        marks([
          [0, { eventTimeMs: 100 }],
          [1, { eventTimeMs: 150 }],
        ]),
        100,
        2,
      ),
      true,
    );
  });

  it('is false while one partition is behind and not at its end', () => {
    assert.equal(
      allPassed(
        marks([
          [0, { eventTimeMs: 200 }],
          [1, { eventTimeMs: 99 }],
        ]),
        100,
        2,
      ),
      false,
    );
  });

  it('is false while a partition has no mark at all', () => {
    assert.equal(allPassed(marks([[0, { eventTimeMs: 200 }]]), 100, 2), false);
  });

  it('counts only partitions 0..n-1', () => {
    assert.equal(
      allPassed(
        marks([
          [0, { eventTimeMs: 200 }],
          [5, { eventTimeMs: 1 }],
        ]),
        100,
        1,
      ),
      true,
    );
  });

  it('lets a partition behind in event time pass when it was at its end at or after the time', () => {
    assert.equal(
      allPassed(
        marks([
          [0, { eventTimeMs: 200 }],
          [1, { eventTimeMs: 10, endMs: 100 }],
        ]),
        100,
        2,
      ),
      true,
    );
    assert.equal(
      allPassed(
        marks([
          [0, { eventTimeMs: 200 }],
          [1, { endMs: 150 }],
        ]),
        100,
        2,
      ),
      true,
    );
  });

  it('does not let an end reported before the time vouch for it', () => {
    assert.equal(
      allPassed(
        marks([
          [0, { eventTimeMs: 200 }],
          [1, { endMs: 99 }],
        ]),
        100,
        2,
      ),
      false,
    );
  });
});

describe('lowWatermark', () => {
  it('is the time every partition has passed', () => {
    assert.equal(
      lowWatermark(
        marks([
          [0, { eventTimeMs: 300 }],
          [1, { eventTimeMs: 100, endMs: 250 }],
        ]),
        2,
      ),
      250,
    );
  });

  it('is null until every partition has a mark', () => {
    assert.equal(lowWatermark(marks([[0, { eventTimeMs: 300 }]]), 2), null);
    assert.equal(
      lowWatermark(
        marks([
          [0, { eventTimeMs: 300 }],
          [1, {}],
        ]),
        2,
      ),
      null,
    );
  });

  it('agrees with allPassed at and just after it', () => {
    const sample = marks([
      [0, { eventTimeMs: 500 }],
      [1, { endMs: 420 }],
      [2, { eventTimeMs: 430, endMs: 10 }],
    ]);
    const low = lowWatermark(sample, 3)!;
    assert.equal(allPassed(sample, low, 3), true);
    assert.equal(allPassed(sample, low + 1, 3), false);
  });
});
