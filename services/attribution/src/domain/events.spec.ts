import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installFactsOf, isLate, isTouch, touchOf, type RawFields } from './events';

const raw = (overrides: Partial<RawFields> = {}): RawFields => ({
  event_id: 'evt-00000001',
  app_id: 'com.example.game',
  type: 'click',
  event_time: '2026-11-22T10:00:00.000Z',
  received_at: '2026-11-22T10:00:00.250Z',
  ip: '203.0.113.7',
  user_agent: 'ua',
  device: { advertising_id: 'aid-1' },
  click: { media_source: 'net', campaign: 'c', adset: null, ad: null, site_id: 's' },
  ...overrides,
});

describe('events', () => {
  it('reads a click and an impression as touches with their link fields', () => {
    assert.equal(isTouch(raw()), true);
    assert.equal(isTouch(raw({ type: 'impression' })), true);
    assert.equal(isTouch(raw({ type: 'install' })), false);
    assert.deepEqual(touchOf(raw({ type: 'impression' })), {
      eventId: 'evt-00000001',
      appId: 'com.example.game',
      type: 'impression',
      eventTimeMs: Date.parse('2026-11-22T10:00:00.000Z'),
      receivedAtMs: Date.parse('2026-11-22T10:00:00.250Z'),
      advertisingId: 'aid-1',
      ip: '203.0.113.7',
      userAgent: 'ua',
      source: { media_source: 'net', campaign: 'c', adset: null, ad: null, site_id: 's' },
    });
  });

  it('reads an install without an advertising id as null', () => {
    const facts = installFactsOf(raw({ type: 'install', device: {}, click: undefined }));
    assert.equal(facts.advertisingId, null);
    assert.equal(facts.eventTimeMs, Date.parse('2026-11-22T10:00:00.000Z'));
  });

  it('an event is late once the watermark passed its received_at plus the grace, not 1 ms before', () => {
    const received = Date.parse('2026-11-22T10:00:00.000Z');
    assert.equal(isLate(received, received + 2000, 2000), true);
    assert.equal(isLate(received, received + 1999, 2000), false);
    assert.equal(isLate(received, null, 2000), false);
  });
});
