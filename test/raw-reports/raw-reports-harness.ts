import { bootstrapService, eventKey, TOPICS, type RunningService } from '@mmp/common';
import { RawReportsService, type RawReportsConfig } from '@mmp/raw-reports';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueId, waitFor } from '../support/infra';
import { committedOffsets, endOffsets, produce, testClient } from '../support/kafka';

export type RunningRawReports = RunningService<RawReportsConfig>;

export const newLakeRoot = (): string => mkdtempSync(join(tmpdir(), 'mmp-raw-lake-'));

/** Env of one test's raw-reports: its own lake, consumer group and Redis prefix. */
export interface LakeEnv {
  RAW_REPORTS_DIR: string;
  RAW_REPORTS_GROUP: string;
  RAW_REPORTS_REDIS_PREFIX: string;
}

/** A group of its own that starts at the topic's end now, so other tests' history is not ours to read. */
export async function newLakeEnv(): Promise<LakeEnv> {
  const group = uniqueId('raw-reports-test');
  await moveGroupTo(group, Date.now());
  return { RAW_REPORTS_DIR: newLakeRoot(), RAW_REPORTS_GROUP: group, RAW_REPORTS_REDIS_PREFIX: `test:${group}` };
}

/** Sets a group (with no running member) to the first offsets at or after a time: a replay. */
export async function moveGroupTo(group: string, timestampMs: number): Promise<void> {
  const admin = testClient().admin();
  await admin.connect();
  try {
    await admin.resetOffsetsToTime(group, TOPICS.attributed, timestampMs);
  } finally {
    await admin.disconnect();
  }
}

export function startRawReports(env: LakeEnv & Record<string, string>): Promise<RunningRawReports> {
  return bootstrapService(RawReportsService, {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'error',
    INSTANCE_ID: uniqueId('raw-reports-test'),
    ...env,
  });
}

export interface TestEvent {
  event_id: string;
  app_id: string;
  type: 'install' | 'in_app_event' | 'click' | 'impression' | 'session';
  event_time: string;
  [field: string]: unknown;
}

let counter = 0;
export const newEventId = (prefix = 'ev'): string =>
  `${prefix}_${Date.now().toString(36)}_${(counter++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** An attributed event of contracts §4, as attribution would write it. */
export function attributed(
  appId: string,
  type: TestEvent['type'],
  eventTime: string,
  overrides: Record<string, unknown> = {},
): TestEvent {
  const touch = type === 'click' || type === 'impression';
  const attributedType = type === 'install' || type === 'in_app_event' || type === 'session';
  return {
    schema: 'mmp.event/1',
    event_id: newEventId(),
    app_id: appId,
    type,
    event_time: eventTime,
    received_at: eventTime,
    ip: '198.51.100.4',
    user_agent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8)',
    device: { platform: 'android', advertising_id: `gaid-${Math.random().toString(36).slice(2, 10)}` },
    ...(touch
      ? { click: { media_source: 'net_a', campaign: 'summer', adset: null, ad: 'ad1', site_id: null, click_id: 'ck-1' } }
      : {}),
    ...(attributedType
      ? {
          attribution: {
            media_source: 'net_a',
            campaign: 'summer',
            adset: null,
            ad: 'ad1',
            site_id: 'site9',
            match_type: 'id_matching',
            touch_type: 'click',
            touch_time: '2026-11-01T00:00:00.000Z',
            install_time: eventTime,
          },
        }
      : {}),
    ...(type === 'install' ? { is_reinstall: false } : {}),
    event_name: type === 'in_app_event' ? 'purchase' : null,
    revenue: type === 'in_app_event' ? 1.5 : null,
    currency: type === 'in_app_event' ? 'EUR' : null,
    app_version: '3.1.0',
    customer_user_id: null,
    ...overrides,
  };
}

/** Writes events to events.attributed.v1 as attribution does, keyed by contracts §4. */
export async function produceAttributed(events: TestEvent[]): Promise<void> {
  await produce(
    TOPICS.attributed,
    events.map((event) => ({ key: eventKey(event as never), value: JSON.stringify(event) })),
  );
}

/** Waits until the group has committed everything written to the topic so far. */
export async function waitConsumed(group: string, timeoutMs = 60_000): Promise<void> {
  const ends = await endOffsets(TOPICS.attributed);
  await waitFor(
    `group ${group} to consume ${TOPICS.attributed}`,
    async () => {
      const committed = await committedOffsets(group, TOPICS.attributed);
      return [...ends].every(([partition, end]) => (committed.get(partition) ?? -1n) >= end);
    },
    timeoutMs,
    200,
  );
}

export interface Export {
  status: number;
  contentType: string | null;
  text: string;
}

export async function exportRaw(baseUrl: string, appId: string, kind: string, query: string, token?: string): Promise<Export> {
  const response = await fetch(`${baseUrl}/v1/apps/${appId}/raw/${kind}?${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** A strict RFC 4180 reader for the tests: quoted fields, doubled quotes, CRLF records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let at = 0;
  let quoted = false;
  while (at < text.length) {
    const char = text[at];
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') ((field += '"'), (at += 2));
      else if (char === '"') ((quoted = false), at++);
      else ((field += char), at++);
    } else if (char === '"' && field === '') ((quoted = true), at++);
    else if (char === ',') (record.push(field), (field = ''), at++);
    else if (char === '\r' && text[at + 1] === '\n')
      (record.push(field), records.push(record), (record = []), (field = ''), (at += 2));
    else if (char === '\n' || char === '\r' || char === '"')
      throw new Error(`not RFC 4180 at ${at}: ${JSON.stringify(text.slice(at - 20, at + 20))}`);
    else ((field += char), at++);
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length > 0) (record.push(field), records.push(record));
  return records;
}

/** The event_ids of a JSON-lines export, with the check that they come in time order. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Every row line stored for an app's kind, over all days and segments: what the lake itself holds. */
export function lakeLines(root: string, appId: string, kind: string): string[] {
  const base = join(root, appId, kind);
  if (!existsSync(base)) return [];
  const files = (readdirSync(base, { recursive: true }) as string[]).filter(
    (path) => path.endsWith('.jsonl') && !path.includes('.aside-'),
  );
  return files.flatMap((path) =>
    readFileSync(join(base, path), 'utf8')
      .split('\n')
      .filter((line) => line.length > 0),
  );
}
