import type { ServiceDefinition } from '@mmp/common';
import { z } from 'zod';
import { IngestModule } from './app.module';
import { parseProxyTrust } from './domain/ip';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@mmp/common';

export const ingestConfig = {
  /** Where spool directories live: one per process, plus those adopted from processes that are gone. */
  SPOOL_DIR: z.string().min(1).default('.run/spool'),
  SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(1024 ** 3),
  /**
   * Off by default: the client's address is the socket's peer. Behind a load balancer,
   * `true` believes the left-most X-Forwarded-For entry, a number n the entry n proxies back.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((text, context) => {
      const trust = parseProxyTrust(text);
      if (trust === undefined) {
        context.addIssue({ code: 'custom', message: 'must be false, true or a number of proxies' });
        return z.NEVER;
      }
      return trust;
    }),
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
