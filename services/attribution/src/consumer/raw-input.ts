import { EVENT_TYPES, rawEventSchema } from '@mmp/common';
import { z } from 'zod';

/**
 * Contracts §4 raw event, with impressions: the shared schema with `impression` among the
 * types (added here until libs/common's EVENT_TYPES carries it; the union is harmless after).
 */
export const rawInputSchema = rawEventSchema.extend({
  type: z.enum([...new Set([...EVENT_TYPES, 'impression'])] as [string, ...string[]]),
});

export type RawInput = z.infer<typeof rawInputSchema>;
