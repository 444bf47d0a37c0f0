import { APP_ID_PATTERN, APPS_KV_PREFIX, appRecordSchema, type AppRecord } from '@mmp/common';
import { createHash, randomBytes } from 'node:crypto';
import { putKv } from '../consul/consul';

export const DEMO_APP_ID = 'com.example.demo';

export interface SeededApp {
  record: AppRecord;
  /** Shown once; Consul keeps only its sha256 (contracts §2). */
  apiToken: string;
}

/** A demo app record with fresh keys. Pure apart from the randomness it is given. */
export function demoApp(appId: string = DEMO_APP_ID, random: (bytes: number) => Buffer = randomBytes): SeededApp {
  if (!APP_ID_PATTERN.test(appId)) throw new Error(`app id ${appId} does not match ${APP_ID_PATTERN}`);
  const apiToken = `t_${random(24).toString('hex')}`;
  const record = appRecordSchema.parse({
    app_id: appId,
    sdk_key: `k_${random(16).toString('hex')}`,
    api_token_sha256: createHash('sha256').update(apiToken).digest('hex'),
    store_url: `https://play.google.com/store/apps/details?id=${appId}`,
    click_lookback_hours: 168,
    probabilistic_lookback_hours: 24,
  });
  return { record, apiToken };
}

export async function seed(consul: string, app: SeededApp): Promise<string> {
  const key = `${APPS_KV_PREFIX}${app.record.app_id}`;
  await putKv(consul, key, JSON.stringify(app.record));
  return key;
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** Shell assignments for scripts (scripts/start.sh reads them). */
export function shellExports(app: SeededApp): string {
  return [
    `MMP_DEMO_APP_ID=${quote(app.record.app_id)}`,
    `MMP_DEMO_SDK_KEY=${quote(app.record.sdk_key)}`,
    `MMP_DEMO_API_TOKEN=${quote(app.apiToken)}`,
  ].join('\n');
}
