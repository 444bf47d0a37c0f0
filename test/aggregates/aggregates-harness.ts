import { eventKey, type OutgoingRecord } from '@mmp/common';
import { randomBytes } from 'node:crypto';
import { closeRedis, createRedis } from '@mmp/common';
import { REDIS_URL, uniqueId } from '../support/infra';
import { createTopic, produce, quietLogger } from '../support/kafka';
import { waitFor } from '../support/infra';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';

/** A UTC day `daysAgo` days before today, YYYY-MM-DD. */
export const dayAgo = (daysAgo: number): string => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

export interface Touch {
  media_source: string;
  campaign: string | null;
}

const organic: Touch = { media_source: 'organic', campaign: null };

/** An event as attribution writes it to events.attributed.v1 (contracts §4). */
export function attributedEvent(
  appId: string,
  type: 'click' | 'impression' | 'install' | 'in_app_event' | 'session',
  day: string,
  options: {
    touch?: Touch;
    reinstall?: boolean;
    revenue?: number;
    currency?: string;
    eventId?: string;
    advertisingId?: string;
  } = {},
): Record<string, unknown> {
  const touch = options.touch ?? organic;
  const time = `${day}T${String(Math.floor(Math.random() * 24)).padStart(2, '0')}:00:00.000Z`;
  const event: Record<string, unknown> = {
    schema: 'mmp.event/1',
    event_id: options.eventId ?? `e_${randomBytes(9).toString('base64url')}`,
    app_id: appId,
    type,
    event_time: time,
    received_at: time,
    ip: '203.0.113.7',
    user_agent: 'Game/1.0',
    device: {
      platform: type === 'click' || type === 'impression' ? null : 'android',
      advertising_id: options.advertisingId ?? randomBytes(8).toString('hex'),
    },
    event_name: type === 'in_app_event' ? 'purchase' : null,
    revenue: options.revenue ?? null,
    currency: options.currency ?? null,
    app_version: null,
    customer_user_id: null,
  };
  if (type === 'click' || type === 'impression') {
    event.click = { ...touch, adset: null, ad: null, site_id: null, click_id: null };
  } else {
    const matched = touch.media_source !== 'organic';
    event.attribution = {
      ...touch,
      adset: null,
      ad: null,
      site_id: null,
      match_type: matched ? 'id_matching' : 'organic',
      touch_type: matched ? 'click' : null,
      touch_time: matched ? time : null,
      install_time: type === 'install' ? time : `${day}T00:00:00.000Z`,
    };
    if (type === 'install') event.is_reinstall = options.reinstall ?? false;
  }
  return event;
}

export const recordOf = (event: Record<string, unknown>): OutgoingRecord => ({
  key: eventKey(event as never),
  value: JSON.stringify(event),
});

export interface AggregatesUnderTest {
  topic: string;
  env: Record<string, string>;
  start(): Promise<ServiceProcess>;
  /** Deletes the test's Redis keys. */
  cleanUp(): Promise<void>;
}

/** An aggregates service on a topic, group and Redis prefix of its own. */
export async function aggregatesUnderTest(): Promise<AggregatesUnderTest> {
  const topic = await createTopic(12, 'agg');
  const prefix = uniqueId('test:agg');
  const env = {
    AGGREGATES_TOPIC: topic,
    AGGREGATES_GROUP: uniqueId('aggregates'),
    AGGREGATES_KEY_PREFIX: prefix,
    LOG_LEVEL: 'info',
  };
  return {
    topic,
    env,
    start: () => startServiceProcess('aggregates', env),
    async cleanUp() {
      const redis = createRedis(REDIS_URL, quietLogger);
      await redis.connect();
      try {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(keys);
      } finally {
        await closeRedis(redis);
      }
    },
  };
}

export async function getReport(
  service: ServiceProcess,
  appId: string,
  query: Record<string, string>,
  token?: string,
): Promise<{ status: number; contentType: string | null; text: string; json(): any }> {
  const response = await fetch(`${service.url}/v1/apps/${appId}/aggregates?${new URLSearchParams(query)}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text, json: () => JSON.parse(text) };
}

/**
 * Writes one click per partition after everything already there, each under its own media
 * source, and waits until the report shows all of them. Partitions are consumed in order,
 * so by then everything written before was counted, whatever the group managed to commit.
 */
export async function drainThroughMarkers(
  service: () => ServiceProcess,
  topic: string,
  app: { appId: string; token: string },
  day: string,
  timeoutMs = 60_000,
): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const markers = Array.from({ length: 12 }, (_, partition) => ({
    ...recordOf(
      attributedEvent(app.appId, 'click', day, { touch: { media_source: `marker-${tag}-${partition}`, campaign: null } }),
    ),
    partition,
  }));
  await produce(topic, markers);
  let seen = 0;
  try {
    await waitFor(
      'a marker from every partition',
      async () => {
        const rows = (await getReport(service(), app.appId, { from: day, to: day }, app.token)).json().rows as {
          media_source: string;
        }[];
        seen = rows.filter((row) => row.media_source.startsWith(`marker-${tag}-`)).length;
        return seen === markers.length;
      },
      timeoutMs,
      100,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (${seen} of ${markers.length} seen)\n${service().output().slice(-3000)}`);
  }
}

/** The rows without the markers of drainThroughMarkers. */
export const withoutMarkers = <Row extends { media_source?: string }>(rows: Row[]): Row[] =>
  rows.filter((row) => !row.media_source?.startsWith('marker-'));
