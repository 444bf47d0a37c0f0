import { attributedEventSchema, attributionSchema, EVENT_TYPES, jsonDecoder } from '@mmp/common';
import { z } from 'zod';

/**
 * The attributed event as contracts §4 and §6 describe it, impressions included. NOTE:
 * libs/common's schema may still lack `impression` (type and touch_type); this widens
 * it here only, and is a no-op once it has them.
 */
export const rawReportsEventSchema = attributedEventSchema.extend({
  type: z.enum([...new Set([...EVENT_TYPES, 'impression'] as const)] as [string, ...string[]]),
  attribution: attributionSchema.extend({ touch_type: z.enum(['click', 'impression']).nullable() }).optional(),
});

export type RawReportsEvent = z.infer<typeof rawReportsEventSchema>;

export const rawReportsEventDecoder = jsonDecoder(rawReportsEventSchema);
