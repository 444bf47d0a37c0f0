import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { appRecordSchema } from '@mmp/common';
import { demoApp, shellExports } from './seed';

const counting = () => {
  let next = 0;
  return (bytes: number) => Buffer.alloc(bytes, next++);
};

describe('demo app', () => {
  it('is a valid apps-registry record that stores only the sha256 of its API token', () => {
    const app = demoApp('com.example.demo', counting());
    assert.deepEqual(appRecordSchema.parse(app.record), app.record);
    assert.equal(app.record.api_token_sha256, createHash('sha256').update(app.apiToken).digest('hex'));
    assert.equal(JSON.stringify(app.record).includes(app.apiToken), false);
    assert.match(app.record.sdk_key, /^k_[0-9a-f]{32}$/);
  });

  it('gets fresh keys every time', () => {
    const [a, b] = [demoApp(), demoApp()];
    assert.notEqual(a.record.sdk_key, b.record.sdk_key);
    assert.notEqual(a.apiToken, b.apiToken);
  });

  it('refuses an app id outside contracts §2', () => {
    assert.throws(() => demoApp('-bad id'), /does not match/);
  });

  it('prints shell assignments that survive quotes', () => {
    const app = demoApp('com.example.demo', counting());
    const text = shellExports({ ...app, apiToken: "t_it's" });
    assert.match(text, /^MMP_DEMO_APP_ID='com\.example\.demo'$/m);
    assert.match(text, /^MMP_DEMO_API_TOKEN='t_it'\\''s'$/m);
  });
});
