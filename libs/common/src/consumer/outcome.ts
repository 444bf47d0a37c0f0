import type { ZodType } from 'zod';
import type { IncomingRecord } from '../kafka/stream-client';

/** What a handler says about each message: done, or dead-letter it with a reason. */
export type Outcome = { readonly kind: 'ok' } | { readonly kind: 'dlq'; readonly reason: string };

export const ok: Outcome = Object.freeze({ kind: 'ok' });
export const deadLetter = (reason: string): Outcome => ({ kind: 'dlq', reason });

export interface Message<T> {
  value: T;
  record: IncomingRecord;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Turns a record into the handler's type; a failure sends the record to the DLQ, never to the handler. */
export type Decoder<T> = (record: IncomingRecord) => Decoded<T>;

/**
 * Contract of every handler: one outcome per message, in order. A throw that is a
 * dependency outage (DependencyDownError, or a Redis/Kafka/network/timeout error; see
 * isDependencyDown) makes the consumer back off and hand the same messages again, for as
 * long as it takes. Any other throw is retried a few times, then the message that fails
 * is found by bisection and dead-lettered.
 */
export type BatchHandler<T> = (messages: Message<T>[], source: { topic: string; partition: number }) => Promise<Outcome[]>;

/** JSON checked against a zod schema: the one event schema gives both validation and types. */
export function jsonDecoder<T>(schema: ZodType<T>): Decoder<T> {
  return (record) => {
    if (record.value === null || record.value.length === 0) return { ok: false, reason: 'empty value' };
    let json: unknown;
    try {
      json = JSON.parse(record.value.toString('utf8'));
    } catch (error) {
      return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `invalid ${issue.path.join('.') || 'message'}: ${issue.message}` };
  };
}

/** No decoding: the handler gets the raw bytes (benchmarks, pass-through consumers). */
export const bytesDecoder: Decoder<Buffer | null> = (record) => ({ ok: true, value: record.value });
