import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countingOf, type CountableEvent } from './counting';

const attribution = { media_source: 'fb', campaign: 'winter', install_time: '2026-11-20T23:59:59.999Z' };
const event = (overrides: Partial<CountableEvent>): CountableEvent => ({
  event_id: 'evt-00000001',
  app_id: 'com.example',
  type: 'install',
  event_time: '2026-11-20T23:59:59.999Z',
  revenue: null,
  currency: null,
  ...overrides,
});

describe('countingOf', () => {
  it('counts clicks and impressions by their own day, media source and campaign', () => {
    const click = countingOf(
      event({ type: 'click', event_time: '2026-11-21T00:00:00.000Z', click: { media_source: 'g', campaign: null } }),
    );
    assert.deepEqual(click, {
      kind: 'count',
      delta: {
        appId: 'com.example',
        eventId: 'evt-00000001',
        day: '2026-11-21',
        mediaSource: 'g',
        campaign: null,
        metric: 'clicks',
      },
    });
    const impression = countingOf(event({ type: 'impression', click: { media_source: 'tt', campaign: 'c' } }));
    assert.equal(impression.kind === 'count' && impression.delta.metric, 'impressions');
    assert.equal(impression.kind === 'count' && impression.delta.mediaSource, 'tt');
  });

  it('counts an install by its install day under its attribution', () => {
    const counted = countingOf(event({ type: 'install', attribution }));
    assert.deepEqual(counted, {
      kind: 'count',
      delta: {
        appId: 'com.example',
        eventId: 'evt-00000001',
        day: '2026-11-20',
        mediaSource: 'fb',
        campaign: 'winter',
        metric: 'installs',
      },
    });
  });

  it('does not count a reinstall', () => {
    assert.deepEqual(countingOf(event({ type: 'install', attribution, is_reinstall: true })), { kind: 'none' });
    assert.equal(countingOf(event({ type: 'install', attribution, is_reinstall: false })).kind, 'count');
  });

  it('counts an in-app event by its own day under the install attribution, with exact revenue', () => {
    const counted = countingOf(
      event({ type: 'in_app_event', event_time: '2026-11-25T08:00:00.000Z', attribution, revenue: 0.1, currency: 'EUR' }),
    );
    assert.deepEqual(counted, {
      kind: 'count',
      delta: {
        appId: 'com.example',
        eventId: 'evt-00000001',
        day: '2026-11-25',
        mediaSource: 'fb',
        campaign: 'winter',
        metric: 'in_app_events',
        revenue: { currency: 'EUR', micros: 100_000n },
      },
    });
    const withoutRevenue = countingOf(event({ type: 'in_app_event', attribution }));
    assert.equal(withoutRevenue.kind === 'count' && withoutRevenue.delta.revenue, undefined);
  });

  it('counts nothing for a session', () => {
    assert.deepEqual(countingOf(event({ type: 'session', attribution })), { kind: 'none' });
  });

  it('refuses what breaks the contract', () => {
    assert.equal(countingOf(event({ type: 'click' })).kind, 'invalid');
    assert.equal(countingOf(event({ type: 'install' })).kind, 'invalid');
    assert.equal(countingOf(event({ type: 'in_app_event' })).kind, 'invalid');
    assert.equal(countingOf(event({ type: 'in_app_event', attribution, revenue: 3, currency: null })).kind, 'invalid');
    assert.equal(countingOf(event({ type: 'purchase' })).kind, 'invalid');
  });
});
