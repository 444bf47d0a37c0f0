import type { OutgoingRecord } from './stream-client';

/** Kafka's default `message.max.bytes`: the largest record batch a broker takes for one partition. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** A v2 record batch's header, which the broker counts against the limit. */
const BATCH_HEADER_BYTES = 61;
/**
 * What one record adds to its key and value, at most: its length, attributes, timestamp and
 * offset deltas, key and value lengths and header count, all varints (36 bytes), rounded up.
 */
const RECORD_OVERHEAD_BYTES = 40;
/** Room for what this arithmetic does not see (protocol versions, a header added later). */
const SAFETY_BYTES = 1024;

const sizeOf = (part: string | Buffer | null): number =>
  part === null ? 0 : typeof part === 'string' ? Buffer.byteLength(part) : part.length;

/** The bytes a record takes in a record batch, at most. */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + sizeOf(record.key) + sizeOf(record.value);
  for (const [name, value] of Object.entries(record.headers ?? {}))
    bytes += 10 + Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

export interface Chunk {
  records: OutgoingRecord[];
  bytes: number;
}

/**
 * How much one producer send may carry. kafkajs puts all of a send's records for one
 * partition into one record batch and never splits it, and the broker refuses a batch
 * over `message.max.bytes` for good (MESSAGE_TOO_LARGE is not retriable). A send whose
 * records together stay under the limit can never make such a batch, whatever the
 * partitions they land on; so sends are cut by total bytes.
 */
export class SendBudget {
  /** Record bytes one send may carry. */
  readonly bytes: number;

  constructor(
    maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
    /** Records one send may carry. */
    readonly records = 10_000,
  ) {
    this.bytes = maxMessageBytes - BATCH_HEADER_BYTES - SAFETY_BYTES;
    if (this.bytes < 1024) throw new RangeError(`a Kafka message limit of ${maxMessageBytes} bytes leaves no room for records`);
  }

  /** Whether the record can be produced at all: alone in its send it must fit. */
  fits(record: OutgoingRecord): boolean {
    return recordBytes(record) <= this.bytes;
  }

  /** The records in order, cut into sends that each fit (a record that can never fit goes alone). */
  split(records: OutgoingRecord[]): Chunk[] {
    const chunks: Chunk[] = [];
    let current: Chunk = { records: [], bytes: 0 };
    for (const record of records) {
      const bytes = recordBytes(record);
      if (current.records.length > 0 && (current.bytes + bytes > this.bytes || current.records.length >= this.records)) {
        chunks.push(current);
        current = { records: [], bytes: 0 };
      }
      current.records.push(record);
      current.bytes += bytes;
    }
    if (current.records.length > 0) chunks.push(current);
    return chunks;
  }
}

/** Whether a send failed because the broker refuses the size of what it got, which no retry changes. */
export function isTooLargeError(error: unknown): boolean {
  for (let cause = error as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown } | undefined; cause;) {
    if (cause.type === 'MESSAGE_TOO_LARGE' || cause.type === 'RECORD_LIST_TOO_LARGE') return true;
    if (typeof cause.message === 'string' && /larger than the max message size/i.test(cause.message)) return true;
    cause = (cause.cause ?? cause.originalError) as typeof cause | undefined;
  }
  return false;
}
