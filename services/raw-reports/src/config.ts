import { z } from 'zod';

/** raw-reports' own environment, validated with the shared keys at boot. */
export const rawReportsConfig = {
  /** Root of the raw-data lake: `<root>/<app_id>/<kind>/<yyyy>/<mm>/<dd>/<segment>.jsonl`. */
  RAW_REPORTS_DIR: z.string().min(1).default('.run/raw-reports'),
  /** Days kept; a day older than this (in UTC days before today) is deleted, and rows for it are not written. */
  RAW_REPORTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Consumer group on events.attributed.v1 (contracts §1: `raw-reports`); tests give their own. */
  RAW_REPORTS_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/)
    .default('raw-reports'),
  /** Prefix of the Redis keys of the event_id index and the compaction locks. */
  RAW_REPORTS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,100}$/)
    .default('mmp:raw'),
  /** How long a day's event_id index outlives its last write: at least the stream's replay horizon (Kafka retention). */
  RAW_REPORTS_INDEX_TTL_DAYS: z.coerce.number().int().min(1).max(366).default(8),
  /** A day with at least this many segments is compacted into one. */
  RAW_REPORTS_COMPACT_MIN_SEGMENTS: z.coerce.number().int().min(2).max(10_000).default(16),
  RAW_REPORTS_COMPACT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  RAW_REPORTS_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
};

export type RawReportsConfig = z.infer<z.ZodObject<typeof rawReportsConfig>>;
