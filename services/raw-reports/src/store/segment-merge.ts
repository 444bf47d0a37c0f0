import type { Readable } from 'node:stream';
import { orderOf, type OrderedLine } from '../domain/row-order';

/** The lines of a JSON-lines stream, without their newline; blank lines are skipped. */
export async function* linesOf(stream: Readable): AsyncGenerator<string> {
  stream.setEncoding('utf8');
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        if (end > start) yield text.slice(start, end);
        start = end + 1;
      }
      rest = text.slice(start);
    }
    if (rest.length > 0) yield rest;
  } finally {
    stream.destroy();
  }
}

interface Cursor {
  current: OrderedLine;
  source: AsyncIterator<string>;
}

/**
 * K-way merge of segments already in the lake's order, with a binary heap: memory is one
 * line per segment plus the streams' buffers, whatever their length. Copies of an event
 * (same time and event_id) come out once.
 */
export async function* mergeSegments(sources: AsyncIterable<string>[]): AsyncGenerator<OrderedLine> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heap: Cursor[] = [];
  try {
    for (const source of iterators) {
      const first = await source.next();
      if (!first.done) push(heap, { current: orderOf(first.value), source });
    }
    let previous: string | undefined;
    while (heap.length > 0) {
      const top = heap[0];
      const line = top.current;
      if (line.key !== previous) {
        previous = line.key;
        yield line;
      }
      const next = await top.source.next();
      if (next.done) {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown(heap, 0);
        }
      } else {
        top.current = orderOf(next.value);
        siftDown(heap, 0);
      }
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
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
