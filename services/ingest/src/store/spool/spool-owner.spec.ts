import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEASE_MS, ownerIsGone, parseOwner, type SpoolOwner } from './spool-owner';

describe('ownerIsGone', () => {
  const now = 1_000_000_000;
  const owner: SpoolOwner = {
    instanceId: 'ingest-1',
    token: 't1',
    host: 'h1',
    pid: 42,
    kernel: 'boot-1',
    pidNamespace: 'pid:[4026531836]',
    heartbeatAt: now - 1000,
  };
  const probe = (alive: boolean, where: Partial<SpoolOwner> = {}) => ({
    now,
    kernel: 'boot-1',
    pidNamespace: 'pid:[4026531836]',
    isAlive: () => alive,
    ...where,
  });

  it('never takes a live owner whose lease holds', () => {
    assert.equal(ownerIsGone(owner, probe(true), 0), false);
  });

  it('does not judge a pid from another pid namespace or kernel, even with the same host name', () => {
    // Containers with host networking share the host name; pid 42 there is another process than pid 42 here.
    assert.equal(ownerIsGone(owner, probe(false, { pidNamespace: 'pid:[4026532000]' }), 0), false);
    assert.equal(ownerIsGone(owner, probe(false, { kernel: 'boot-2' }), 0), false);
    assert.equal(ownerIsGone({ ...owner, kernel: undefined, pidNamespace: undefined }, probe(false), 0), false);
  });

  it('takes a dead process of its own namespace, a released directory or a lapsed lease', () => {
    assert.equal(ownerIsGone(owner, probe(false), 0), true);
    assert.equal(ownerIsGone({ ...owner, released: true }, probe(true), 0), true);
    assert.equal(ownerIsGone({ ...owner, heartbeatAt: now - LEASE_MS - 1 }, probe(true, { pidNamespace: 'other' }), 0), true);
  });

  it('takes a directory without owner only once it is old', () => {
    assert.equal(ownerIsGone(undefined, probe(true), 1000), false);
    assert.equal(ownerIsGone(undefined, probe(true), LEASE_MS + 1), true);
  });

  it('parses only complete owner files', () => {
    assert.deepEqual(parseOwner(JSON.stringify(owner)), owner);
    assert.equal(parseOwner('{"instanceId":"x"'), undefined);
    assert.equal(parseOwner('{"instanceId":"x","host":"h"}'), undefined);
  });
});
