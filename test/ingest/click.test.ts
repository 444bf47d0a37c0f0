import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { rawEventSchema } from '@mmp/common';
import { deleteApp, putApp, waitFor, type TestApp } from '../support/infra';
import { RawTopicReader, startIngest, type RunningIngest } from './ingest-harness';

describe('ingest: GET /v1/click/:appId', () => {
  let ingest: RunningIngest;
  let reader: RawTopicReader;
  let app: TestApp;
  let storeless: TestApp;

  before(async () => {
    const from = Date.now() - 5000;
    // One proxy in front, as behind a load balancer: requests without X-Forwarded-For keep the peer's address.
    ingest = await startIngest({ TRUST_PROXY: '1' });
    reader = await RawTopicReader.start(from);
    app = await putApp();
    storeless = await putApp({ store_url: null });
    for (const target of [app, storeless]) {
      await waitFor(`ingest to know ${target.record.app_id}`, () => ingest.context.apps.get(target.record.app_id));
    }
  });

  after(async () => {
    await reader?.stop();
    await ingest?.stop();
    for (const target of [app, storeless]) if (target) await deleteApp(target.record.app_id);
  });

  /** The one click of the app whose click_id is given, once it is on the topic. */
  const clickWithId = (appId: string, clickId: string) =>
    waitFor(
      `click ${clickId} on the raw topic`,
      () => reader.events(appId).find(({ event }) => event.click?.click_id === clickId),
      60_000,
    );

  it('records the click durably and redirects to the store', async () => {
    const before = Date.now();
    const response = await request(ingest.url)
      .get(`/v1/click/${app.record.app_id}`)
      .query({
        pid: 'facebook_ads',
        c: 'winter',
        af_adset: 'set-1',
        af_ad: 'ad-9',
        af_siteid: 'site-3',
        clickid: 'ck-1',
        advertising_id: 'GAID-1',
        utm_source: 'ignored',
      })
      .set('User-Agent', 'Mozilla/5.0 (Linux; Android 14)')
      .expect(302);
    assert.equal(response.headers.location, app.record.store_url);

    const read = await clickWithId(app.record.app_id, 'ck-1');
    const event = rawEventSchema.parse(read.event);
    assert.equal(read.key, `${app.record.app_id}:GAID-1`);
    assert.equal(event.type, 'click');
    assert.equal(event.event_time, event.received_at);
    assert.ok(Date.parse(event.event_time) >= before - 1000 && Date.parse(event.event_time) <= Date.now() + 1000);
    assert.match(event.event_id, /^[A-Za-z0-9_-]{8,64}$/);
    assert.equal(event.ip, '127.0.0.1');
    assert.equal(event.user_agent, 'Mozilla/5.0 (Linux; Android 14)');
    assert.deepEqual(event.device, { platform: null, advertising_id: 'GAID-1', os_version: null, model: null });
    assert.deepEqual(event.click, {
      media_source: 'facebook_ads',
      campaign: 'winter',
      adset: 'set-1',
      ad: 'ad-9',
      site_id: 'site-3',
      click_id: 'ck-1',
    });
    assert.deepEqual(
      [event.event_name, event.revenue, event.currency, event.app_version, event.customer_user_id],
      [null, null, null, null, null],
    );
  });

  it('keys a click without advertising id by ip, treats empty parameters as absent and makes a new event_id per click', async () => {
    for (const clickId of ['ck-2', 'ck-3']) {
      await request(ingest.url)
        .get(`/v1/click/${app.record.app_id}?pid=google&c=&af_ad=&clickid=${clickId}&advertising_id=`)
        .expect(302);
    }
    const [second, third] = [await clickWithId(app.record.app_id, 'ck-2'), await clickWithId(app.record.app_id, 'ck-3')];
    assert.equal(second.key, `${app.record.app_id}:127.0.0.1`);
    assert.equal(second.event.device.advertising_id, null);
    assert.deepEqual(second.event.click, {
      media_source: 'google',
      campaign: null,
      adset: null,
      ad: null,
      site_id: null,
      click_id: 'ck-2',
    });
    assert.notEqual(second.event.event_id, third.event.event_id);
  });

  it('answers 204 for an app without store_url', async () => {
    const response = await request(ingest.url).get(`/v1/click/${storeless.record.app_id}?pid=tiktok&clickid=ck-4`).expect(204);
    assert.equal(response.headers.location, undefined);
    await clickWithId(storeless.record.app_id, 'ck-4');
  });

  it('answers 400 without a valid pid or with a parameter too long, and 404 for an unknown app', async () => {
    const path = `/v1/click/${app.record.app_id}`;
    for (const query of [
      '',
      '?c=x',
      '?pid=',
      `?pid=${'p'.repeat(101)}`,
      `?pid=x&c=${'c'.repeat(101)}`,
      `?pid=x&clickid=${'k'.repeat(101)}`,
    ]) {
      const response = await request(ingest.url).get(`${path}${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(typeof response.body.error, 'string');
    }
    await request(ingest.url)
      .get(`${path}?pid=${'p'.repeat(100)}&c=${'c'.repeat(100)}`)
      .expect(302);
    const unknown = await request(ingest.url).get('/v1/click/com.test.nobody-here?pid=x').expect(404);
    assert.equal(unknown.body.error, 'not_found');
  });

  it("answers a path with bad %-encoding with a JSON 400, not the web framework's own body", async () => {
    for (const path of [`/v1/click/${app.record.app_id}%E0%A4%A?pid=net`, '/v1/apps/%ZZ/events']) {
      const response = await request(ingest.url).get(path);
      assert.equal(response.status, 400, path);
      assert.match(String(response.headers['content-type']), /application\/json/);
      assert.equal(response.body.error, 'bad_request', JSON.stringify(response.body));
      assert.doesNotMatch(response.text, /FST_|statusCode/);
    }
  });

  it('answers HEAD as GET would and records nothing', async () => {
    const head = await request(ingest.url).head(`/v1/click/${app.record.app_id}?pid=crawler&clickid=head-1`).expect(302);
    assert.equal(head.headers.location, app.record.store_url);
    await request(ingest.url).head(`/v1/click/${app.record.app_id}?c=no-pid`).expect(400);
    await request(ingest.url).get(`/v1/click/${app.record.app_id}?pid=crawler&clickid=head-2`).expect(302);
    // Same key (no advertising id: the ip), same partition: a recorded HEAD would be read before the GET.
    await clickWithId(app.record.app_id, 'head-2');
    assert.equal(reader.events(app.record.app_id).filter(({ event }) => event.click?.click_id === 'head-1').length, 0);
  });

  it('records an impression from the view-through link with the link fields, answers 204, and HEAD records nothing', async () => {
    const path = `/v1/impression/${app.record.app_id}`;
    await request(ingest.url).head(`${path}?pid=network&clickid=imp-head`).expect(204);
    const response = await request(ingest.url)
      .get(`${path}?pid=network&c=spring&af_ad=banner&clickid=imp-1&advertising_id=GAID-IMP`)
      .set('User-Agent', 'AdSDK/3')
      .expect(204);
    assert.equal(response.headers.location, undefined);
    const read = await waitFor(
      'the impression on the raw topic',
      () => reader.events(app.record.app_id).find(({ event }) => event.click?.click_id === 'imp-1'),
      60_000,
    );
    const event = rawEventSchema.parse(read.event);
    assert.equal(event.type, 'impression');
    assert.equal(read.key, `${app.record.app_id}:GAID-IMP`);
    assert.equal(event.user_agent, 'AdSDK/3');
    assert.deepEqual(event.click, {
      media_source: 'network',
      campaign: 'spring',
      adset: null,
      ad: 'banner',
      site_id: null,
      click_id: 'imp-1',
    });
    assert.equal(reader.events(app.record.app_id).filter(({ event }) => event.click?.click_id === 'imp-head').length, 0);
    await request(ingest.url).get(`${path}?c=x`).expect(400);
    await request(ingest.url).get('/v1/impression/com.test.nobody-here?pid=x').expect(404);
  });

  it('takes the client address from X-Forwarded-For behind a trusted proxy, in canonical IPv6', async () => {
    await request(ingest.url)
      .get(`/v1/click/${app.record.app_id}?pid=proxied&clickid=xff-1`)
      .set('X-Forwarded-For', 'spoofed, 2001:DB8:0:0::7')
      .expect(302);
    const read = await clickWithId(app.record.app_id, 'xff-1');
    assert.equal(read.event.ip, '2001:db8::7');
    assert.equal(read.key, `${app.record.app_id}:2001:db8::7`);
  });
});
