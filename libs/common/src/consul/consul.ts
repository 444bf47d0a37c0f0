import Consul from 'consul';
import { EventEmitter } from 'node:events';
import { APPS_KV_PREFIX, appRecordSchema, type AppRecord } from '../events/app.schema';
import type { Logger } from '../logging/logger';

export interface Registration {
  id: string;
  name: string;
  address: string;
  port: number;
  version: string;
  deregisterCriticalAfter: string;
}

export function createConsul(address: { host: string; port: number }): Consul {
  return new Consul({ host: address.host, port: address.port });
}

/** Contracts §1: one registration per instance, with its HTTP check on /health every 2 s. */
export class ConsulAgent {
  constructor(
    private readonly consul: Consul,
    private readonly logger: Logger,
  ) {}

  async register(registration: Registration): Promise<void> {
    await this.consul.agent.service.register({
      id: registration.id,
      name: registration.name,
      address: registration.address,
      port: registration.port,
      tags: [`version=${registration.version}`, registration.version],
      meta: { version: registration.version },
      check: {
        name: `${registration.name} /health`,
        http: `http://${registration.address}:${registration.port}/health`,
        interval: '2s',
        timeout: '1s',
        deregistercriticalserviceafter: registration.deregisterCriticalAfter,
      },
    });
    this.logger.info({ serviceId: registration.id, port: registration.port }, 'registered in Consul');
  }

  async deregister(id: string): Promise<void> {
    await this.consul.agent.service.deregister(id);
    this.logger.info({ serviceId: id }, 'deregistered from Consul');
  }
}

/**
 * Contracts §2: the apps of `mmp/apps/` kept in memory and refreshed by a blocking
 * query, so a change reaches every service within seconds without a restart.
 */
export class AppsRegistry extends EventEmitter {
  private apps = new Map<string, AppRecord>();
  private watch?: ReturnType<Consul['watch']>;
  private loaded = false;
  private readonly firstLoad: Promise<void>;
  private resolveFirstLoad!: () => void;

  constructor(
    private readonly consul: Consul,
    private readonly logger: Logger,
  ) {
    super();
    this.firstLoad = new Promise((resolve) => (this.resolveFirstLoad = resolve));
  }

  /** Starts watching; resolves after the first answer, or after `timeoutMs` so a boot does not hang on Consul. */
  async start(timeoutMs = 5000): Promise<void> {
    this.watch = this.consul.watch({
      method: this.consul.kv.get,
      options: { key: APPS_KV_PREFIX, recurse: true, wait: '10s' } as never,
      backoffFactor: 100,
      backoffMax: 2000,
    });
    this.watch.on('change', (entries: unknown) => this.replace(entries));
    this.watch.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'apps registry watch failed; retrying'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.firstLoad, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  get(appId: string): AppRecord | undefined {
    return this.apps.get(appId);
  }

  all(): AppRecord[] {
    return [...this.apps.values()];
  }

  isLoaded(): boolean {
    return this.loaded;
  }

  stop(): void {
    this.watch?.end();
  }

  private replace(entries: unknown): void {
    const next = new Map<string, AppRecord>();
    for (const entry of Array.isArray(entries) ? (entries as { Key: string; Value: string | null }[]) : []) {
      const appId = entry.Key.slice(APPS_KV_PREFIX.length);
      if (!appId || entry.Value === null) continue;
      const parsed = parseAppRecord(entry.Value);
      if (!parsed.success || parsed.data.app_id !== appId) {
        this.logger.warn(
          { key: entry.Key, problem: parsed.success ? 'app_id differs from the key' : parsed.error },
          'ignoring app entry',
        );
        continue;
      }
      next.set(appId, parsed.data);
    }
    this.apps = next;
    this.loaded = true;
    this.resolveFirstLoad();
    this.emit('change', this.all());
  }
}

function parseAppRecord(value: string): { success: true; data: AppRecord } | { success: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { success: false, error: 'not JSON' };
  }
  const parsed = appRecordSchema.safeParse(json);
  return parsed.success
    ? { success: true, data: parsed.data }
    : { success: false, error: parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ') };
}
