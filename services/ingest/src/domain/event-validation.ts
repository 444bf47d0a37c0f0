import { EVENT_SCHEMA, FIELD_RULES, type RawEvent, type TextField } from '@mmp/common';
import { EVENT_TIME_FUTURE_MS, EVENT_TIME_PAST_MS } from './dedupe-expiry';
import { isIpAddress, normalizeIp } from './ip';
import { parseRfc3339 } from './rfc3339';

export const MAX_EVENTS_PER_BATCH = FIELD_RULES.batch.max;
export const MAX_ISSUES = 100;
export const MAX_USER_AGENT = FIELD_RULES.text.user_agent.max;

/** What the request adds to every event it carries. */
export interface IntakeContext {
  appId: string;
  /** Epoch ms of the request's arrival: the event_time window is measured from it. */
  now: number;
  remoteIp: string | null;
  userAgent: string | null;
}

export interface EventIssue {
  /** The event's position in the batch; null for a problem with the batch itself. */
  index: number | null;
  path: string;
  message: string;
}

export interface AcceptedEvent {
  event: RawEvent;
  eventTimeMs: number;
}

export type BatchValidation = { ok: true; events: AcceptedEvent[] } | { ok: false; issues: EventIssue[]; submitted: number };

const EVENT_ID = FIELD_RULES.eventId;
const CURRENCY = FIELD_RULES.currency;
const SDK_TYPES = new Set<string>(FIELD_RULES.sdkTypes);
const PLATFORMS = new Set<unknown>(FIELD_RULES.platforms);
const EVENT_FIELDS = new Set([
  'event_id',
  'type',
  'event_time',
  'device',
  'ip',
  'user_agent',
  'app_version',
  'event_name',
  'revenue',
  'currency',
  'customer_user_id',
]);
const DEVICE_FIELDS = new Set(['platform', 'advertising_id', 'os_version', 'model']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Contracts §3: one event object or `{"events": [...]}` with 1 to 1000 events. All or
 * nothing: any problem rejects the whole batch, and at most 100 problems are named.
 */
export function validateBatch(body: unknown, context: IntakeContext): BatchValidation {
  let items: unknown[];
  if (isObject(body) && Object.prototype.hasOwnProperty.call(body, 'events')) {
    const issues: EventIssue[] = [];
    for (const key of Object.keys(body)) if (key !== 'events') issues.push({ index: null, path: key, message: 'unknown field' });
    const events = body.events;
    if (!Array.isArray(events) || events.length < 1 || events.length > MAX_EVENTS_PER_BATCH) {
      issues.push({ index: null, path: 'events', message: `must be an array of 1 to ${MAX_EVENTS_PER_BATCH} events` });
    }
    if (issues.length > 0) return { ok: false, issues, submitted: Array.isArray(events) ? Math.max(events.length, 1) : 1 };
    items = events as unknown[];
  } else {
    items = [body];
  }

  const issues: EventIssue[] = [];
  const events: AcceptedEvent[] = new Array(items.length);
  const receivedAt = new Date(context.now).toISOString();
  for (let index = 0; index < items.length && issues.length < MAX_ISSUES; index++) {
    const accepted = validateEvent(items[index], index, context, issues, receivedAt);
    if (accepted) events[index] = accepted;
  }
  if (issues.length > 0) return { ok: false, issues: issues.slice(0, MAX_ISSUES), submitted: items.length };
  return { ok: true, events };
}

/** One event against every field rule; problems go to `issues`, and the shaped raw event comes back when there are none. */
export function validateEvent(
  input: unknown,
  index: number,
  context: IntakeContext,
  issues: EventIssue[],
  receivedAt = new Date(context.now).toISOString(),
): AcceptedEvent | undefined {
  const before = issues.length;
  const problem = (path: string, message: string) => issues.push({ index, path, message });
  if (!isObject(input)) {
    problem('', 'must be an event object');
    return undefined;
  }
  for (const key in input) if (!EVENT_FIELDS.has(key)) problem(key, 'unknown field');

  const eventId = input.event_id;
  if (typeof eventId !== 'string' || !EVENT_ID.test(eventId)) problem('event_id', 'required: 8 to 64 of A-Z a-z 0-9 _ -');

  const type = input.type;
  const typeValid = typeof type === 'string' && SDK_TYPES.has(type);
  if (!typeValid) problem('type', 'required: install, in_app_event or session');

  let eventTimeMs = NaN;
  const eventTime = input.event_time;
  if (typeof eventTime !== 'string') {
    problem('event_time', 'required: an RFC 3339 date-time');
  } else {
    const parsed = parseRfc3339(eventTime);
    if (parsed === undefined) problem('event_time', 'must be an RFC 3339 date-time such as 2026-11-22T10:00:00Z');
    else if (parsed > context.now + EVENT_TIME_FUTURE_MS) problem('event_time', 'must be at most 10 minutes in the future');
    else if (parsed < context.now - EVENT_TIME_PAST_MS) problem('event_time', 'must be at most 30 days in the past');
    else eventTimeMs = parsed;
  }

  const device = input.device;
  let platform: 'android' | 'ios' | undefined;
  let advertisingId: string | null = null;
  let osVersion: string | null = null;
  let model: string | null = null;
  if (!isObject(device)) {
    problem('device', 'required: an object with platform');
  } else {
    for (const key in device) if (!DEVICE_FIELDS.has(key)) problem(`device.${key}`, 'unknown field');
    if (PLATFORMS.has(device.platform)) platform = device.platform as 'android' | 'ios';
    else problem('device.platform', 'required: android or ios');
    advertisingId = optionalText(device.advertising_id, 'device.advertising_id', 'advertising_id', problem);
    osVersion = optionalText(device.os_version, 'device.os_version', 'os_version', problem);
    model = optionalText(device.model, 'device.model', 'model', problem);
  }

  let ip = context.remoteIp;
  if (input.ip !== undefined && input.ip !== null) {
    if (typeof input.ip !== 'string' || input.ip.length > FIELD_RULES.text.ip.max || !isIpAddress(input.ip))
      problem('ip', 'must be an IPv4 or IPv6 address');
    else ip = normalizeIp(input.ip);
  }

  let userAgent = context.userAgent;
  if (input.user_agent !== undefined && input.user_agent !== null) {
    userAgent = optionalText(input.user_agent, 'user_agent', 'user_agent', problem);
  }

  const appVersion = optionalText(input.app_version, 'app_version', 'app_version', problem);
  const customerUserId = optionalText(input.customer_user_id, 'customer_user_id', 'customer_user_id', problem);

  let eventName: string | null = null;
  let revenue: number | null = null;
  let currency: string | null = null;
  if (type === 'in_app_event') {
    const { min, max } = FIELD_RULES.text.event_name;
    if (typeof input.event_name !== 'string' || input.event_name.length < min || input.event_name.length > max) {
      problem('event_name', `required for in_app_event: ${min} to ${max} characters`);
    } else {
      eventName = input.event_name;
    }
    if (input.revenue !== undefined && input.revenue !== null) {
      const value = input.revenue;
      if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > FIELD_RULES.maxAbsRevenue) {
        problem('revenue', 'must be a finite number with absolute value at most 1e9');
      } else {
        revenue = value;
      }
    }
    if (input.currency !== undefined && input.currency !== null) {
      if (typeof input.currency !== 'string' || !CURRENCY.test(input.currency))
        problem('currency', 'must be an ISO 4217 code such as USD');
      else currency = input.currency;
    } else if (input.revenue !== undefined && input.revenue !== null) {
      problem('currency', 'required when revenue is given');
    }
  } else if (typeValid) {
    for (const field of ['event_name', 'revenue', 'currency'] as const) {
      if (input[field] !== undefined && input[field] !== null) problem(field, 'allowed only when type is in_app_event');
    }
  }

  if (issues.length > before) return undefined;
  return {
    eventTimeMs,
    event: {
      schema: EVENT_SCHEMA,
      event_id: eventId as string,
      app_id: context.appId,
      type: type as RawEvent['type'],
      event_time: new Date(eventTimeMs).toISOString(),
      received_at: receivedAt,
      ip,
      user_agent: userAgent,
      device: { platform: platform!, advertising_id: advertisingId, os_version: osVersion, model },
      event_name: eventName,
      revenue,
      currency,
      app_version: appVersion,
      customer_user_id: customerUserId,
    },
  };
}

/** An optional string field within its FIELD_RULES limits; null and absent are the same. */
function optionalText(
  value: unknown,
  path: string,
  field: TextField,
  problem: (path: string, message: string) => void,
): string | null {
  if (value === undefined || value === null) return null;
  const { min, max } = FIELD_RULES.text[field];
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    problem(path, min > 0 ? `must be a string of ${min} to ${max} characters` : `must be a string of at most ${max} characters`);
    return null;
  }
  return value;
}

/** The request's User-Agent as the contract stores it. */
export const userAgentOf = (header: string | undefined): string | null => (header ? header.slice(0, MAX_USER_AGENT) : null);
