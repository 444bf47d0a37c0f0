import { jsonDecoder, StreamTransport, TOPICS, type FleetContext, type ServiceDefinition } from '@mmp/common';
import { z } from 'zod';
import { AttributionModule, runtimeOf } from './app.module';
import { rawInputSchema, type RawInput } from './consumer/raw-input';

export const attributionConfig = {
  /** The consumer group (contracts: `attribution`); tests run their own. */
  ATTRIBUTION_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .default('attribution'),
  /** Prefix of every Redis key of the service's state (touches, devices, decisions). */
  ATTRIBUTION_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,60}$/)
    .default('mmp:attr'),
  /** Contracts §5: clock skew allowed between ingest instances, at most 2 s. */
  ATTRIBUTION_GRACE_MS: z.coerce.number().int().min(0).max(2000).default(2000),
  /** Decisions are kept this long for redelivery and replay; longer than the raw topic's retention. */
  ATTRIBUTION_DECISION_TTL_DAYS: z.coerce.number().int().min(1).max(400).default(30),
};

export type AttributionConfig = z.infer<z.ZodObject<typeof attributionConfig>>;

export const AttributionService: ServiceDefinition<typeof attributionConfig> = {
  service: 'attribution',
  ownConfig: attributionConfig,
  module: () => AttributionModule,
  transports: (context: FleetContext<AttributionConfig>) => {
    const runtime = runtimeOf(context);
    const transport = new StreamTransport<RawInput>(context, {
      groupId: context.config.own.ATTRIBUTION_GROUP,
      topic: TOPICS.raw,
      decoder: jsonDecoder(rawInputSchema),
      watermark: { store: runtime.watermark, eventTimeOf: (event) => Date.parse(event.received_at) },
    });
    runtime.transport = transport as StreamTransport<unknown>;
    return [transport];
  },
};
