import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawEventSchema } from '@mmp/common';
import { clickEvent, parseClickQuery } from './click';

describe('parseClickQuery', () => {
  it('maps the link parameters onto the click touch', () => {
    const result = parseClickQuery({
      pid: 'fb',
      c: 'winter',
      af_adset: 's',
      af_ad: 'a',
      af_siteid: 'site',
      clickid: 'k',
      advertising_id: 'GAID',
    });
    assert.deepEqual(result, {
      ok: true,
      click: {
        touch: { media_source: 'fb', campaign: 'winter', adset: 's', ad: 'a', site_id: 'site', click_id: 'k' },
        advertisingId: 'GAID',
      },
    });
  });

  it('treats empty parameters as absent, ignores unknown ones and keeps the first of repeated ones', () => {
    const result = parseClickQuery({ pid: ['g', 'h'], c: '', advertising_id: '', utm_source: 'x' });
    assert.deepEqual(result, {
      ok: true,
      click: {
        touch: { media_source: 'g', campaign: null, adset: null, ad: null, site_id: null, click_id: null },
        advertisingId: null,
      },
    });
  });

  it('requires pid and bounds every parameter', () => {
    assert.equal(parseClickQuery({}).ok, false);
    assert.equal(parseClickQuery({ pid: '' }).ok, false);
    assert.equal(parseClickQuery({ pid: 'p'.repeat(101) }).ok, false);
    assert.equal(parseClickQuery({ pid: 'p'.repeat(100), c: 'c'.repeat(100) }).ok, true);
    for (const param of ['c', 'af_adset', 'af_ad', 'af_siteid', 'clickid'])
      assert.equal(parseClickQuery({ pid: 'p', [param]: 'x'.repeat(101) }).ok, false, param);
    assert.equal(parseClickQuery({ pid: 'p', advertising_id: 'a'.repeat(65) }).ok, false);
  });
});

describe('clickEvent', () => {
  it('is a raw event of the contract, recorded now, without platform', () => {
    const parsed = parseClickQuery({ pid: 'fb', clickid: 'k' });
    assert.ok(parsed.ok);
    const now = Date.UTC(2026, 10, 22, 10, 0, 0, 7);
    const event = clickEvent('com.example', parsed.click, 'abcdefgh12', now, '10.0.0.1', 'UA');
    assert.deepEqual(rawEventSchema.parse(event), event);
    assert.equal(event.event_time, '2026-11-22T10:00:00.007Z');
    assert.equal(event.received_at, event.event_time);
    assert.equal(event.device.platform, null);
  });
});

describe('clickEvent for the impression link', () => {
  it('records an impression with the link fields as its click object', () => {
    const parsed = parseClickQuery({ pid: 'net', c: 'spring', clickid: 'imp-1' });
    assert.ok(parsed.ok);
    const event = rawEventSchema.parse(clickEvent('com.app', parsed.click, 'evt-imp-0001', 0, '10.0.0.1', null, 'impression'));
    assert.equal(event.type, 'impression');
    assert.deepEqual(event.click, parsed.click.touch);
  });
});
