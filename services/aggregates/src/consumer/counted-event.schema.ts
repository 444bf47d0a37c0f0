import { attributionSchema, clickTouchSchema, rawEventSchema } from '@mmp/common';
import { z } from 'zod';

/**
 * The part of an attributed event (contracts §4) that counting reads, with the fleet's
 * own field rules. Other fields are not checked here: a field added to the stream
 * (a new touch type, say) must not send countable events to the DLQ.
 */
export const countedEventSchema = z.object({
  schema: rawEventSchema.shape.schema,
  event_id: rawEventSchema.shape.event_id,
  app_id: rawEventSchema.shape.app_id,
  type: rawEventSchema.shape.type,
  event_time: rawEventSchema.shape.event_time,
  click: z
    .object({ media_source: clickTouchSchema.shape.media_source, campaign: clickTouchSchema.shape.campaign })
    .nullable()
    .optional(),
  attribution: z
    .object({
      media_source: attributionSchema.shape.media_source,
      campaign: attributionSchema.shape.campaign,
      install_time: attributionSchema.shape.install_time.optional(),
    })
    .nullable()
    .optional(),
  is_reinstall: z.boolean().nullable().optional(),
  revenue: rawEventSchema.shape.revenue.optional(),
  currency: rawEventSchema.shape.currency.optional(),
});

export type CountedEvent = z.infer<typeof countedEventSchema>;
