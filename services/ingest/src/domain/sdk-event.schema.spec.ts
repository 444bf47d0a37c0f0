import { FIELD_RULES, rawEventSchema, type TextField } from '@mmp/common';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEvent, type EventIssue } from './event-validation';
import { sdkEventSchema } from './sdk-event.schema';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const context = { appId: 'com.example.game', now: NOW, remoteIp: '10.0.0.1', userAgent: 'Agent/1' };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Absent, null, a wrong type, or a string of a length around the field's limits. */
const textCandidate = (field: TextField) => {
  const { min, max } = FIELD_RULES.text[field];
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer({ min: Math.max(0, min - 1), max: max + 1 }).map((length) => 'a'.repeat(length)),
    fc.constantFrom('', 'a'.repeat(max), 'a'.repeat(max + 1)),
    fc.integer(),
  );
};

const eventIdCandidate = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
  fc.constantFrom('short', 'x'.repeat(65), 'has space 123', 'ünïcode-id', ''),
  fc.constant(undefined),
  fc.integer(),
);

const eventTimeCandidate = fc.oneof(
  fc.integer({ min: -30 * DAY + MINUTE, max: 10 * MINUTE - 1000 }).map((offset) => new Date(NOW + offset).toISOString()),
  fc
    .integer({ min: -30 * DAY + MINUTE, max: 10 * MINUTE - 1000 })
    .map((offset) => new Date(NOW + offset).toISOString().replace('.000Z', '+00:00').replace('T', ' ')),
  fc.constantFrom(
    new Date(NOW + 11 * MINUTE).toISOString(),
    new Date(NOW - 31 * DAY).toISOString(),
    '2026-11-22',
    'yesterday',
    '2026-13-01T00:00:00Z',
  ),
  fc.constant(undefined),
  fc.constant(NOW),
);

const deviceCandidate = fc.oneof(
  fc.record(
    {
      platform: fc.constantFrom('android', 'ios', 'web', undefined, null),
      advertising_id: textCandidate('advertising_id'),
      os_version: textCandidate('os_version'),
      model: textCandidate('model'),
      serial: fc.constant('not a device field'),
    },
    { requiredKeys: ['platform'] },
  ),
  fc.constantFrom(undefined, null, 'android', []),
);

const fieldCandidates = fc.record({
  event_id: eventIdCandidate,
  type: fc.constantFrom('install', 'in_app_event', 'session', 'click', 'impression', 'purchase', undefined),
  event_time: eventTimeCandidate,
  device: deviceCandidate,
  ip: fc.oneof(
    fc.constantFrom(undefined, null, '203.0.113.9', '2001:DB8::1', '::ffff:10.0.0.1', 'localhost', '999.1.1.1'),
    fc.integer(),
  ),
  user_agent: textCandidate('user_agent'),
  app_version: textCandidate('app_version'),
  event_name: textCandidate('event_name'),
  revenue: fc.oneof(
    fc.constantFrom(undefined, null, 0, 4.99, -1e9, 1e9, 1e9 + 1, Number.NaN, Infinity, '4.99'),
    fc.double({ min: -2e9, max: 2e9, noNaN: true }),
  ),
  currency: fc.constantFrom(undefined, null, 'EUR', 'usd', 'EURO', 'E1R', 3),
  customer_user_id: textCandidate('customer_user_id'),
  color: fc.constant('not an event field'),
});

/** A valid event of any type, with every optional field. */
const validEvent = fc
  .record({
    event_id: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
    type: fc.constantFrom('install', 'in_app_event', 'session'),
    event_time: fc.integer({ min: -29 * DAY, max: 9 * MINUTE }).map((offset) => new Date(NOW + offset).toISOString()),
    device: fc.record({
      platform: fc.constantFrom('android', 'ios'),
      advertising_id: fc.string({ minLength: 1, maxLength: 64 }),
      os_version: fc.string({ maxLength: 64 }),
      model: fc.string({ maxLength: 64 }),
    }),
    ip: fc.constantFrom('203.0.113.9', '2001:db8::1'),
    user_agent: fc.string({ maxLength: 512 }),
    app_version: fc.string({ maxLength: 32 }),
    event_name: fc.string({ minLength: 1, maxLength: 100 }),
    revenue: fc.double({ min: -1e9, max: 1e9, noNaN: true }),
    currency: fc.constantFrom('EUR', 'USD'),
    customer_user_id: fc.string({ maxLength: 128 }),
  })
  .map((event): Record<string, unknown> =>
    event.type === 'in_app_event' ? event : { ...event, event_name: undefined, revenue: undefined, currency: undefined },
  );

/** A valid event with up to three fields replaced by candidates around (and past) their limits. */
const eventCandidate = fc
  .tuple(
    validEvent,
    fieldCandidates,
    fc.subarray(
      [
        'event_id',
        'type',
        'event_time',
        'device',
        'ip',
        'user_agent',
        'app_version',
        'event_name',
        'revenue',
        'currency',
        'customer_user_id',
        'color',
      ] as const,
      { maxLength: 3 },
    ),
  )
  .map(([event, candidates, replaced]) => {
    const mixed: Record<string, unknown> = { ...event };
    for (const field of replaced) mixed[field] = candidates[field];
    return mixed;
  });

/** Drops the keys whose value is undefined, as JSON would. */
const asJson = (value: Record<string, unknown>) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

describe('the SDK event rules: hand-written validator and zod schema', () => {
  const schema = sdkEventSchema(NOW);

  it('agree on every generated event, valid or not, and every accepted event makes a valid raw event', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(eventCandidate, (candidate) => {
        const input = asJson(candidate);
        const issues: EventIssue[] = [];
        const output = validateEvent(input, 0, context, issues);
        const verdict = schema.safeParse(input);
        assert.equal(
          output !== undefined,
          verdict.success,
          `validator: ${JSON.stringify(issues)}; zod: ${verdict.success ? 'ok' : JSON.stringify(verdict.error.issues)}`,
        );
        if (output) {
          accepted++;
          rawEventSchema.parse(output.event);
        } else {
          rejected++;
        }
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 300 && rejected > 300, `${accepted} accepted, ${rejected} rejected: both kinds are generated`);
  });

  it('agree on valid events built to pass', () => {
    const valid = fc.record({
      event_id: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
      type: fc.constantFrom('install', 'session'),
      event_time: fc.integer({ min: -29 * DAY, max: 9 * MINUTE }).map((offset) => new Date(NOW + offset).toISOString()),
      device: fc.record({
        platform: fc.constantFrom('android', 'ios'),
        advertising_id: fc.string({ minLength: 1, maxLength: 64 }),
      }),
      user_agent: fc.string({ maxLength: 512 }),
    });
    fc.assert(
      fc.property(valid, (input) => {
        assert.ok(validateEvent(input, 0, context, []));
        assert.ok(schema.safeParse(input).success);
      }),
      { numRuns: 500 },
    );
  });
});
