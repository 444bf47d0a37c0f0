import { rawEventSchema } from '@mmp/common';
import type { z } from 'zod';

/** Contracts §4: the raw events this service reads, clicks and impressions included. */
export const rawInputSchema = rawEventSchema;

export type RawInput = z.infer<typeof rawInputSchema>;
