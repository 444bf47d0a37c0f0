/**
 * Contracts §3 and §4: the limits and patterns of event fields, written once. The raw
 * event schemas (zod), ingest's hand-written validator and its SDK input schema are all
 * built from these, so a rule cannot differ between them.
 */
export const FIELD_RULES = {
  eventId: /^[A-Za-z0-9_-]{8,64}$/,
  appId: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
  currency: /^[A-Z]{3}$/,
  /** The largest absolute revenue an SDK may send. */
  maxAbsRevenue: 1e9,
  /** Events per request. */
  batch: { min: 1, max: 1000 },
  /** Characters of each free-text field (the same on the SDK input and on the raw event). */
  text: {
    advertising_id: { min: 1, max: 64 },
    os_version: { min: 0, max: 64 },
    model: { min: 0, max: 64 },
    ip: { min: 0, max: 64 },
    user_agent: { min: 0, max: 512 },
    app_version: { min: 0, max: 32 },
    event_name: { min: 1, max: 100 },
    customer_user_id: { min: 0, max: 128 },
    /** Each tracking link parameter (`pid` needs at least one character). */
    click_param: { min: 0, max: 100 },
  },
  platforms: ['android', 'ios'],
  /** The types an SDK may send; clicks and impressions come only from the tracking links. */
  sdkTypes: ['install', 'in_app_event', 'session'],
} as const;

export type TextField = keyof typeof FIELD_RULES.text;
