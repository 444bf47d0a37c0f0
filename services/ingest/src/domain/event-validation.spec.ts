import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawEventSchema } from '@mmp/common';
import { validateBatch, type IntakeContext } from './event-validation';

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
const DAY = 24 * 3600_000;
const context: IntakeContext = { appId: 'com.example.game', now: NOW, remoteIp: '192.0.2.10', userAgent: 'SDK/1.0' };
const install = (overrides: Record<string, unknown> = {}) => ({
  event_id: 'evt-00000001',
  type: 'install',
  event_time: '2026-11-22T09:00:00Z',
  device: { platform: 'android', advertising_id: 'gaid-1' },
  ...overrides,
});

function issuesOf(body: unknown) {
  const result = validateBatch(body, context);
  assert.equal(result.ok, false);
  return result.ok ? [] : result.issues;
}

describe('validateBatch', () => {
  it('writes a given ip in one spelling: canonical IPv6, IPv4-mapped IPv6 as IPv4', () => {
    for (const [given, written] of [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::FFFF:203.0.113.9', '203.0.113.9'],
      ['203.0.113.9', '203.0.113.9'],
    ]) {
      const result = validateBatch(install({ ip: given }), context);
      assert.ok(result.ok);
      assert.equal(result.events[0].event.ip, written, given);
    }
  });

  it('shapes a single event into a raw event that rawEventSchema accepts', () => {
    const result = validateBatch(install(), context);
    assert.ok(result.ok);
    const [{ event, eventTimeMs }] = result.events;
    assert.equal(eventTimeMs, Date.UTC(2026, 10, 22, 9));
    assert.deepEqual(rawEventSchema.parse(event), event);
    assert.deepEqual(event, {
      schema: 'mmp.event/1',
      event_id: 'evt-00000001',
      app_id: 'com.example.game',
      type: 'install',
      event_time: '2026-11-22T09:00:00.000Z',
      received_at: '2026-11-22T10:00:00.000Z',
      ip: '192.0.2.10',
      user_agent: 'SDK/1.0',
      device: { platform: 'android', advertising_id: 'gaid-1', os_version: null, model: null },
      event_name: null,
      revenue: null,
      currency: null,
      app_version: null,
      customer_user_id: null,
    });
  });

  it('produces schema-valid raw events for every valid variant', () => {
    const events = [
      install(),
      install({ type: 'session', device: { platform: 'ios' }, ip: '2001:db8::1', user_agent: 'u'.repeat(512) }),
      install({
        type: 'in_app_event',
        event_name: 'purchase',
        revenue: -12.5,
        currency: 'USD',
        app_version: '1.0',
        customer_user_id: 'c',
      }),
      install({ event_time: '2026-11-22T10:09:59Z', ip: '::ffff:10.0.0.1' }),
      install({ event_time: new Date(NOW - 30 * DAY).toISOString() }),
      install({ device: { platform: 'ios', advertising_id: null, os_version: '17', model: 'x' }, ip: null, user_agent: null }),
    ];
    const result = validateBatch({ events }, context);
    assert.ok(result.ok, JSON.stringify(result));
    for (const { event } of result.events) assert.deepEqual(rawEventSchema.parse(event), event);
    assert.equal(result.events[3].event.ip, '10.0.0.1');
    assert.equal(result.events[5].event.ip, '192.0.2.10');
    assert.equal(result.events[5].event.user_agent, 'SDK/1.0');
  });

  it('applies the event_time window from the request time', () => {
    assert.ok(validateBatch(install({ event_time: new Date(NOW + 10 * 60_000).toISOString() }), context).ok);
    assert.deepEqual(
      issuesOf(install({ event_time: new Date(NOW + 10 * 60_000 + 1).toISOString() })).map((issue) => issue.path),
      ['event_time'],
    );
    assert.deepEqual(
      issuesOf(install({ event_time: new Date(NOW - 30 * DAY - 1).toISOString() })).map((issue) => issue.path),
      ['event_time'],
    );
  });

  it('names each problem by index and path, and rejects the whole batch', () => {
    const issues = issuesOf({
      events: [install(), install({ type: 'click', device: { platform: 'web', imei: 'x' } }), install({ extra: true })],
    });
    assert.deepEqual(
      issues.map(({ index, path }) => `${index}:${path}`),
      ['1:type', '1:device.imei', '1:device.platform', '2:extra'],
    );
  });

  it('enforces the in_app_event rules', () => {
    const paths = (overrides: Record<string, unknown>) => issuesOf(install(overrides)).map((issue) => issue.path);
    assert.deepEqual(paths({ type: 'in_app_event' }), ['event_name']);
    assert.deepEqual(paths({ type: 'in_app_event', event_name: 'p', revenue: 1 }), ['currency']);
    assert.deepEqual(paths({ type: 'in_app_event', event_name: 'p', revenue: Number.MAX_VALUE, currency: 'USD' }), ['revenue']);
    assert.deepEqual(paths({ event_name: 'p', revenue: 1, currency: 'USD' }), ['event_name', 'revenue', 'currency']);
  });

  it('bounds batches to 1 to 1000 events and problems to 100', () => {
    assert.deepEqual(issuesOf({ events: [] }), [
      { index: null, path: 'events', message: 'must be an array of 1 to 1000 events' },
    ]);
    assert.equal(issuesOf({ events: Array.from({ length: 1001 }, () => install()) })[0].path, 'events');
    assert.ok(validateBatch({ events: Array.from({ length: 1000 }, () => install()) }, context).ok);
    assert.equal(issuesOf({ events: Array.from({ length: 300 }, () => ({})) }).length, 100);
  });

  it('rejects bodies that are not events', () => {
    for (const body of [null, 'x', 1, [], [install()]]) assert.ok(!validateBatch(body, context).ok, JSON.stringify(body));
  });
});
