import { EVENT_SCHEMA, FIELD_RULES, type ClickTouch, type RawEvent } from '@mmp/common';

export const MAX_CLICK_PARAM = FIELD_RULES.text.click_param.max;

const OPTIONAL_PARAMS = {
  c: 'campaign',
  af_adset: 'adset',
  af_ad: 'ad',
  af_siteid: 'site_id',
  clickid: 'click_id',
} as const;

export interface ClickQuery {
  touch: ClickTouch;
  advertisingId: string | null;
}

export type ClickQueryResult = { ok: true; click: ClickQuery } | { ok: false; message: string };

/** A query value as one string: repeated parameters keep the first, and empty means absent. */
function single(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.length > 0 ? first : null;
}

/** Contracts §3: `pid` required (1 to 100 chars), the rest optional (at most 100), unknown parameters ignored. */
export function parseClickQuery(query: Record<string, unknown>): ClickQueryResult {
  const pid = single(query.pid);
  if (pid === null) return { ok: false, message: 'pid is required' };
  if (pid.length > MAX_CLICK_PARAM) return { ok: false, message: `pid must be at most ${MAX_CLICK_PARAM} characters` };
  const touch: ClickTouch = { media_source: pid, campaign: null, adset: null, ad: null, site_id: null, click_id: null };
  for (const [param, field] of Object.entries(OPTIONAL_PARAMS)) {
    const value = single(query[param]);
    if (value !== null && value.length > MAX_CLICK_PARAM)
      return { ok: false, message: `${param} must be at most ${MAX_CLICK_PARAM} characters` };
    touch[field] = value;
  }
  const advertisingId = single(query.advertising_id);
  // The raw event allows 64 characters for a device's advertising id (GAID / IDFA are 36).
  if (advertisingId !== null && advertisingId.length > FIELD_RULES.text.advertising_id.max)
    return { ok: false, message: `advertising_id must be at most ${FIELD_RULES.text.advertising_id.max} characters` };
  return { ok: true, click: { touch, advertisingId } };
}

/** What a tracking link records (contracts §3): a click, or an ad view through the impression link. */
export type TouchType = 'click' | 'impression';

/** The raw `click` or `impression` event of contracts §4: recorded now, no platform (a browser cannot tell). */
export function clickEvent(
  appId: string,
  click: ClickQuery,
  eventId: string,
  now: number,
  ip: string | null,
  userAgent: string | null,
  type: TouchType = 'click',
): RawEvent {
  const instant = new Date(now).toISOString();
  return {
    schema: EVENT_SCHEMA,
    event_id: eventId,
    app_id: appId,
    type,
    event_time: instant,
    received_at: instant,
    ip,
    user_agent: userAgent,
    device: { platform: null, advertising_id: click.advertisingId, os_version: null, model: null },
    click: click.touch,
    event_name: null,
    revenue: null,
    currency: null,
    app_version: null,
    customer_user_id: null,
  };
}
