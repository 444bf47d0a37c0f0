import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { orderOf } from '../domain/row-order';
import { linesOf, mergeSegments } from './segment-merge';

const byKey = (a: string, b: string) => (orderOf(a).key < orderOf(b).key ? -1 : orderOf(a).key > orderOf(b).key ? 1 : 0);

const lineOf = (ms: number, id: string) => JSON.stringify({ event_id: id, click_time: new Date(ms).toISOString(), ip: null });

/** A segment read in blocks of up to 3 lines, as a stream gives chunks. */
async function* iterate(lines: string[]): AsyncGenerator<string[]> {
  for (let at = 0; at < lines.length; at += 3) yield lines.slice(at, at + 3);
}

describe('mergeSegments', () => {
  it('gives the union of sorted segments in order, each event once, however copies are spread', async () => {
    const event = fc.record({
      ms: fc.integer({ min: 0, max: 50 }),
      id: fc.constantFrom('aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(event, { maxLength: 30 }), { maxLength: 8 }), async (segments) => {
        // Copies of one event carry one time: make each id's time a function of the event.
        const sorted = segments.map((segment) =>
          [...new Map(segment.map((e) => [`${e.ms}|${e.id}`, lineOf(Date.UTC(2026, 10, 22) + e.ms, e.id)])).values()].sort(byKey),
        );
        const merged: string[] = [];
        for await (const block of mergeSegments(sorted.map(iterate))) merged.push(...block.map((line) => line.line));
        const expected = [...new Set(sorted.flat())].sort(byKey);
        assert.deepEqual(merged, expected);
      }),
    );
  });

  it('closes every source when the reader stops early', async () => {
    let closed = 0;
    async function* source(lines: string[]): AsyncGenerator<string[]> {
      try {
        for (const line of lines) yield [line];
      } finally {
        closed++;
      }
    }
    const t = Date.UTC(2026, 10, 22);
    const many = (id: string) => Array.from({ length: 2000 }, (_, at) => lineOf(t + at, `${id}${at}`));
    const merge = mergeSegments([source(many('aaaaaaaa')), source(many('bbbbbbbb'))]);
    const first = await merge.next();
    assert.equal(first.value?.length, 1024);
    await merge.return(undefined);
    assert.equal(closed, 2);
  });
});

describe('linesOf', () => {
  it('splits lines across chunk boundaries, multi-byte characters included', async () => {
    const text = 'é'.repeat(10) + '\n' + 'x\n\n' + '日本\n' + 'last';
    const bytes = Buffer.from(text);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const lines: string[] = [];
    for await (const block of linesOf(Readable.from(chunks))) lines.push(...block);
    assert.deepEqual(lines, ['é'.repeat(10), 'x', '日本', 'last']);
  });
});
