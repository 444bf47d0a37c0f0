import { jsonDecoder, StreamTransport, TOPICS, type ServiceDefinition } from '@mmp/common';
import { z } from 'zod';
import { AggregatesModule } from './app.module';
import { countedEventSchema } from './consumer/counted-event.schema';

export const aggregatesConfig = {
  /** The consumer group and topic of contracts §4/§7; tests give their own. */
  AGGREGATES_GROUP: z.string().min(1).default('aggregates'),
  AGGREGATES_TOPIC: z.string().min(1).default(TOPICS.attributed),
  /** Prefix of every Redis key; tests (and a shadow reader) use their own. */
  AGGREGATES_KEY_PREFIX: z.string().min(1).default('mmp:agg'),
  /** How long after its day an event_id is remembered: the horizon of exactly-once under replay. */
  COUNTED_IDS_RETENTION_DAYS: z.coerce.number().int().min(2).max(3650).default(45),
  /** How long after its day a counter is kept. */
  COUNTERS_RETENTION_DAYS: z.coerce.number().int().min(2).max(36500).default(400),
};

export type AggregatesConfig = z.infer<z.ZodObject<typeof aggregatesConfig>>;

export const AggregatesService: ServiceDefinition<typeof aggregatesConfig> = {
  service: 'aggregates',
  ownConfig: aggregatesConfig,
  module: () => AggregatesModule,
  transports: (fleet) => [
    new StreamTransport(fleet, {
      groupId: fleet.config.own.AGGREGATES_GROUP,
      topic: fleet.config.own.AGGREGATES_TOPIC,
      pattern: TOPICS.attributed,
      decoder: jsonDecoder(countedEventSchema),
    }),
  ],
};
