import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAuthorized } from './report-auth';

const sha = (token: string) => createHash('sha256').update(token).digest('hex');

describe('isAuthorized', () => {
  it('accepts the Bearer token whose sha256 is the app hash', () => {
    assert.equal(isAuthorized('Bearer t_secret', sha('t_secret')), true);
    assert.equal(isAuthorized('bearer t_secret', sha('t_secret')), true);
  });

  it('refuses another token, another scheme, the hash itself and no header', () => {
    assert.equal(isAuthorized('Bearer t_other', sha('t_secret')), false);
    assert.equal(isAuthorized('Basic t_secret', sha('t_secret')), false);
    assert.equal(isAuthorized(`Bearer ${sha('t_secret')}`, sha('t_secret')), false);
    assert.equal(isAuthorized('Bearer', sha('t_secret')), false);
    assert.equal(isAuthorized(undefined, sha('t_secret')), false);
  });
});
