import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeRow, RAW_COLUMNS, RAW_KINDS, type RowPlacement } from './raw-row';
import { attributedEvent } from './test-events';

const rowOf = (placement: RowPlacement) => {
  assert.equal(placement.kind, 'row');
  return placement.kind === 'row' ? placement.placed : assert.fail();
};

describe('placeRow', () => {
  it('gives every kind its columns of contracts §6, in order, and event_id then the time first', () => {
    const byKind = {
      installs: attributedEvent({ type: 'install' }),
      'in-app-events': attributedEvent({ type: 'in_app_event' }),
      clicks: attributedEvent({ type: 'click' }),
      impressions: attributedEvent({ type: 'impression' }),
    };
    for (const kind of RAW_KINDS) {
      const placed = rowOf(placeRow(byKind[kind]));
      assert.equal(placed.kind, kind);
      assert.deepEqual(Object.keys(placed.row), [...RAW_COLUMNS[kind]]);
      assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(placed.row))), [...RAW_COLUMNS[kind]]);
    }
    assert.equal(
      RAW_COLUMNS.installs.join(','),
      'event_id,install_time,attributed_touch_type,attributed_touch_time,match_type,media_source,campaign,adset,ad,site_id,advertising_id,platform,app_version,ip,is_reinstall',
    );
    assert.equal(
      RAW_COLUMNS['in-app-events'].join(','),
      'event_id,event_time,event_name,revenue,currency,install_time,media_source,campaign,adset,ad,site_id,match_type,advertising_id,platform,app_version',
    );
    assert.equal(
      RAW_COLUMNS.clicks.join(','),
      'event_id,click_time,media_source,campaign,adset,ad,site_id,click_id,advertising_id,ip,user_agent',
    );
    assert.equal(
      RAW_COLUMNS.impressions.join(','),
      'event_id,impression_time,media_source,campaign,adset,ad,site_id,click_id,advertising_id,ip,user_agent',
    );
  });

  it('fills an install from its attribution and device', () => {
    const placed = rowOf(placeRow(attributedEvent({ type: 'install', is_reinstall: true })));
    assert.deepEqual(placed.row, {
      event_id: 'evt_00000001',
      install_time: '2026-11-22T10:00:00.000Z',
      attributed_touch_type: 'click',
      attributed_touch_time: '2026-11-22T09:00:00.000Z',
      match_type: 'id_matching',
      media_source: 'net',
      campaign: 'c1',
      adset: 'as',
      ad: null,
      site_id: null,
      advertising_id: 'gaid-1',
      platform: 'android',
      app_version: '1.2.3',
      ip: '203.0.113.7',
      is_reinstall: true,
    });
  });

  it('fills an in-app event with the install time and attribution it carries', () => {
    const placed = rowOf(placeRow(attributedEvent({ type: 'in_app_event', event_time: '2026-11-23T01:00:00.000Z' })));
    assert.equal(placed.day, '2026-11-23');
    assert.equal(placed.row.install_time, '2026-11-22T10:00:00.000Z');
    assert.equal(placed.row.revenue, 4.99);
    assert.equal(placed.row.event_name, 'purchase');
  });

  it('files clicks and impressions by their own time, with the link fields', () => {
    const click = rowOf(placeRow(attributedEvent({ type: 'click' })));
    assert.equal(click.row.click_time, '2026-11-22T10:00:00.000Z');
    assert.equal(click.row.click_id, 'ck1');
    const impression = rowOf(placeRow(attributedEvent({ type: 'impression', event_time: '2026-11-21T00:00:00.000Z' })));
    assert.equal(impression.day, '2026-11-21');
    assert.equal(impression.row.impression_time, '2026-11-21T00:00:00.000Z');
  });

  it('puts 23:59:59.999 on its day and 00:00:00.000 on the next', () => {
    assert.equal(rowOf(placeRow(attributedEvent({ event_time: '2026-11-22T23:59:59.999Z' }))).day, '2026-11-22');
    assert.equal(rowOf(placeRow(attributedEvent({ event_time: '2026-11-23T00:00:00.000Z' }))).day, '2026-11-23');
    assert.equal(rowOf(placeRow(attributedEvent({ type: 'click', event_time: '2026-12-31T23:59:59.999Z' }))).day, '2026-12-31');
    assert.equal(rowOf(placeRow(attributedEvent({ type: 'click', event_time: '2027-01-01T00:00:00.000Z' }))).day, '2027-01-01');
  });

  it('has no row for a session, and rejects an install or in-app event without attribution', () => {
    assert.deepEqual(placeRow(attributedEvent({ type: 'session' })), { kind: 'none' });
    assert.equal(placeRow(attributedEvent({ type: 'install', attribution: undefined })).kind, 'invalid');
    assert.equal(placeRow(attributedEvent({ type: 'in_app_event', attribution: undefined })).kind, 'invalid');
    assert.equal(placeRow(attributedEvent({ type: 'click', click: undefined })).kind, 'invalid');
  });
});
