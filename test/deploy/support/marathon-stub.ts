import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FleetRunner, ROOT, RUN_DIR, type Deployment, type MarathonApp, type MarathonGroup } from '@mmp/fleet';

/**
 * The only stand-in of these tests: Marathon cannot run here, so this speaks the subset of its REST
 * API (v2) that `fleet deploy` uses, with Marathon's answers: 200 with a deployment for PUT /v2/groups,
 * 409 while a deployment holds the group (unless ?force=true), 422 with `details` for an invalid app.
 * In `run` mode it really launches the apps it was given, as local processes with the fleet's runner,
 * so the services register in the real Consul as they would from Marathon's agents.
 */
export type StubMode = 'run' | 'fail' | 'hold';

interface StubApp {
  app: MarathonApp;
  version: string;
  lastTaskFailure?: { state: string; message: string; timestamp: string; version: string };
}

export class MarathonStub {
  mode: StubMode = 'run';
  readonly requests: { method: string; url: string; body?: unknown }[] = [];
  readonly deployments = new Map<string, Deployment>();
  groupVersion = '2026-01-01T00:00:00.000Z';
  readonly apps = new Map<string, StubApp>();
  readonly runners: FleetRunner[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const runner of this.runners.splice(0)) await runner.stop();
    await new Promise<void>((done) => this.server?.close(() => done()) ?? done());
  }

  /** A deployment that never ends, as one stuck on an unhealthy app would. */
  holdDeployment(): string {
    const id = randomUUID();
    this.deployments.set(id, {
      id,
      version: new Date().toISOString(),
      affectedApps: ['/mmp/ingest'],
      currentStep: 1,
      totalSteps: 1,
      currentActions: [],
    });
    return id;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const url = new URL(request.url ?? '/', this.url);
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    this.requests.push({ method: request.method ?? '', url: request.url ?? '', body });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };

    if (request.method === 'PUT' && url.pathname === '/v2/groups')
      return send(...this.putGroup(body as MarathonGroup, url.searchParams.get('force') === 'true'));
    if (request.method === 'GET' && url.pathname === '/v2/deployments') return send(200, [...this.deployments.values()]);
    if (request.method === 'GET' && url.pathname.startsWith('/v2/groups/'))
      return send(200, { id: `/${url.pathname.slice('/v2/groups/'.length)}`, version: this.groupVersion });
    if (request.method === 'GET' && url.pathname === '/v2/apps') {
      const prefix = url.searchParams.get('id') ?? '';
      const apps = [...this.apps.values()].filter((entry) => entry.app.id.includes(prefix));
      return send(200, {
        apps: apps.map((entry) => ({
          id: entry.app.id,
          version: entry.version,
          instances: entry.app.instances,
          lastTaskFailure: entry.lastTaskFailure,
        })),
      });
    }
    send(404, { message: `stub: no route for ${request.method} ${url.pathname}` });
  }

  private putGroup(group: MarathonGroup, force: boolean): [number, unknown] {
    const details = validate(group);
    if (details.length) return [422, { message: 'Object is not valid', details }];
    const holding = [...this.deployments.values()];
    if (holding.length && !force) {
      return [
        409,
        {
          message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
          deployments: holding.map((deployment) => ({ id: deployment.id })),
        },
      ];
    }
    if (force) this.deployments.clear();
    const version = new Date().toISOString();
    const id = randomUUID();
    this.deployments.set(id, {
      id,
      version,
      affectedApps: group.apps.map((app) => app.id),
      currentStep: 1,
      totalSteps: 1,
      currentActions: group.apps.map((app) => ({ action: 'StartApplication', app: app.id })),
    });
    if (this.mode === 'run') void this.launch(id, version, group);
    if (this.mode === 'fail') setTimeout(() => this.fail(id, version, group), 1500);
    return [200, { version, deploymentId: id }];
  }

  private async launch(id: string, version: string, group: MarathonGroup): Promise<void> {
    const runner = new FleetRunner({
      mode: 'processes',
      root: ROOT,
      runDir: RUN_DIR,
      consul: 'http://127.0.0.1:8500',
      startTimeoutMs: 120_000,
    });
    this.runners.push(runner);
    try {
      await runner.start(group.apps);
      for (const app of group.apps) this.apps.set(app.id, { app, version });
      this.groupVersion = version;
    } catch (error) {
      for (const app of group.apps)
        this.apps.set(app.id, { app, version: this.groupVersion, lastTaskFailure: failure(version, (error as Error).message) });
    }
    this.deployments.delete(id);
  }

  /** Marathon rolls a failed deployment back: the group keeps its old version and the apps show why. */
  private fail(id: string, version: string, group: MarathonGroup): void {
    for (const app of group.apps) {
      this.apps.set(app.id, {
        app,
        version: this.groupVersion,
        lastTaskFailure: failure(version, 'Container exited with status 1'),
      });
    }
    this.deployments.delete(id);
  }
}

const failure = (version: string, message: string) => ({
  state: 'TASK_FAILED',
  message,
  timestamp: new Date().toISOString(),
  version,
});

/** A few of Marathon's own validations, with its error format (`/apps(i)/field` and `error.*` codes). */
function validate(group: MarathonGroup): { path: string; errors: string[] }[] {
  const details: { path: string; errors: string[] }[] = [];
  if (!Array.isArray(group?.apps)) return [{ path: '/apps', errors: ['error.expected.jsarray'] }];
  group.apps.forEach((app, index) => {
    const at = (field: string, error: string) => details.push({ path: `/apps(${index})/${field}`, errors: [error] });
    if (
      !/^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))?($|\/))+$/.test(
        app.id ?? '',
      )
    )
      at('id', 'error.pattern');
    if (!Number.isInteger(app.instances) || app.instances < 0) at('instances', 'error.min');
    if (typeof app.cpus !== 'number' || app.cpus < 0) at('cpus', 'error.min');
    if (typeof app.mem !== 'number' || app.mem < 0) at('mem', 'error.min');
    if (!app.container?.docker?.image) at('container/docker/image', 'error.path.missing');
    // Constraint operators and values: plain strings to the published schema, checked by Marathon itself.
    (app.constraints ?? []).forEach(([, operator, value], at_) => {
      const path = `constraints(${at_})`;
      if (!['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'].includes(operator))
        at(path, 'error.constraint.operator');
      else if (operator === 'MAX_PER' && !/^\d+$/.test(value ?? '')) at(path, 'error.constraint.value');
    });
  });
  return details;
}
