import { z } from 'zod';

/** Contracts §4: the messages on events.raw.v1 and events.attributed.v1. One schema, both directions. */
export const EVENT_SCHEMA = 'mmp.event/1';
export const EVENT_TYPES = ['click', 'impression', 'install', 'in_app_event', 'session'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const isoInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be an ISO 8601 UTC instant');
const nullableText = (max: number) => z.string().max(max).nullable();

export const deviceSchema = z.strictObject({
  platform: z.enum(['android', 'ios']).nullable(),
  advertising_id: z.string().min(1).max(64).nullable().optional(),
  os_version: z.string().max(64).nullable().optional(),
  model: z.string().max(64).nullable().optional(),
});

export const clickTouchSchema = z.strictObject({
  media_source: z.string().min(1).max(100),
  campaign: nullableText(100),
  adset: nullableText(100),
  ad: nullableText(100),
  site_id: nullableText(100),
  click_id: nullableText(100),
});

export const rawEventSchema = z.strictObject({
  schema: z.literal(EVENT_SCHEMA),
  event_id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  app_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  type: z.enum(EVENT_TYPES),
  event_time: isoInstant,
  received_at: isoInstant,
  ip: z.string().max(64).nullable(),
  user_agent: nullableText(512),
  device: deviceSchema,
  click: clickTouchSchema.optional(),
  event_name: nullableText(100),
  revenue: z.number().finite().nullable(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullable(),
  app_version: nullableText(32),
  customer_user_id: nullableText(128),
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
