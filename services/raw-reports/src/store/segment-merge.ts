import type { Readable } from 'node:stream';
import { orderOf, type OrderedLine } from '../domain/row-order';

/** Rows handed on per block: per-row promises would cost more than the rows themselves. */
const BLOCK_ROWS = 1024;

/** The lines of a JSON-lines stream, a block per chunk read, without newlines; blank lines are skipped. */
export async function* linesOf(stream: Readable): AsyncGenerator<string[]> {
  stream.setEncoding('utf8');
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      const full = lines.filter((line) => line.length > 0);
      if (full.length > 0) yield full;
    }
    if (rest.length > 0) yield [rest];
  } finally {
    stream.destroy();
  }
}

interface Cursor {
  lines: string[];
  at: number;
  current: OrderedLine;
  source: AsyncIterator<string[]>;
}

/**
 * K-way merge of segments already in the lake's order, with a binary heap: memory is one
 * block of lines per segment plus the streams' buffers, whatever their length. Copies of
 * an event (same time and event_id) come out once. Yields blocks of rows in order.
 */
export async function* mergeSegments(sources: AsyncIterable<string[]>[]): AsyncGenerator<OrderedLine[]> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heap: Cursor[] = [];
  try {
    for (const source of iterators) {
      const lines = await nextLines(source);
      if (lines) push(heap, { lines, at: 0, current: orderOf(lines[0]), source });
    }
    let previous: string | undefined;
    let block: OrderedLine[] = [];
    while (heap.length > 0) {
      const top = heap[0];
      if (top.current.key !== previous) {
        previous = top.current.key;
        block.push(top.current);
        if (block.length >= BLOCK_ROWS) {
          yield block;
          block = [];
        }
      }
      top.at++;
      if (top.at >= top.lines.length) {
        const lines = await nextLines(top.source);
        if (!lines) {
          const last = heap.pop()!;
          if (heap.length > 0) {
            heap[0] = last;
            siftDown(heap, 0);
          }
          continue;
        }
        top.lines = lines;
        top.at = 0;
      }
      top.current = orderOf(top.lines[top.at]);
      siftDown(heap, 0);
    }
    if (block.length > 0) yield block;
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

async function nextLines(source: AsyncIterator<string[]>): Promise<string[] | undefined> {
  for (;;) {
    const next = await source.next();
    if (next.done) return undefined;
    if (next.value.length > 0) return next.value;
  }
}

const less = (a: Cursor, b: Cursor): boolean => a.current.key < b.current.key;

function push(heap: Cursor[], cursor: Cursor): void {
  heap.push(cursor);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!less(heap[index], heap[parent])) break;
    [heap[index], heap[parent]] = [heap[parent], heap[index]];
    index = parent;
  }
}

function siftDown(heap: Cursor[], index: number): void {
  for (;;) {
    const left = 2 * index + 1;
    const right = left + 1;
    let smallest = index;
    if (left < heap.length && less(heap[left], heap[smallest])) smallest = left;
    if (right < heap.length && less(heap[right], heap[smallest])) smallest = right;
    if (smallest === index) return;
    [heap[index], heap[smallest]] = [heap[smallest], heap[index]];
    index = smallest;
  }
}
