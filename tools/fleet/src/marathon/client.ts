import type { MarathonGroup } from '../definitions/fleet';

export interface Deployment {
  id: string;
  version: string;
  affectedApps: string[];
  currentStep?: number;
  totalSteps?: number;
  currentActions?: { action: string; app: string; readinessCheckResults?: unknown[] }[];
}

export interface MarathonAppStatus {
  id: string;
  version: string;
  instances: number;
  tasksRunning?: number;
  tasksHealthy?: number;
  tasksUnhealthy?: number;
  lastTaskFailure?: { state?: string; message?: string; timestamp?: string; version?: string };
}

export class MarathonError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'MarathonError';
  }
}

/** Marathon's 422 details (`[{path, errors: [...]}]`) as readable lines. */
export function formatDetails(body: unknown): string[] {
  const details = (body as { details?: { path?: string; errors?: string[] }[] })?.details;
  if (!Array.isArray(details)) return [];
  return details.map((detail) => `${detail.path ?? '/'}: ${(detail.errors ?? []).join('; ')}`);
}

/** Turns Marathon's error answers into messages that say what to do. */
export function explain(status: number, body: unknown, what: string): MarathonError {
  const message = (body as { message?: string })?.message;
  if (status === 409) {
    const ids = ((body as { deployments?: { id: string }[] })?.deployments ?? []).map((deployment) => deployment.id);
    return new MarathonError(
      `${what}: Marathon answered 409: a deployment is in progress${ids.length ? ` (${ids.join(', ')})` : ''}. ` +
        `Wait for it, or override it with --force${message ? `\n  Marathon: ${message}` : ''}`,
      status,
      body,
    );
  }
  if (status === 422) {
    const details = formatDetails(body);
    return new MarathonError(
      `${what}: Marathon answered 422: the definition is invalid${message ? ` (${message})` : ''}` +
        (details.length ? `\n  ${details.join('\n  ')}` : ''),
      status,
      body,
    );
  }
  return new MarathonError(`${what}: Marathon answered ${status}${message ? `: ${message}` : ''}`, status, body);
}

/** The subset of Marathon's REST API (v2) that a deployment needs. */
export class MarathonClient {
  private readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new Error(`${what}: Marathon at ${this.base} does not answer (${(error as Error).message})`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    if (!response.ok) throw explain(response.status, parsed, what);
    return parsed as T;
  }

  /** PUT /v2/groups: creates or updates the group; Marathon answers with the deployment it started. */
  putGroup(group: MarathonGroup, force = false): Promise<{ version: string; deploymentId: string }> {
    return this.call('PUT', `/v2/groups${force ? '?force=true' : ''}`, group);
  }

  deployments(): Promise<Deployment[]> {
    return this.call('GET', '/v2/deployments');
  }

  group(groupId: string): Promise<{ id: string; version: string }> {
    return this.call('GET', `/v2/groups/${groupId.replace(/^\//, '')}`);
  }

  async apps(groupId: string): Promise<MarathonAppStatus[]> {
    const answer = await this.call<{ apps: MarathonAppStatus[] }>(
      'GET',
      `/v2/apps?id=${encodeURIComponent(groupId)}&embed=apps.lastTaskFailure`,
    );
    return answer.apps;
  }
}
