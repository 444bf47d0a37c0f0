import { z } from 'zod';
import { FIELD_RULES, type TextField } from './field-rules';

/** Contracts §4: the messages on events.raw.v1 and events.attributed.v1. One schema, both directions. */
export const EVENT_SCHEMA = 'mmp.event/1';
export const EVENT_TYPES = ['click', 'impression', 'install', 'in_app_event', 'session'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const isoInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be an ISO 8601 UTC instant');
/** A text field within its FIELD_RULES limits. */
export const textField = (field: TextField) => z.string().min(FIELD_RULES.text[field].min).max(FIELD_RULES.text[field].max);
const nullableText = (field: TextField) => textField(field).nullable();

export const deviceSchema = z.strictObject({
  platform: z.enum(FIELD_RULES.platforms).nullable(),
  advertising_id: nullableText('advertising_id').optional(),
  os_version: nullableText('os_version').optional(),
  model: nullableText('model').optional(),
});

export const clickTouchSchema = z.strictObject({
  media_source: textField('click_param').min(1),
  campaign: nullableText('click_param'),
  adset: nullableText('click_param'),
  ad: nullableText('click_param'),
  site_id: nullableText('click_param'),
  click_id: nullableText('click_param'),
});

export const rawEventSchema = z.strictObject({
  schema: z.literal(EVENT_SCHEMA),
  event_id: z.string().regex(FIELD_RULES.eventId),
  app_id: z.string().regex(FIELD_RULES.appId),
  type: z.enum(EVENT_TYPES),
  event_time: isoInstant,
  received_at: isoInstant,
  ip: nullableText('ip'),
  user_agent: nullableText('user_agent'),
  device: deviceSchema,
  click: clickTouchSchema.optional(),
  event_name: nullableText('event_name'),
  revenue: z.number().finite().nullable(),
  currency: z.string().regex(FIELD_RULES.currency).nullable(),
  app_version: nullableText('app_version'),
  customer_user_id: nullableText('customer_user_id'),
});

export const matchTypeSchema = z.enum(['id_matching', 'probabilistic', 'organic']);
export type MatchType = z.infer<typeof matchTypeSchema>;

export const attributionSchema = z.strictObject({
  media_source: z.string().min(1),
  campaign: z.string().nullable(),
  adset: z.string().nullable(),
  ad: z.string().nullable(),
  site_id: z.string().nullable(),
  match_type: matchTypeSchema,
  touch_type: z.enum(['click', 'impression']).nullable(),
  touch_time: isoInstant.nullable(),
  install_time: isoInstant.nullable(),
});

export const attributedEventSchema = rawEventSchema.extend({
  attribution: attributionSchema.optional(),
  is_reinstall: z.boolean().optional(),
});

export type Device = z.infer<typeof deviceSchema>;
export type ClickTouch = z.infer<typeof clickTouchSchema>;
export type RawEvent = z.infer<typeof rawEventSchema>;
export type Attribution = z.infer<typeof attributionSchema>;
export type AttributedEvent = z.infer<typeof attributedEventSchema>;

/** Contracts §4: `<app_id>:<advertising_id>`, or `<app_id>:<ip>` without one. */
export function eventKey(event: Pick<RawEvent, 'app_id' | 'ip' | 'device'>): string {
  return `${event.app_id}:${event.device.advertising_id ?? event.ip ?? ''}`;
}
