import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEARTBEAT_STALE_MS, ownerIsGone, parseOwner, type SpoolOwner } from './spool-owner';

describe('ownerIsGone', () => {
  const now = 1_000_000_000;
  const owner: SpoolOwner = { instanceId: 'ingest-1', host: 'h1', pid: 42, heartbeatAt: now - 1000 };
  const probe = (alive: boolean) => ({ host: 'h1', now, isAlive: () => alive });

  it('never takes a live, beating owner', () => {
    assert.equal(ownerIsGone(owner, probe(true), 0), false);
    assert.equal(ownerIsGone({ ...owner, host: 'h2' }, probe(false), 0), false);
  });

  it('takes a dead process of this host, a released directory or a silent owner', () => {
    assert.equal(ownerIsGone(owner, probe(false), 0), true);
    assert.equal(ownerIsGone({ ...owner, released: true }, probe(true), 0), true);
    assert.equal(ownerIsGone({ ...owner, heartbeatAt: now - HEARTBEAT_STALE_MS - 1 }, probe(true), 0), true);
    assert.equal(ownerIsGone({ ...owner, host: 'h2', heartbeatAt: now - HEARTBEAT_STALE_MS - 1 }, probe(true), 0), true);
  });

  it('takes a directory without owner only once it is old', () => {
    assert.equal(ownerIsGone(undefined, probe(true), 1000), false);
    assert.equal(ownerIsGone(undefined, probe(true), HEARTBEAT_STALE_MS + 1), true);
  });

  it('parses only complete owner files', () => {
    assert.deepEqual(parseOwner(JSON.stringify(owner)), owner);
    assert.equal(parseOwner('{"instanceId":"x"'), undefined);
    assert.equal(parseOwner('{"instanceId":"x","host":"h"}'), undefined);
  });
});
