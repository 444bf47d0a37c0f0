import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AppRecord } from '@mmp/common';
import { GiveUp, unexpectedExit } from './watched-processes';

export { GiveUp } from './watched-processes';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const CONSUL = 'http://127.0.0.1:8500';
export const KAFKA_BROKERS = ['127.0.0.1:9092'];
export const REDIS_URL = 'redis://127.0.0.1:6379';

const run = promisify(execFile);

/** Stops or starts one part of the real infrastructure through the project's own script. */
export async function infra(
  action: 'start' | 'stop' | 'restart',
  component: 'kafka' | 'consul' | 'redis' | 'statsd',
): Promise<void> {
  await run('bash', [resolve(ROOT, 'infra/infra.sh'), action, component], { cwd: ROOT, timeout: 180_000 });
}

export function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => (socket.destroy(), done(false)));
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls until the probe returns a value. A probe's ordinary error means "not yet" and is
 * reported if time runs out; a `GiveUp` error, or the death of a watched process, fails at once.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    // A process the test depends on died: nothing it waits for can happen any more.
    const died = unexpectedExit();
    if (died) throw new Error(`gave up waiting for ${what}: ${died}`);
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
      );
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}

export const uniqueId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export interface TestApp {
  record: AppRecord;
  apiToken: string;
}

/** Registers an app in Consul KV (contracts §2) and returns it with its plain API token. */
export async function putApp(overrides: Partial<AppRecord> = {}): Promise<TestApp> {
  const apiToken = `t_${randomBytes(12).toString('hex')}`;
  const record: AppRecord = {
    app_id: uniqueId('com.test.app'),
    sdk_key: `k_${randomBytes(12).toString('hex')}`,
    api_token_sha256: createHash('sha256').update(apiToken).digest('hex'),
    store_url: 'https://play.google.com/store/apps/details?id=com.test.app',
    click_lookback_hours: 168,
    probabilistic_lookback_hours: 24,
    view_through_lookback_hours: 24,
    reattribution_window_days: 90,
    ...overrides,
  };
  const response = await fetch(`${CONSUL}/v1/kv/mmp/apps/${record.app_id}`, { method: 'PUT', body: JSON.stringify(record) });
  if (!response.ok) throw new Error(`Consul KV PUT answered ${response.status}`);
  return { record, apiToken };
}

export async function deleteApp(appId: string): Promise<void> {
  await fetch(`${CONSUL}/v1/kv/mmp/apps/${appId}`, { method: 'DELETE' });
}

export interface ConsulServiceEntry {
  Service: { ID: string; Service: string; Port: number; Address: string; Tags: string[]; Meta: Record<string, string> };
  Checks: { CheckID: string; Status: string; ServiceID: string; Output: string }[];
}

export async function consulHealth(service: string): Promise<ConsulServiceEntry[]> {
  const response = await fetch(`${CONSUL}/v1/health/service/${service}`);
  return (await response.json()) as ConsulServiceEntry[];
}

/** The aggregated status Consul shows for one instance: passing, warning or critical; undefined when not registered. */
export async function instanceStatus(service: string, instanceId: string): Promise<string | undefined> {
  const entry = (await consulHealth(service)).find((candidate) => candidate.Service.ID === instanceId);
  if (!entry) return undefined;
  const statuses = entry.Checks.map((check) => check.Status);
  return statuses.includes('critical') ? 'critical' : statuses.includes('warning') ? 'warning' : 'passing';
}
