import type { ServiceDefinition } from '@mmp/common';
import { z } from 'zod';
import { IngestModule } from './app.module';

export const ingestConfig = {
  /** Where spool directories live: one per process, plus those adopted from processes that are gone. */
  SPOOL_DIR: z.string().min(1).default('.run/spool'),
  SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(1024 ** 3),
  KAFKA_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
};

export type IngestConfig = z.infer<z.ZodObject<typeof ingestConfig>>;

export const IngestService: ServiceDefinition<typeof ingestConfig> = {
  service: 'ingest',
  ownConfig: ingestConfig,
  bodyLimit: 1024 * 1024,
  module: () => IngestModule,
};
