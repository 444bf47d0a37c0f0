import type { ServiceDefinition } from '@mmp/common';
import { z } from 'zod';
import { IngestModule } from './app.module';
import { DEFAULT_MAX_MESSAGE_BYTES } from './producer/send-budget';

export const ingestConfig = {
  /** Where spool directories live: one per process, plus those adopted from processes that are gone. */
  SPOOL_DIR: z.string().min(1).default('.run/spool'),
  SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(1024 ** 3),
  KAFKA_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** The broker's (and topic's) message size limit: `message.max.bytes`, Kafka's default unless the topic says otherwise. */
  KAFKA_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .default(DEFAULT_MAX_MESSAGE_BYTES),
};

export type IngestConfig = z.infer<z.ZodObject<typeof ingestConfig>>;

export const IngestService: ServiceDefinition<typeof ingestConfig> = {
  service: 'ingest',
  ownConfig: ingestConfig,
  bodyLimit: 1024 * 1024,
  module: () => IngestModule,
};
