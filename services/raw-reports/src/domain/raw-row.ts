import type { AttributedEvent } from '@mmp/common';
import { utcDayOf, type UtcDay } from './utc-day';

/** Contracts §6: the four raw reports, by their URL segment; also the lake's `<kind>` folder. */
export const RAW_KINDS = ['installs', 'in-app-events', 'clicks', 'impressions'] as const;
export type RawKind = (typeof RAW_KINDS)[number];

export const isRawKind = (value: string): value is RawKind => (RAW_KINDS as readonly string[]).includes(value);

/**
 * Contracts §6, exact column order. The first column is always `event_id` and the second
 * the row's time, by which it is filed in a day and sorted: the lake and the merge rely on it.
 */
export const RAW_COLUMNS = {
  installs: [
    'event_id',
    'install_time',
    'attributed_touch_type',
    'attributed_touch_time',
    'match_type',
    'media_source',
    'campaign',
    'adset',
    'ad',
    'site_id',
    'advertising_id',
    'platform',
    'app_version',
    'ip',
    'is_reinstall',
  ],
  'in-app-events': [
    'event_id',
    'event_time',
    'event_name',
    'revenue',
    'currency',
    'install_time',
    'media_source',
    'campaign',
    'adset',
    'ad',
    'site_id',
    'match_type',
    'advertising_id',
    'platform',
    'app_version',
  ],
  clicks: [
    'event_id',
    'click_time',
    'media_source',
    'campaign',
    'adset',
    'ad',
    'site_id',
    'click_id',
    'advertising_id',
    'ip',
    'user_agent',
  ],
  impressions: [
    'event_id',
    'impression_time',
    'media_source',
    'campaign',
    'adset',
    'ad',
    'site_id',
    'click_id',
    'advertising_id',
    'ip',
    'user_agent',
  ],
} as const satisfies Record<RawKind, readonly string[]>;

export type RawValue = string | number | boolean | null;
/** One row, its fields in column order (JSON.stringify keeps insertion order). */
export type RawRow = Record<string, RawValue>;

/** Where a row goes and what it holds. `time` and `event_id` order rows within a day. */
export interface PlacedRow {
  appId: string;
  kind: RawKind;
  day: UtcDay;
  eventId: string;
  time: string;
  row: RawRow;
}

/** What to do with one attributed event: file a row, nothing (sessions have no raw report), or reject it. */
export type RowPlacement = { kind: 'row'; placed: PlacedRow } | { kind: 'none' } | { kind: 'invalid'; reason: string };

/** Contracts §6: the row an attributed event makes, filed by install day, event day, click day or impression day. */
export function placeRow(event: AttributedEvent): RowPlacement {
  const device = event.device;
  switch (event.type) {
    case 'install': {
      const a = event.attribution;
      if (!a) return { kind: 'invalid', reason: 'install without attribution' };
      // The install's own time: a reinstall is listed on the day it happened.
      const time = event.event_time;
      return place(event, 'installs', time, {
        event_id: event.event_id,
        install_time: time,
        attributed_touch_type: a.touch_type,
        attributed_touch_time: a.touch_time,
        match_type: a.match_type,
        media_source: a.media_source,
        campaign: a.campaign,
        adset: a.adset,
        ad: a.ad,
        site_id: a.site_id,
        advertising_id: device.advertising_id ?? null,
        platform: device.platform,
        app_version: event.app_version,
        ip: event.ip,
        is_reinstall: event.is_reinstall ?? false,
      });
    }
    case 'in_app_event': {
      const a = event.attribution;
      if (!a) return { kind: 'invalid', reason: 'in_app_event without attribution' };
      return place(event, 'in-app-events', event.event_time, {
        event_id: event.event_id,
        event_time: event.event_time,
        event_name: event.event_name,
        revenue: event.revenue,
        currency: event.currency,
        install_time: a.install_time,
        media_source: a.media_source,
        campaign: a.campaign,
        adset: a.adset,
        ad: a.ad,
        site_id: a.site_id,
        match_type: a.match_type,
        advertising_id: device.advertising_id ?? null,
        platform: device.platform,
        app_version: event.app_version,
      });
    }
    case 'click':
    case 'impression': {
      const touch = event.click;
      if (!touch) return { kind: 'invalid', reason: `${event.type} without its link fields (click)` };
      const kind = event.type === 'click' ? 'clicks' : 'impressions';
      return place(event, kind, event.event_time, {
        event_id: event.event_id,
        [event.type === 'click' ? 'click_time' : 'impression_time']: event.event_time,
        media_source: touch.media_source,
        campaign: touch.campaign,
        adset: touch.adset,
        ad: touch.ad,
        site_id: touch.site_id,
        click_id: touch.click_id,
        advertising_id: device.advertising_id ?? null,
        ip: event.ip,
        user_agent: event.user_agent,
      });
    }
    default:
      return { kind: 'none' };
  }
}

function place(event: AttributedEvent, kind: RawKind, time: string, row: RawRow): RowPlacement {
  return { kind: 'row', placed: { appId: event.app_id, kind, day: utcDayOf(time), eventId: event.event_id, time, row } };
}
