import { z } from 'zod';

export const APP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const APPS_KV_PREFIX = 'mmp/apps/';

/** Contracts §2: the value under `mmp/apps/<app_id>` in Consul KV. */
export const appRecordSchema = z.object({
  app_id: z.string().regex(APP_ID_PATTERN),
  sdk_key: z.string().min(1),
  api_token_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex sha256 of the API token'),
  store_url: z.string().url().nullable().optional(),
  click_lookback_hours: z
    .number()
    .int()
    .positive()
    .max(24 * 90)
    .default(168),
  /** 0 turns probabilistic matching off for the app (contracts §2). */
  probabilistic_lookback_hours: z
    .number()
    .int()
    .nonnegative()
    .max(24 * 90)
    .default(24),
  /** 0 turns view-through attribution off for the app (contracts §2). */
  view_through_lookback_hours: z
    .number()
    .int()
    .nonnegative()
    .max(24 * 90)
    .default(24),
  reattribution_window_days: z.number().int().positive().max(3650).default(90),
});

export type AppRecord = z.infer<typeof appRecordSchema>;
