import { stringify } from 'csv-stringify/sync';
import { Readable } from 'node:stream';
import { RAW_COLUMNS, type RawKind } from '../domain/raw-row';
import type { OrderedLine } from '../domain/row-order';

/**
 * RFC 4180 by csv-stringify: header row, CRLF records, quoting of commas, quotes and
 * newlines, empty for null. A block of rows at a time: the stream pulls the next block
 * only when the client has taken the last (back-pressure), and destroying it (a client
 * that went away) closes the lake's readers.
 */
export function csvExport(kind: RawKind, blocks: AsyncIterable<OrderedLine[]>): Readable {
  const options = (header: boolean) => ({
    header,
    record_delimiter: 'windows' as const,
    columns: [...RAW_COLUMNS[kind]],
    cast: { boolean: (value: boolean) => (value ? 'true' : 'false') },
  });
  async function* csv(): AsyncGenerator<string> {
    let header = true;
    for await (const block of blocks) {
      yield stringify(
        block.map((row) => JSON.parse(row.line) as Record<string, unknown>),
        options(header),
      );
      header = false;
    }
    if (header) yield stringify([], options(true));
  }
  return Readable.from(csv(), { objectMode: false });
}

/** The lake's lines as they are: they already carry the export's names in its order. */
export function jsonLinesExport(blocks: AsyncIterable<OrderedLine[]>): Readable {
  async function* lines(): AsyncGenerator<string> {
    for await (const block of blocks) {
      let text = '';
      for (const row of block) text += `${row.line}\n`;
      yield text;
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
