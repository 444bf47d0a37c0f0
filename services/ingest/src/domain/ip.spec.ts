import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIp, normalizeIp, parseProxyTrust } from './ip';

describe('normalizeIp', () => {
  it('gives every spelling of an IPv6 address one canonical form (RFC 5952)', () => {
    for (const spelling of ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', '2001:0db8:0000::0001', '2001:DB8::0:1'])
      assert.equal(normalizeIp(spelling), '2001:db8::1', spelling);
    assert.equal(normalizeIp('FE80:0:0:0:1:0:0:1'), 'fe80::1:0:0:1');
    assert.equal(normalizeIp('::1'), '::1');
  });

  it('turns IPv4-mapped IPv6 into IPv4 whatever its spelling, and leaves IPv4 and non-addresses alone', () => {
    for (const spelling of ['::ffff:10.0.0.1', '::FFFF:10.0.0.1', '0:0:0:0:0:ffff:a00:1', '::ffff:0a00:0001'])
      assert.equal(normalizeIp(spelling), '10.0.0.1', spelling);
    assert.equal(normalizeIp('203.0.113.9'), '203.0.113.9');
    assert.equal(normalizeIp('FE80::1%eth0'), 'fe80::1%eth0');
  });
});

describe('clientIp', () => {
  it('ignores X-Forwarded-For unless proxies are trusted', () => {
    assert.equal(clientIp('10.0.0.5', '198.51.100.7', false), '10.0.0.5');
    assert.equal(clientIp('10.0.0.5', '198.51.100.7', 0), '10.0.0.5');
    assert.equal(clientIp('::ffff:10.0.0.5', undefined, true), '10.0.0.5');
  });

  it('believes the left-most entry with true, and the entry n proxies back with n', () => {
    const chain = '198.51.100.7, 203.0.113.1 ,10.0.0.2';
    assert.equal(clientIp('10.0.0.5', chain, true), '198.51.100.7');
    assert.equal(clientIp('10.0.0.5', chain, 1), '10.0.0.2');
    assert.equal(clientIp('10.0.0.5', chain, 2), '203.0.113.1');
    assert.equal(clientIp('10.0.0.5', chain, 9), '198.51.100.7');
    assert.equal(clientIp('10.0.0.5', ['198.51.100.7', '2001:DB8::0:1'], 1), '2001:db8::1');
  });

  it('falls back to the peer when the chosen entry is not an address', () => {
    assert.equal(clientIp('10.0.0.5', 'unknown', 1), '10.0.0.5');
  });
});

describe('parseProxyTrust', () => {
  it('reads false, true and proxy counts, and refuses anything else', () => {
    assert.equal(parseProxyTrust(''), false);
    assert.equal(parseProxyTrust('false'), false);
    assert.equal(parseProxyTrust('TRUE'), true);
    assert.equal(parseProxyTrust('2'), 2);
    assert.equal(parseProxyTrust('yes'), undefined);
  });
});
