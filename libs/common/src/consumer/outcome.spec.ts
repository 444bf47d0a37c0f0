import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { IncomingRecord } from '../kafka/stream-client';
import { jsonDecoder } from './outcome';

const record = (value: string | null): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset: '0',
  key: null,
  value: value === null ? null : Buffer.from(value),
  headers: {},
  timestamp: 0,
});

const decode = jsonDecoder(z.strictObject({ id: z.string(), n: z.number().int() }));

describe('jsonDecoder', () => {
  it('decodes a valid message', () => {
    assert.deepEqual(decode(record('{"id":"a","n":1}')), { ok: true, value: { id: 'a', n: 1 } });
  });

  it('names malformed JSON', () => {
    const result = decode(record('{"id":'));
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /^malformed JSON/);
  });

  it('names the first invalid field', () => {
    const result = decode(record('{"id":"a","n":1.5}'));
    assert.equal(result.ok, false);
    assert.match((result as { reason: string }).reason, /^invalid n:/);
  });

  it('refuses unknown fields and an empty value (a tombstone)', () => {
    assert.equal(decode(record('{"id":"a","n":1,"x":2}')).ok, false);
    assert.deepEqual(decode(record(null)), { ok: false, reason: 'empty value' });
  });
});
