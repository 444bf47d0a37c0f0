import { FIELD_RULES, textField } from '@mmp/common';
import { z } from 'zod';
import { EVENT_TIME_FUTURE_MS, EVENT_TIME_PAST_MS } from './dedupe-expiry';
import { isIpAddress } from './ip';
import { parseRfc3339 } from './rfc3339';

/** Optional in the contract's sense: absent and null are the same. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/**
 * Contracts §3 as a zod schema of one SDK event, built from the same FIELD_RULES as the
 * hand-written validator in event-validation.ts (which stays on the hot path: it is
 * faster and names every problem the contract's way). A property test holds the two to
 * the same verdicts; clients and documentation can use this one.
 */
export function sdkEventSchema(now: number) {
  const forbiddenOutsideInApp = ['event_name', 'revenue', 'currency'] as const;
  return z
    .strictObject({
      event_id: z.string().regex(FIELD_RULES.eventId),
      type: z.enum(FIELD_RULES.sdkTypes),
      event_time: z.string().refine((text) => {
        const at = parseRfc3339(text);
        return at !== undefined && at <= now + EVENT_TIME_FUTURE_MS && at >= now - EVENT_TIME_PAST_MS;
      }),
      device: z.strictObject({
        platform: z.enum(FIELD_RULES.platforms),
        advertising_id: optional(textField('advertising_id')),
        os_version: optional(textField('os_version')),
        model: optional(textField('model')),
      }),
      ip: optional(textField('ip').refine(isIpAddress)),
      user_agent: optional(textField('user_agent')),
      app_version: optional(textField('app_version')),
      event_name: optional(textField('event_name')),
      revenue: optional(
        z
          .number()
          .finite()
          .refine((value) => Math.abs(value) <= FIELD_RULES.maxAbsRevenue),
      ),
      currency: optional(z.string().regex(FIELD_RULES.currency)),
      customer_user_id: optional(textField('customer_user_id')),
    })
    .superRefine((event, context) => {
      if (event.type === 'in_app_event') {
        if (event.event_name == null) context.addIssue({ code: 'custom', path: ['event_name'], message: 'required' });
        if (event.revenue != null && event.currency == null)
          context.addIssue({ code: 'custom', path: ['currency'], message: 'required when revenue is given' });
        return;
      }
      for (const field of forbiddenOutsideInApp)
        if (event[field] != null)
          context.addIssue({ code: 'custom', path: [field], message: 'allowed only when type is in_app_event' });
    });
}
