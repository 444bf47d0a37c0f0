import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dedupeExpiresAt } from './dedupe-expiry';
import { isIpAddress, normalizeIp } from './ip';

describe('dedupeExpiresAt', () => {
  it('keeps an event_id for 30 days and 10 minutes past its event_time', () => {
    const eventTime = Date.UTC(2026, 10, 22, 10);
    assert.equal(dedupeExpiresAt(eventTime), eventTime + 30 * 24 * 3600_000 + 10 * 60_000);
  });

  it('outlives the window in which validation would accept the event again', () => {
    const now = Date.UTC(2026, 10, 22, 10);
    const oldestAccepted = now - 30 * 24 * 3600_000;
    assert.ok(dedupeExpiresAt(oldestAccepted) > now);
    const newestAccepted = now + 10 * 60_000;
    assert.ok(dedupeExpiresAt(newestAccepted) >= newestAccepted + 30 * 24 * 3600_000);
  });
});

describe('normalizeIp', () => {
  it('turns IPv4-mapped IPv6 into IPv4 and leaves the rest', () => {
    assert.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeIp('::FFFF:10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeIp('10.1.2.3'), '10.1.2.3');
    assert.equal(normalizeIp('2001:db8::1'), '2001:db8::1');
    assert.equal(normalizeIp('::ffff:abcd'), '::ffff:abcd');
  });

  it('tells addresses from other text', () => {
    assert.ok(isIpAddress('192.0.2.1') && isIpAddress('::1') && isIpAddress('2001:db8::8a2e:370:7334'));
    assert.ok(!isIpAddress('256.0.0.1') && !isIpAddress('example.com') && !isIpAddress(''));
  });
});
